import { readFileSync } from 'node:fs'
import t from 'tap'
import { articleText } from '../helpers/app.js'
import { MINUTE, NO_STORE, SEED_SLUG, assertProblem, catalogSlugs, editorApp, listed, rowCount, snapshot, type Article } from './helpers.js'

const FIXTURE = (name: string) => readFileSync(new URL(`../fixtures/articles/${name}.txt`, import.meta.url), 'utf8')
const TEXT = { 'content-type': 'text/plain; charset=utf-8' }
const CUPPING = 'cupping-therapy-for-tight-shoulders'

interface Imported extends Article {
  author: string | null
  notes: { line: number; text: string; leftOutAs: string; reason: string }[]
}

t.test('POST /v1/imports keeps the byline out of the body, its author and date in the article, and says what it left out', async (t) => {
  const editor = await editorApp(t)
  const draft = await editor.send('POST', '/v1/imports', FIXTURE('cupping-therapy'), TEXT)
  t.equal(draft.statusCode, 201)
  const body = draft.json() as Imported
  t.match(body, { slug: CUPPING, author: 'Serenity Spa Team', status: 'draft', publishedAt: null }, 'a draft has no publication time, whatever its byline says')
  t.same(
    body.notes.map(({ line, text, leftOutAs }) => [line, text, leftOutAs]),
    [
      [2, 'Posted on March 3, 2025 by Serenity Spa Team', 'byline'],
      [38, 'Tags: cupping, shoulders, massage', 'page-chrome'],
      [40, 'Share this:', 'page-chrome'],
      [42, 'Facebook', 'page-chrome'],
      [44, 'Pinterest', 'page-chrome'],
    ],
    'notes: which lines, as what',
  )
  t.ok(body.notes.every((note) => note.reason.length > 0), 'each note says why')
  t.same(listed(body, 'techniques').map(([, name]) => name), ['Static Cupping', 'Moving Cupping', 'Flash Cupping'], 'wrapped techniques are whole')

  const read = await editor.send('GET', `/v1/articles/${CUPPING}`)
  const { notes, ...article } = body
  t.same(read.json(), article, 'GET gives the article with its author, without the notes')
  t.ok(notes.length > 0)
  t.equal(read.headers.etag, draft.headers.etag, 'the ETag is the one a GET gives')

  const published = await editor.send('POST', '/v1/imports?publish=true', FIXTURE('lymphatic-drainage'), TEXT)
  t.equal(published.statusCode, 201)
  t.match(published.json(), { author: 'Dana Lee', status: 'published', publishedAt: '2024-06-02T00:00:00.000Z' }, 'published at the byline\'s date')
  const listedPublic = await editor.publicGet('/v1/articles/lymphatic-drainage-massage-after-surgery')
  t.equal(listedPublic.json().author, 'Dana Lee', 'the public sees the author')

  const seed = await editor.publicGet(`/v1/articles/${SEED_SLUG}`)
  t.equal(seed.json().author, null, 'no byline: the author is null')

  const future = await editor.send('POST', '/v1/imports?publish=true', `Cold Stones\nJune 2, 2099\n\n${articleText('Cold Stones').split('\n').slice(2).join('\n')}`, TEXT)
  t.match(future.json(), { status: 'published', publishedAt: editor.clock.iso() }, 'a byline date still to come does not schedule the article: it is published now')
})

