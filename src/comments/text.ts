import type { ValidationIssueBody } from '../http/problem.js'
import type { NewComment } from './schemas.js'

const MAX_NAME = 100
const MAX_BODY = 5000
// C0 and C1 controls except tab and newline, plus bidi overrides that can disguise text.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu

export interface NormalisedComment {
  authorName: string
  authorEmail: string
  authorUrl: string | null
  body: string
}

/**
 * Stores text as plain text: NFC, control characters removed, CRLF folded to LF, trimmed; the
 * name on one line. Returns the fields or the rules they break, each by field name.
 */
export function normaliseComment(input: NewComment): NormalisedComment | ValidationIssueBody[] {
  const authorName = input.authorName.normalize('NFC').replace(CONTROL, ' ').replace(/\s+/gu, ' ').trim()
  const body = input.body
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
  const issues: ValidationIssueBody[] = []
  if (authorName.length < 1 || authorName.length > MAX_NAME) issues.push({ in: 'body', name: 'authorName', detail: `must be 1 to ${MAX_NAME} characters after trimming` })
  if (body.length < 1 || body.length > MAX_BODY) issues.push({ in: 'body', name: 'body', detail: `must be 1 to ${MAX_BODY} characters after trimming` })
  if (issues.length > 0) return issues
  return { authorName, authorEmail: input.authorEmail.trim().toLowerCase(), authorUrl: input.authorUrl ?? null, body }
}
