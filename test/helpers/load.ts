/** Comment traffic against a spawned server, for the crash, shutdown and multi-process tests. */

export const LOAD_ENV = { COMMENT_MODERATION: 'auto', COMMENT_RATE_LIMIT_PER_MINUTE: '999999' }
export const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'

export interface Outcome {
  /** What the client sent as the comment's body; unique per request. */
  body: string
  status: number | 'network-error'
  id?: number
  contentType?: string | null
  problem?: { type?: string; status?: number }
  error?: string
}

/** Posts one comment with a body of its own and records what came back (a network error too). */
export async function postComment(baseUrl: string, body: string, email = 'load.reader@example.com'): Promise<Outcome> {
  try {
    const response = await fetch(`${baseUrl}/v1/articles/${SEED_SLUG}/comments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ authorName: 'Load Reader', authorEmail: email, body }),
    })
    const text = await response.text()
    const json = text ? (JSON.parse(text) as { id?: number; type?: string; status?: number }) : {}
    return { body, status: response.status, contentType: response.headers.get('content-type'), ...(response.status === 201 ? { id: json.id } : { problem: json }) }
  } catch (error) {
    return { body, status: 'network-error', error: String((error as Error & { cause?: Error }).cause ?? error) }
  }
}

/**
 * `workers` loops posting comments (bodies `${label}-${worker}-${n}`) until `shouldStop()` or a
 * network error; each outcome is pushed to `outcomes` as it comes, so that the caller can watch.
 */
export async function commentStream(baseUrl: string, label: string, workers: number, outcomes: Outcome[], shouldStop: () => boolean): Promise<Outcome[]> {
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let n = 0; !shouldStop(); n++) {
        const outcome = await postComment(baseUrl, `${label}-${worker}-${n}`)
        outcomes.push(outcome)
        if (outcome.status === 'network-error') return
      }
    }),
  )
  return outcomes
}

export const acknowledged = (outcomes: Outcome[]) => outcomes.filter((outcome) => outcome.status === 201)

/** Resolves once `condition()` holds, checking every few milliseconds. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5))
}