t.test('POST /v1/imports has the bounds of a JSON article', async (t) => {
  const editor = await editorApp(t)
  const before = await snapshot(editor.store)
  const items = (n: number) => Array.from({ length: n }, (_, index) => `${index + 1}. Item ${index + 1}: What it does.`).join('\n')
  const long = (body: string) => `Long Article\n\nAn introduction.\n\n${body}\n`
  const refused: [name: string, text: string, detail: RegExp][] = [
    ['10,000 list items in 230 KB', long(`Techniques\n\n${'1. Item: What it does.\n'.repeat(10_000)}`), /a list may hold at most 200 items \(line 207\)/],
    ['201 list items', long(`Techniques\n\n${items(201)}`), /a list may hold at most 200 items/],
    [
      '501 list items in 3 lists',
      long(`Techniques\n\n${items(200)}\n\nMore Techniques\n\n${items(200)}\n\nBenefits\n\n${items(101)}`),
      /an article may hold at most 500 list items, all its lists together \(line 513\)/,
    ],
    ['201 sections', long(Array.from({ length: 201 }, (_, index) => `Heading ${index + 1}\n\nA paragraph.`).join('\n\n')), /at most 200 sections/],
    ['501 paragraphs in a section', long(Array.from({ length: 501 }, () => 'A paragraph.').join('\n\n')), /at most 500 paragraphs and lists/],
    ['a paragraph of 20,001 characters', long('word '.repeat(4000) + 'a'), /a paragraph may be at most 20000 characters/],
    ['a description of 5,001 characters', long(`Techniques\n\n1. Name: ${'d'.repeat(5001)}`), /description may be at most 5000 characters/],
  ]
  for (const [name, text, detail] of refused) {
    const problem = assertProblem(t, await editor.send('POST', '/v1/imports', text, TEXT), 422, '/problems/unprocessable-content', name)
    t.match(problem.detail, detail, `${name}: says which bound, and where`)
  }
  t.ok(Buffer.byteLength(refused[0]![1]) < 256 * 1024, 'the 10,000-item text is refused for its items, not its size')
  assertProblem(t, await editor.send('POST', '/v1/imports', long('A paragraph.\n\n'.repeat(20_000)), TEXT), 413, '/problems/payload-too-large', 'a text over 256 KiB')
  assertProblem(t, await editor.send('POST', '/v1/imports', long(`Techniques\n\n${'- a\n'.repeat(80_000)}`), TEXT), 413, '/problems/payload-too-large', '80,000 list items (320 KB)')
  t.same(await snapshot(editor.store), before, 'nothing written')

  const atBounds = long(`Techniques\n\n${items(200)}\n\nA Paragraph\n\n${'word '.repeat(3999)}word`)
  t.equal((await editor.send('POST', '/v1/imports', atBounds, TEXT)).statusCode, 201, 'at the bounds: imported')
})

