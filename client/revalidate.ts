// Keeps a cached article fresh with its ETag: when nothing changed, the server answers 304 with no body.
const url = `${process.env.SPA_API_URL ?? 'http://localhost:3000'}/v1/articles/lower-back-pain-deep-tissue-massage`

const first = await fetch(url)
const etag = first.headers.get('etag') ?? ''
const cached = (await first.json()) as { title: string; commentCount: number }

const again = await fetch(url, { headers: { 'if-none-match': etag } })
const article = again.status === 304 ? cached : ((await again.json()) as typeof cached)
console.log(`${first.status} then ${again.status}: ${article.title}, ${article.commentCount} comments (${first.headers.get('cache-control')})`)
