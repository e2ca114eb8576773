// The API as this page uses it: reads revalidated with ETags, comments posted with an Idempotency-Key.

const STORE_PREFIX = 'blog-page:'

/** An answer that is not a 2xx (or a 304 the page holds the body for), with its RFC 9457 problem if it sent one. */
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.detail ?? `The API answered ${status}.`)
    this.status = status
    this.problem = problem
    this.retryAfter = retryAfter
  }
}

async function problemOf(response) {
  const type = response.headers.get('content-type') ?? ''
  if (!type.includes('json')) return undefined
  try {
    return await response.json()
  } catch {
    return undefined
  }
}

function remembered(url) {
  try {
    const stored = sessionStorage.getItem(STORE_PREFIX + url)
    return stored ? JSON.parse(stored) : undefined
  } catch {
    return undefined
  }
}

function remember(url, etag, body) {
  try {
    sessionStorage.setItem(STORE_PREFIX + url, JSON.stringify({ etag, body }))
  } catch {
    // Storage full or refused: the page still works, it only revalidates less.
  }
}

export function createApi(base) {
  const origin = base.replace(/\/+$/, '')

  /**
   * GET a JSON resource. The body and ETag of the last 200 are kept in sessionStorage; the next read
   * (a reload too) sends If-None-Match and, on a 304, uses the kept body. `cache: 'no-store'` keeps the
   * browser's own HTTP cache out of it, so an answer is never older than the API's.
   */
  async function read(path) {
    const url = origin + path
    const kept = remembered(url)
    const headers = { accept: 'application/json' }
    if (kept) headers['if-none-match'] = kept.etag
    const response = await fetch(url, { headers, cache: 'no-store', mode: 'cors' })
    if (response.status === 304 && kept) return kept.body
    if (!response.ok) throw new ApiError(response.status, await problemOf(response))
    const body = await response.json()
    const etag = response.headers.get('etag')
    if (etag) remember(url, etag, body)
    return body
  }

  /** Every page of a list, following `meta.nextCursor`. */
  async function readAll(path) {
    const items = []
    let cursor = null
    do {
      const separator = path.includes('?') ? '&' : '?'
      const page = await read(cursor ? `${path}${separator}cursor=${encodeURIComponent(cursor)}` : path)
      items.push(...page.data)
      cursor = page.meta.nextCursor
    } while (cursor)
    return items
  }

  /**
   * POST a comment. The same `idempotencyKey` is sent again when the user retries after a network
   * failure, so the API stores the comment at most once.
   */
  async function postComment(slug, comment, idempotencyKey) {
    const response = await fetch(`${origin}/v1/articles/${encodeURIComponent(slug)}/comments`, {
      method: 'POST',
      mode: 'cors',
      cache: 'no-store',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(comment),
    })
    if (response.status === 201) return response.json()
    const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10)
    throw new ApiError(response.status, await problemOf(response), Number.isFinite(retryAfter) ? retryAfter : undefined)
  }

  return { read, readAll, postComment }
}