t.test('PUT /v1/articles/{slug}/source replaces an article\'s content from text, guarded by If-Match', async (t) => {
  const editor = await editorApp(t)
  const created = await editor.send('POST', '/v1/imports?publish=true', FIXTURE('cupping-therapy'), TEXT)
  const etag = String(created.headers.etag)
  const firstPublished = (created.json() as Imported).publishedAt
  const url = `/v1/articles/${CUPPING}/source`
  const revised = FIXTURE('cupping-therapy')
    .replace('Posted on March 3, 2025 by Serenity Spa Team', 'By Dana Lee | April 1, 2025')
    .replace('3. Flash Cupping:', '3. Fire Cupping: A flame warms the cup first.\n4. Flash Cupping:')
    .replace('Cupping Therapy for Tight Shoulders', 'Cupping Therapy for Stiff Shoulders')

  // Again over POST: a 409 that says where to go.
  const again = assertProblem(t, await editor.send('POST', '/v1/imports', revised.replace('Stiff', 'Tight'), TEXT), 409, '/problems/conflict', 'a second import of the slug')
  t.match(again.detail, /PUT \/v1\/articles\/cupping-therapy-for-tight-shoulders\/source/)

  const before = await snapshot(editor.store)
  const missing = assertProblem(t, await editor.send('PUT', url, revised, TEXT), 428, '/problems/precondition-required', 'without If-Match')
  t.match(missing.detail, /If-Match/)
  editor.clock.advance(MINUTE)
  t.equal((await editor.send('PATCH', `/v1/articles/${CUPPING}`, { title: 'Cupping, Changed Meanwhile' }, { 'if-match': etag })).statusCode, 200, 'someone else changes the article')
  const changedMeanwhile = await snapshot(editor.store)
  t.notSame(changedMeanwhile, before)
  const stale = await editor.send('PUT', url, revised, { ...TEXT, 'if-match': etag })
  assertProblem(t, stale, 412, '/problems/precondition-failed', 'a stale If-Match')
  t.same(await snapshot(editor.store), changedMeanwhile, 'a refused replace writes nothing')

  const current = await editor.send('GET', `/v1/articles/${CUPPING}`)
  const version = await rowCount(editor.store, 'article_revisions')
  editor.clock.advance(MINUTE)
  const replaced = await editor.send('PUT', url, revised, { ...TEXT, 'if-match': String(current.headers.etag) })
  t.equal(replaced.statusCode, 200)
  t.equal(replaced.headers['cache-control'], NO_STORE)
  const body = replaced.json() as Imported
  t.match(body, { slug: CUPPING, title: 'Cupping Therapy for Stiff Shoulders', author: 'Dana Lee', status: 'published', publishedAt: firstPublished, updatedAt: editor.clock.iso() }, 'the slug, status and first publication stay')
  t.same(listed(body, 'techniques').map(([, name]) => name), ['Static Cupping', 'Moving Cupping', 'Fire Cupping', 'Flash Cupping'], 'the new content')
  t.same(body.notes.map((note) => note.leftOutAs), ['byline', 'page-chrome', 'page-chrome', 'page-chrome', 'page-chrome'])
  t.equal(await rowCount(editor.store, 'article_revisions'), version + 1, 'a new revision keeps the version replaced')
  t.not(replaced.headers.etag, current.headers.etag, 'a new ETag')
  const read = await editor.send('GET', `/v1/articles/${CUPPING}`)
  t.equal(read.headers.etag, replaced.headers.etag, 'the ETag is the one a GET gives')
  t.ok((await catalogSlugs(editor.app, 'techniques')).includes('fire-cupping'), 'the catalog follows')

  const star = await editor.send('PUT', url, FIXTURE('cupping-therapy'), { ...TEXT, 'if-match': '*' })
  t.equal(star.statusCode, 200, '`If-Match: *` replaces whatever the version')

  assertProblem(t, await editor.send('PUT', '/v1/articles/no-such-article/source', revised, { ...TEXT, 'if-match': '*' }), 404, '/problems/not-found', 'no such article')
  assertProblem(t, await editor.send('PUT', url, { text: revised }, { 'if-match': '*' }), 415, '/problems/unsupported-media-type', 'JSON')
  assertProblem(t, await editor.send('PUT', url, 'Just a title\n', { ...TEXT, 'if-match': '*' }), 422, '/problems/unprocessable-content', 'no article')
})

t.test('PUT /v1/articles/{slug}/source keeps a draft a draft, and publishes it with publish=true', async (t) => {
  const editor = await editorApp(t)
  const created = await editor.send('POST', '/v1/imports', FIXTURE('lymphatic-drainage'), TEXT)
  const slug = 'lymphatic-drainage-massage-after-surgery'
  const url = `/v1/articles/${slug}/source`
  const kept = await editor.send('PUT', url, FIXTURE('lymphatic-drainage').replace('6 min read', '7 min read'), { ...TEXT, 'if-match': String(created.headers.etag) })
  t.match(kept.json(), { status: 'draft', publishedAt: null, author: 'Dana Lee' })
  const published = await editor.send('PUT', `${url}?publish=true`, FIXTURE('lymphatic-drainage').replace(/By Dana Lee \| /, ''), { ...TEXT, 'if-match': String(kept.headers.etag) })
  t.match(published.json(), { status: 'published', publishedAt: '2024-06-02T00:00:00.000Z', author: null }, 'published at the byline date; the new text names no author')
  assertProblem(t, await editor.send('PUT', url, FIXTURE('lymphatic-drainage'), { 'content-type': 'text/plain', 'if-match': '*', authorization: 'Bearer nope' }), 401, '/problems/unauthorized')
})
