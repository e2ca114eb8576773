const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/gi
const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/g
// Eight groups, or a shortened form with "::" (which also catches ::ffff:203.0.113.9); a time like 21:18:31 has three groups.
const IPV6 = /(?<![\w:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])|(?<![\w:])(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?(?![\w:])/gi

/**
 * Personal data and credentials found in `text`: anything shaped like an email or an IP address, and
 * each of the `known` secrets (tokens, keys) however it is cased. An empty list means none.
 */
export function findSecrets(text: string, known: string[] = []): string[] {
  const lower = text.toLowerCase()
  return [
    ...(text.match(EMAIL) ?? []),
    ...(text.match(IPV4) ?? []),
    ...(text.match(IPV6) ?? []).filter((match) => match !== '::'),
    ...known.filter((secret) => lower.includes(secret.toLowerCase())).map((secret) => `${secret.slice(0, 6)}… (a known secret)`),
  ]
}
