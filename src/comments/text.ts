// C0 and C1 controls except tab and newline, plus bidi overrides that can disguise text.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu

/** A comment's body as stored: plain text, LF line ends, no controls, at most one blank line in a row, NFC. */
export function plainText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, '')
    .replace(/\n{3,}/g, '\n\n')
    .normalize('NFC')
    .trim()
}

/** A name as stored: one line, single spaces, NFC. */
export function oneLine(text: string): string {
  return text.replace(CONTROL, '').replace(/\s+/gu, ' ').normalize('NFC').trim()
}

/**
 * Normalises the text fields of a posted comment in place, before validation, so that the schema's
 * limits (1..100, 1..5000 characters) hold for the text as it is stored. Other values are left for
 * the schema to refuse.
 */
export function normaliseCommentInput(input: unknown): void {
  if (typeof input !== 'object' || input === null) return
  const fields = input as Record<string, unknown>
  if (typeof fields.authorName === 'string') fields.authorName = oneLine(fields.authorName)
  if (typeof fields.body === 'string') fields.body = plainText(fields.body)
  if (typeof fields.authorEmail === 'string') fields.authorEmail = fields.authorEmail.trim().toLowerCase()
  if (typeof fields.authorUrl === 'string') fields.authorUrl = fields.authorUrl.trim()
}

/**
 * Why an author URL cannot be published, if it cannot: read as browsers read it (WHATWG `URL`), it
 * must be http(s) with a host, and carry no `user:password@`, which makes a link such as
 * `https://trusted.example:80@evil.example/` look like one to another site than it opens.
 */
export function authorUrlFault(value: string): string | undefined {
  if (!URL.canParse(value)) return 'must be a URL'
  const url = new URL(value)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL'
  if (url.hostname === '') return 'must name a host'
  if (url.username !== '' || url.password !== '') return 'must not hold a user name or password (user:password@)'
  return undefined
}
