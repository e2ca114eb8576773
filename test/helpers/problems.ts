/** What a client receives, from inject, fetch or a raw socket alike. */
export interface Answer {
  status: number
  contentType: string | undefined
  body: string
}

// A stack frame ("    at fn (file:3:1)") or a source location ("/srv/app.js:42", "file:///...").
const LEAK = /\n\s*at |\bat [\w.$<>]+ \(|\.(?:[cm]?js|ts):\d+|file:\/\/|node_modules/

/**
 * Everything wrong with an answer that should be a client-error problem: status 4xx,
 * `application/problem+json`, a body with type, title, status and detail, and nothing of the server's insides.
 * An empty list means it is one.
 */
export function clientProblemViolations(answer: Answer): string[] {
  const found: string[] = []
  if (answer.status < 400 || answer.status > 499) found.push(`status ${answer.status}`)
  if (!/^application\/problem\+json/.test(answer.contentType ?? '')) found.push(`content-type ${answer.contentType}`)
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(answer.body) as Record<string, unknown>
  } catch {
    found.push(`a body that is not JSON: ${answer.body.slice(0, 80)}`)
  }
  for (const field of ['type', 'title', 'detail'] as const) if (typeof body[field] !== 'string' || body[field] === '') found.push(`no ${field}`)
  if (body.status !== answer.status) found.push(`body status ${String(body.status)}`)
  if (LEAK.test(answer.body)) found.push('a stack trace or file path in the body')
  return found
}
