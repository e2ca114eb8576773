import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { normaliseCommentInput } from '../../src/comments/text.js'
import { createTestApp } from '../helpers/app.js'
import { clientProblemViolations } from '../helpers/problems.js'
import { operationsOf } from '../helpers/routes.js'
import { AUTO, SLUG, allPages, commentsUrl, newComment, post } from '../comments/helpers.js'

// Enough cases to find what the hostile corpus missed, few enough for two cores.
const QUERY_RUNS = 60
const COMMENT_RUNS = 150

const asAnswer = (res: LightMyRequestResponse) => ({ status: res.statusCode, contentType: res.headers['content-type'] as string | undefined, body: res.body })

/** Any code point, plus the characters that matter most here: lone surrogates, controls, CR LF, bidi overrides, markup. */
const char = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('\ud800', '\udfff', '\u0000', '\u0007', '\r\n', '\r', '\n\n\n', '\t', '\u202e', '\u00a0', 'e\u0301', '<', '"', "'", '%', '&', '=', '#', '[', ']') },
)
const text = (maxLength: number) => fc.string({ unit: char, maxLength })
// encodeURIComponent cannot encode a lone surrogate; the hostile corpus sends those as raw bytes.
const encodable = (value: string) => (/\p{Cs}/u.test(value) ? 'x' : encodeURIComponent(value))

/** A query string as a client might send it: well-formed, or pairs of odd names and values, or raw text with bad escapes. */
const queryString = (realCursor: string) =>
  fc.oneof(
    fc.webQueryParameters(),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'cursor', 'status', 'q', '__proto__', 'limit[]'), text(8)), fc.oneof(text(30), fc.integer().map(String), fc.constant(realCursor))), { maxLength: 4 })
      .map((pairs) => pairs.map(([name, value]) => `${encodable(name)}=${encodable(value)}`).join('&')),
    // Visible ASCII as it is (so `%zz`, `&&`, `==` reach the parser); anything else percent-encoded.
    fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((raw) => raw.replace(/[^\x21-\x7e]|#/g, (c) => encodeURIComponent(c))),
  )

t.test('any query string on a list route is a 200 page or a 4xx problem, never a 5xx', async (t) => {
  const { app } = await createTestApp(t, { env: AUTO })
  await post(app, newComment())
  const lists = (await operationsOf(app, { slugs: [SLUG, 'friction', 'improved-blood-circulation'], ids: [1] })).filter((op) => op.method === 'GET' && op.queryParams.includes('limit'))
  t.ok(lists.length >= 6, `${lists.length} list routes`)
  const realCursor = (await app.inject(`/v1/articles/${SLUG}/techniques?limit=1`)).json().meta.nextCursor as string
  for (const list of lists) {
    await fc.assert(
      fc.asyncProperty(queryString(realCursor), async (query) => {
        const res = await app.inject({ url: `${list.path}?${query}`, headers: list.credentials })
        if (res.statusCode === 200) {
          const page = res.json()
          return Array.isArray(page.data) && page.meta.limit >= 1 && page.meta.limit <= 100
        }
        const violations = clientProblemViolations(asAnswer(res))
        if (violations.length > 0) throw new Error(`${list.path}?${query}: ${violations.join('; ')}`)
        return true
      }),
      { numRuns: QUERY_RUNS },
    )
    t.pass(`${list.path}: ${QUERY_RUNS} query strings`)
  }
})

t.test('any comment payload is a 201 read back as normalised, or a 4xx problem; the email is never public', async (t) => {
  const { app } = await createTestApp(t, { env: AUTO })
  const parent = (await post(app, newComment())).json() as { id: number }
  // Mostly plausible values, so that many payloads are valid comments whose storage can be checked.
  const field = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary }, { weight: 1, arbitrary: fc.anything() })
  const mostly = <T, U>(likely: fc.Arbitrary<T>, odd: fc.Arbitrary<U>) => fc.oneof({ weight: 4, arbitrary: likely }, { weight: 1, arbitrary: odd })
  const payload = fc.oneof(
    { weight: 8, arbitrary: fc.record(
      {
        authorName: field(mostly(text(60), text(120))),
        authorEmail: field(mostly(fc.emailAddress(), text(40))),
        body: field(mostly(text(300), text(6000))),
        parentId: field(mostly(fc.constant(parent.id), fc.integer())),
        authorUrl: field(mostly(fc.webUrl(), text(40))),
      },
      { requiredKeys: ['authorName', 'authorEmail', 'body'] },
    ) },
    { weight: 1, arbitrary: fc.anything() },
  )
  const emails = new Set<string>()
  let created = 0
  await fc.assert(
    fc.asyncProperty(payload, async (input) => {
      const res = await post(app, input)
      if (res.statusCode !== 201) {
        const violations = clientProblemViolations(asAnswer(res))
        if (violations.length > 0) throw new Error(`${JSON.stringify(input)?.slice(0, 200)}: ${violations.join('; ')}`)
        return true
      }
      created += 1
      const sent = input as Record<string, unknown>
      const expected = structuredClone(sent)
      normaliseCommentInput(expected)
      const email = String(sent.authorEmail)
      const read = await app.inject(`${commentsUrl()}/${res.json().id}`)
      const stored = read.json()
      const same =
        stored.authorName === expected.authorName && stored.body === expected.body && stored.authorUrl === (expected.authorUrl ?? null) && stored.parentId === (expected.parentId ?? null)
      if (!same) throw new Error(`stored ${JSON.stringify(stored)} for ${JSON.stringify(expected)}`)
      const ownText = `${stored.authorName}\n${stored.body}\n${stored.authorUrl}`.toLowerCase()
      // An email that is also part of the text the reader chose to publish is public by their choice.
      if (!ownText.includes(email.toLowerCase())) {
        emails.add(email.toLowerCase())
        for (const answer of [res, read]) if (answer.body.toLowerCase().includes(email.toLowerCase())) throw new Error(`the email ${email} is in a public answer`)
      }
      return true
    }),
    { numRuns: COMMENT_RUNS },
  )
  t.ok(created > 0, `${created} of ${COMMENT_RUNS} payloads were valid comments, each read back as normalised`)
  const everything = (await allPages(app, `${commentsUrl()}?limit=100`)).map((page) => JSON.stringify(page)).join('\n') + (await app.inject(`/v1/articles/${SLUG}`)).body
  t.same([...emails].filter((email) => everything.toLowerCase().includes(email)), [], `none of ${emails.size} emails is in the public list or the article`)
})
