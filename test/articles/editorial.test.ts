import { readFileSync } from 'node:fs'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import {
  HOT_STONE,
  HOUR,
  MINUTE,
  NO_STORE,
  SEED_SLUG,
  T0,
  TEXT,
  articleBody,
  assertEtagOf,
  assertProblem,
  catalogSlugs,
  createArticle,
  editorApp,
  entry,
  failingFields,
  getWithKey,
  listed,
  patchArticle,
  publicSlugs,
  rowCount,
  snapshot,
  type Article,
} from './helpers.js'

t.test('POST /v1/articles creates a draft with everything derived, seen by editors only', async (t) => {
  const editor = await editorApp(t)
  const res = await editor.send('POST', '/v1/articles', HOT_STONE)
  t.equal(res.statusCode, 201)
  t.equal(res.headers.location, '/v1/articles/hot-stone', 'Location names the new article')
  t.equal(res.headers['cache-control'], NO_STORE, 'a write answer is never cached')
  const etag = assertEtagOf(t, res, 'created')
  const article = res.json() as Article
  t.match(article, {
    slug: 'hot-stone',
    title: 'Hot Stone',
    summary: 'All about Hot Stone.',
    status: 'draft',
    publishedAt: null,
    updatedAt: T0,
    commentCount: 0,
    readingTimeMinutes: 1,
  })
  // "All about Hot Stone." 4 + "Techniques Used" 2 + 2 x (name 2 + "What … does." 4) + "Benefits" 1 + 6 + "Conclusion" 1 + "Book a session today." 4
  t.equal(article.wordCount, 4 + 2 + 12 + 1 + 6 + 1 + 4, 'words counted over headings, paragraphs and items')
  t.same(article.sections.map((s) => [s.heading, s.slug]), [
    [undefined, 'introduction'],
    ['Techniques Used', 'techniques-used'],
    ['Benefits', 'benefits'],
    ['Conclusion', 'conclusion'],
  ])
  t.same(listed(article, 'techniques'), [
    [1, 'Stone Placement', 'stone-placement'],
    [2, 'Gliding Strokes', 'gliding-strokes'],
  ], 'list items get positions and slugs')
  t.same(listed(article, 'benefits'), [[1, 'Better Sleep', 'better-sleep']])

  const withKey = await getWithKey(editor, 'hot-stone')
  t.equal(withKey.statusCode, 200, 'an editor sees the draft')
  t.equal(withKey.headers.etag, etag, 'the ETag of the answer is the one a GET gives')
  t.equal(withKey.headers['cache-control'], NO_STORE, 'the editor\'s view is never cached')
  t.same(withKey.json(), article, 'the GET gives what the POST answered')

  assertProblem(t, await editor.publicGet('/v1/articles/hot-stone'), 404, '/problems/not-found', 'the public does not see a draft')
  assertProblem(t, await editor.publicGet('/v1/articles/hot-stone/techniques'), 404, '/problems/not-found', 'nor its techniques')
  t.notOk((await publicSlugs(editor.app)).includes('hot-stone'), 'a draft is not listed')
  t.notOk((await catalogSlugs(editor.app, 'techniques')).includes('stone-placement'), 'a draft\'s techniques are not in the catalog')
  assertProblem(t, await editor.publicGet('/v1/techniques/stone-placement'), 404, '/problems/not-found', 'a draft\'s technique has no catalog page')
  t.equal(await rowCount(editor.store, 'article_revisions'), 0, 'creating makes no revision')

  const published = await patchArticle(t, editor, 'hot-stone', { status: 'published' })
  t.equal(published.status, 'published')
  t.ok((await catalogSlugs(editor.app, 'techniques')).includes('stone-placement'), 'published: the techniques are in the catalog at once')
  t.ok((await catalogSlugs(editor.app, 'benefits')).includes('better-sleep'), 'and the benefits')
  const detail = await editor.publicGet('/v1/techniques/stone-placement')
  t.equal(detail.statusCode, 200)
  t.match(detail.json(), { slug: 'stone-placement', name: 'Stone Placement', articleCount: 1, articles: [{ articleSlug: 'hot-stone', position: 1 }] })
})

t.test('the slug: given, derived from the title, or a 400 when the title has nothing to derive it from', async (t) => {
  const editor = await editorApp(t)
  t.equal((await createArticle(t, editor, { title: '  Café Crème & Hot Stones: Part 2 ' })).slug, 'cafe-creme-and-hot-stones-part-2', 'derived: folded, lower case, hyphens')
  const given = await createArticle(t, editor, { title: 'Whatever The Title', slug: 'my-own-slug' })
  t.equal(given.slug, 'my-own-slug', 'a given slug is kept')
  t.equal(given.title, 'Whatever The Title')
  t.equal((await createArticle(t, editor, { title: '  Trimmed  ' })).title, 'Trimmed', 'the title is trimmed')
  t.equal((await createArticle(t, editor, { title: '!!!', slug: 'bangs' })).title, '!!!', 'a title without letters is fine with a slug')

  for (const title of ['!!!', '— … —']) {
    const res = await editor.send('POST', '/v1/articles', { title })
    assertProblem(t, res, 400, '/problems/validation-failed', `title ${title} without a slug`)
    t.same(failingFields(res), ['body:title'])
    t.match(res.json().errors[0].detail, /no letters or digits/, 'says why')
  }
  for (const slug of ['Upper-Case', 'two--hyphens', '-lead', 'under_score', '']) {
    const res = await editor.send('POST', '/v1/articles', { title: 'A Title', slug })
    assertProblem(t, res, 400, '/problems/validation-failed', `slug ${JSON.stringify(slug)}`)
    t.same(failingFields(res), ['body:slug'])
  }
  t.equal(await rowCount(editor.store, 'articles'), 5, 'the seed and the four accepted articles, nothing else')
})

t.test('a taken slug is a 409 on create, on rename and on import, and nothing is written', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, HOT_STONE)
  const before = await snapshot(editor.store)
  const attempts: [string, () => Promise<LightMyRequestResponse>][] = [
    ['create with the slug given', () => editor.send('POST', '/v1/articles', { title: 'Other', slug: SEED_SLUG })],
    ['create with the slug derived', () => editor.send('POST', '/v1/articles', { title: 'Lower Back Pain: Deep Tissue Massage' })],
    ['create a draft over a draft', () => editor.send('POST', '/v1/articles', { title: 'Hot Stone' })],
    ['rename onto another article', () => editor.send('PATCH', '/v1/articles/hot-stone', { slug: SEED_SLUG, title: 'Renamed' })],
    ['import of a text with that title', () => editor.send('POST', '/v1/imports', readFileSync(new URL('../../seed/lower-back-pain-deep-tissue-massage.txt', import.meta.url), 'utf8'), TEXT)],
  ]
  for (const [name, attempt] of attempts) {
    const res = await attempt()
    const problem = assertProblem(t, res, 409, '/problems/conflict', name)
    t.match(problem.detail, /slug/, `${name}: names the slug`)
  }
  t.same(await snapshot(editor.store), before, 'nothing was written')

  const same = await patchArticle(t, editor, 'hot-stone', { slug: 'hot-stone', title: 'Hot Stone Again' })
  t.equal(same.slug, 'hot-stone', 'an article may keep its own slug')
  const renamed = await patchArticle(t, editor, 'hot-stone', { slug: 'hot-stones' })
  t.equal(renamed.slug, 'hot-stones')
  t.equal(renamed.title, 'Hot Stone Again', 'a rename keeps the rest')
  assertProblem(t, await getWithKey(editor, 'hot-stone'), 404, '/problems/not-found', 'the old slug is gone')
  t.equal((await getWithKey(editor, 'hot-stones')).statusCode, 200, 'the new slug answers')
  t.equal((await createArticle(t, editor, { title: 'Hot Stone' })).slug, 'hot-stone', 'the old slug is free again')
})

t.test('POST /v1/articles validates the content model', async (t) => {
  const editor = await editorApp(t)
  const before = await snapshot(editor.store)
  const paragraph = (text: unknown) => ({ title: 'Valid Title', sections: [{ blocks: [{ type: 'paragraph', text }] }] })
  const invalid: [string, unknown, string[]][] = [
    ['no title', { sections: [] }, ['body:title']],
    ['an empty title', { title: '' }, ['body:title']],
    ['a blank title', { title: ' \t ' }, ['body:title']],
    ['a title that is no string', { title: 42 }, ['body:title']],
    ['a too long title', { title: 'x'.repeat(151) }, ['body:title']],
    ['an unknown property', { title: 'Valid Title', author: 'me' }, ['body:author']],
    ['an unknown status', { title: 'Valid Title', status: 'archived' }, ['body:status']],
    ['a publishedAt that is no time', { title: 'Valid Title', status: 'published', publishedAt: 'yesterday' }, ['body:publishedAt']],
    ['sections that are no array', { title: 'Valid Title', sections: { blocks: [] } }, ['body:sections']],
    ['a blank paragraph', paragraph('   '), ['body:sections/0/blocks/0/text']],
    ['a blank heading', { title: 'Valid Title', sections: [{ heading: ' ', blocks: [] }] }, ['body:sections/0/heading']],
    ['a list without items', { title: 'Valid Title', sections: [{ blocks: [{ type: 'list', kind: 'techniques', items: [] }] }] }, ['body:sections/0/blocks/0/items']],
    ['a list of an unknown kind', { title: 'Valid Title', sections: [{ blocks: [{ type: 'list', kind: 'recipes', items: [{ description: 'x' }] }] }] }, ['body:sections/0/blocks/0/kind']],
    [
      'an item name without letters',
      { title: 'Valid Title', sections: [{ blocks: [{ type: 'list', kind: 'techniques', items: [{ name: '**', description: 'd' }] }] }] },
      ['body:sections/0/blocks/0/items/0/name'],
    ],
    ['a section with a slug of its own', { title: 'Valid Title', sections: [{ slug: 'mine', blocks: [] }] }, ['body:sections/0/slug']],
  ]
  for (const [name, body, fields] of invalid) {
    const res = await editor.send('POST', '/v1/articles', body)
    assertProblem(t, res, 400, '/problems/validation-failed', name)
    const failing = failingFields(res)
    const block = /^body:sections\/\d+\/blocks\/\d+/.exec(fields[0]!)?.[0]
    if (block) {
      // A block is one of two shapes: the problem names the field in the shape it nearly is, and the alternatives.
      t.ok(failing.includes(fields[0]!), `${name}: names ${fields[0]}`)
      t.ok(failing.every((field) => field.startsWith(block)), `${name}: names nothing outside ${block}`)
    } else t.same(failing, fields, `${name}: names ${fields.join(', ')}`)
  }
  const badBlock = await editor.send('POST', '/v1/articles', { title: 'Valid Title', sections: [{ blocks: [{ type: 'image', src: 'x.png' }] }] })
  assertProblem(t, badBlock, 400, '/problems/validation-failed', 'a block of an unknown type')
  t.ok(failingFields(badBlock).every((field) => field.startsWith('body:sections/0/blocks/0')), 'the block is named')

  const notJson = await editor.send('POST', '/v1/articles', '{"title": ', { 'content-type': 'application/json' })
  t.equal(notJson.statusCode, 400, 'malformed JSON is a 400')
  t.match(notJson.headers['content-type'], /^application\/problem\+json/)
  t.same(await snapshot(editor.store), before, 'nothing was written')
})

t.test('an article holds at most 500 list items, all its lists together: POST, PATCH and PUT of a list refuse more with a 400 naming the bound', async (t) => {
  const editor = await editorApp(t)
  const list = (kind: string, count: number, from = 0) => ({
    type: 'list',
    kind,
    items: Array.from({ length: count }, (_, index) => ({ name: `Stroke ${from + index + 1}`, description: 'Slow work along the muscle.' })),
  })
  // 3 lists of 200, 200 and 101 items: each list within its own bound, 501 in all.
  const sections = (last: number) => [
    { heading: 'Techniques', blocks: [list('techniques', 200), list('techniques', 200, 200)] },
    { heading: 'Benefits', blocks: [list('benefits', last)] },
  ]
  const before = await snapshot(editor.store)
  const tooMany = await editor.send('POST', '/v1/articles', { title: 'Too Long', sections: sections(101) })
  const problem = assertProblem(t, tooMany, 400, '/problems/validation-failed', 'POST of 501 list items')
  t.same(failingFields(tooMany), ['body:sections'], 'names the sections')
  t.match(JSON.stringify(problem.errors), /501 list items; an article may hold at most 500, all its lists together/, 'says the bound and the count')
  t.same(await snapshot(editor.store), before, 'nothing written')

  const atBound = await createArticle(t, editor, { title: 'Long Enough', status: 'published', sections: sections(100) })
  t.equal(await rowCount(editor.store, 'article_entries', 'article_id = ?', atBound.id), 500, '500 list items: stored, every one an entry')
  t.equal(await rowCount(editor.store, 'catalog_occurrences', 'article_id = ?', atBound.id), 500, 'and in the catalog')
  t.equal(await rowCount(editor.store, 'search_documents', 'article_id = ?', atBound.id), 501, 'and searchable, with the article itself')

  const stored = await snapshot(editor.store)
  assertProblem(t, await editor.send('PATCH', '/v1/articles/long-enough', { sections: sections(101) }), 400, '/problems/validation-failed', 'PATCH to 501 list items')
  const put = await editor.send('PUT', '/v1/articles/long-enough/benefits', list('benefits', 101).items)
  assertProblem(t, put, 400, '/problems/validation-failed', 'PUT of a list that brings the article to 501')
  t.same(failingFields(put), ['body:body'], 'names the body')
  t.same(await snapshot(editor.store), stored, 'nothing written')

  const shrunk = await patchArticle(t, editor, 'long-enough', { sections: sections(1) })
  t.equal(await rowCount(editor.store, 'article_entries', 'article_id = ?', shrunk.id), 401, 'shrunk: the entries follow')
  t.equal(await rowCount(editor.store, 'catalog_occurrences', 'article_id = ?', shrunk.id), 401, 'and the catalog')
  t.equal(await rowCount(editor.store, 'search_documents', 'article_id = ?', shrunk.id), 402, 'and the search index')
})

t.test('PATCH /v1/articles/:slug changes each field and keeps the rest', async (t) => {
  const editor = await editorApp(t)
  const created = await createArticle(t, editor, HOT_STONE)
  editor.clock.advance(MINUTE)

  const retitled = await patchArticle(t, editor, 'hot-stone', { title: '  Hot Stone Therapy ' })
  t.equal(retitled.title, 'Hot Stone Therapy', 'the title, trimmed')
  t.equal(retitled.slug, 'hot-stone', 'the slug does not follow the title')
  t.same(retitled.sections, created.sections, 'the body is kept')
  t.equal(retitled.updatedAt, editor.clock.iso(), 'updatedAt is the clock\'s')

  const body = articleBody('x', { intro: 'A new introduction here.', techniques: [entry('Kneading')] }).sections
  const rewritten = await patchArticle(t, editor, 'hot-stone', { sections: body })
  t.equal(rewritten.title, 'Hot Stone Therapy', 'the title is kept')
  t.equal(rewritten.summary, 'A new introduction here.', 'the summary follows the body')
  t.equal(rewritten.wordCount, 4 + 2 + (1 + 3) + 1 + 4, 'the word count follows the body')
  t.same(listed(rewritten, 'techniques'), [[1, 'Kneading', 'kneading']])
  t.same(listed(rewritten, 'benefits'), [], 'sections replaces the whole body')
  const techniques = await editor.send('GET', '/v1/articles/hot-stone')
  t.same(techniques.json(), rewritten)

  const renamed = await patchArticle(t, editor, 'hot-stone', { slug: 'hot-stone-therapy' })
  t.equal(renamed.slug, 'hot-stone-therapy')
  t.equal(renamed.id, created.id, 'the same article')

  const statusOnly = await patchArticle(t, editor, 'hot-stone-therapy', { status: 'published' })
  t.equal(statusOnly.status, 'published')
  t.same(statusOnly.sections, rewritten.sections)

  const unknown = [
    ['an empty change', {}, ['body:body']],
    ['an unknown field', { author: 'me' }, ['body:author']],
    ['a blank title', { title: '  ' }, ['body:title']],
    ['a null title', { title: null }, ['body:title']],
    ['a bad slug', { slug: 'Not A Slug' }, ['body:slug']],
  ] as const
  const before = await snapshot(editor.store)
  for (const [name, changes, fields] of unknown) {
    const res = await editor.send('PATCH', '/v1/articles/hot-stone-therapy', changes)
    assertProblem(t, res, 400, '/problems/validation-failed', name)
    t.same(failingFields(res), fields, `${name}: names ${fields.join(', ')}`)
  }
  assertProblem(t, await editor.send('PATCH', '/v1/articles/no-such-article', { title: 'X' }), 404, '/problems/not-found', 'an unknown slug')
  assertProblem(t, await editor.send('PATCH', '/v1/articles/Bad_Slug', { title: 'X' }), 400, '/problems/validation-failed', 'a malformed slug')
  t.same(await snapshot(editor.store), before, 'nothing was written')
})

t.test('status: draft → published → draft, with the catalog and the list following', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, HOT_STONE)
  editor.clock.advance(5 * MINUTE)
  const publishedAt = editor.clock.iso()

  const published = await editor.send('PATCH', '/v1/articles/hot-stone', { status: 'published' })
  t.equal(published.statusCode, 200)
  t.match(published.json(), { status: 'published', publishedAt, updatedAt: publishedAt }, 'publishing sets publishedAt to the clock')
  const publicView = await editor.publicGet('/v1/articles/hot-stone')
  t.equal(publicView.statusCode, 200, 'public now')
  t.equal(publicView.headers.etag, published.headers.etag, 'the public ETag is the one the write answered')
  t.same((await publicSlugs(editor.app)).slice(0, 2), ['hot-stone', SEED_SLUG], 'listed, newest first')
  t.ok((await catalogSlugs(editor.app, 'techniques')).includes('gliding-strokes'))
  t.equal((await editor.publicGet('/v1/articles/hot-stone/techniques')).json().data.length, 2, 'its techniques list is public')

  editor.clock.advance(HOUR)
  const republished = await patchArticle(t, editor, 'hot-stone', { status: 'published', title: 'Hot Stone, Revised' })
  t.equal(republished.publishedAt, publishedAt, 'publishing again keeps the first publication time')

  const unpublished = await patchArticle(t, editor, 'hot-stone', { status: 'draft' })
  t.match(unpublished, { status: 'draft', publishedAt: null }, 'a draft has no publication time')
  assertProblem(t, await editor.publicGet('/v1/articles/hot-stone'), 404, '/problems/not-found', 'hidden again')
  t.notOk((await publicSlugs(editor.app)).includes('hot-stone'), 'no longer listed')
  t.notOk((await catalogSlugs(editor.app, 'techniques')).includes('gliding-strokes'), 'the catalog follows at once')
  assertProblem(t, await editor.publicGet('/v1/benefits/better-sleep'), 404, '/problems/not-found', 'the benefit page too')
  t.equal((await getWithKey(editor, 'hot-stone')).json().status, 'draft', 'the editor still sees it')
})

t.test('status: draft → scheduled → (the clock passes) → published, and other scheduling moves', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, HOT_STONE)
  const at = editor.clock.in(HOUR)
  const scheduled = await patchArticle(t, editor, 'hot-stone', { status: 'scheduled', publishedAt: at })
  t.match(scheduled, { status: 'scheduled', publishedAt: at })
  assertProblem(t, await editor.publicGet('/v1/articles/hot-stone'), 404, '/problems/not-found', 'scheduled: not public yet')
  t.equal((await getWithKey(editor, 'hot-stone')).json().status, 'scheduled', 'an editor sees it scheduled')

  const later = editor.clock.in(2 * HOUR)
  t.match(await patchArticle(t, editor, 'hot-stone', { publishedAt: later }), { status: 'scheduled', publishedAt: later }, 'a time alone reschedules')
  t.match(await patchArticle(t, editor, 'hot-stone', { status: 'scheduled' }), { status: 'scheduled', publishedAt: later }, 'scheduled again keeps the time')

  editor.clock.advance(2 * HOUR - 1)
  assertProblem(t, await editor.publicGet('/v1/articles/hot-stone'), 404, '/problems/not-found', 'a millisecond early')
  editor.clock.advance(1)
  const due = await editor.publicGet('/v1/articles/hot-stone')
  t.equal(due.statusCode, 200, 'public when the clock reaches publishedAt')
  t.match(due.json(), { status: 'published', publishedAt: later })

  editor.clock.advance(HOUR)
  const now = editor.clock.iso()
  await createArticle(t, editor, { title: 'Publish Early' })
  await patchArticle(t, editor, 'publish-early', { status: 'scheduled', publishedAt: editor.clock.in(HOUR) })
  t.match(await patchArticle(t, editor, 'publish-early', { status: 'published' }), { status: 'published', publishedAt: now }, 'scheduled → published now')
  await patchArticle(t, editor, 'publish-early', { publishedAt: editor.clock.in(HOUR) })
  t.equal((await getWithKey(editor, 'publish-early')).json().status, 'scheduled', 'published + a future time alone → scheduled')
  t.match(await patchArticle(t, editor, 'publish-early', { publishedAt: '2026-02-01T00:00:00.000Z' }), { status: 'published', publishedAt: '2026-02-01T00:00:00.000Z' }, 'scheduled + a past time alone → published then')
  t.match(await patchArticle(t, editor, 'publish-early', { status: 'scheduled', publishedAt: editor.clock.in(MINUTE) }), { status: 'scheduled' })
  t.match(await patchArticle(t, editor, 'publish-early', { status: 'draft' }), { status: 'draft', publishedAt: null }, 'scheduled → draft')

  const createdScheduled = await createArticle(t, editor, { title: 'Born Scheduled', status: 'scheduled', publishedAt: editor.clock.in(HOUR) })
  t.match(createdScheduled, { status: 'scheduled', publishedAt: editor.clock.in(HOUR) }, 'created scheduled')
  const createdPublished = await createArticle(t, editor, { title: 'Born Published', status: 'published' })
  t.match(createdPublished, { status: 'published', publishedAt: now }, 'created published: now')
  t.equal((await editor.publicGet('/v1/articles/born-published')).statusCode, 200)
})

t.test('every write is in the very next public answer: no prepared answer outlives the data it was built from', async (t) => {
  const editor = await editorApp(t)
  const urls = ['/v1/articles', `/v1/articles/${SEED_SLUG}`, `/v1/articles/${SEED_SLUG}/techniques`, '/v1/techniques']
  for (const url of urls) t.equal((await editor.publicGet(url)).statusCode, 200, `${url} is prepared before the writes`)
  for (let round = 1; round <= 10; round++) {
    const title = `Lower Back Pain, Round ${round}`
    const technique = `Round ${round} Stroke`
    await patchArticle(t, editor, SEED_SLUG, { title })
    await editor.send('PUT', `/v1/articles/${SEED_SLUG}/techniques`, [entry(technique)])
    const [list, article, techniques, catalog] = await Promise.all(urls.map((url) => editor.publicGet(url)))
    t.equal(list!.json().data[0].title, title, `round ${round}: the list`)
    t.equal(article!.json().title, title, `round ${round}: the article`)
    t.same(techniques!.json().data.map((e: { name: string }) => e.name), [technique], `round ${round}: its techniques`)
    t.ok(catalog!.json().data.some((e: { name: string }) => e.name === technique), `round ${round}: the catalog`)
  }
})

t.test('published with a backdated publishedAt is canonical UTC and sorts by it', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, HOT_STONE)
  const backdated = await patchArticle(t, editor, 'hot-stone', { status: 'published', publishedAt: '2026-01-01T02:00:00+02:00' })
  t.match(backdated, { status: 'published', publishedAt: '2026-01-01T00:00:00.000Z' }, 'stored as UTC with milliseconds')
  t.same((await publicSlugs(editor.app)).slice(0, 2), [SEED_SLUG, 'hot-stone'], 'older than the seed (2026-01-15): listed after it')
  const created = await createArticle(t, editor, { title: 'Old News', status: 'published', publishedAt: '2025-06-01T08:00:00Z' })
  t.equal(created.publishedAt, '2025-06-01T08:00:00.000Z')
  t.same((await publicSlugs(editor.app)).slice(-1), ['old-news'], 'the oldest last')
  const moved = await patchArticle(t, editor, 'old-news', { publishedAt: '2026-02-01T00:00:00Z' })
  t.match(moved, { status: 'published', publishedAt: '2026-02-01T00:00:00.000Z' }, 'a past time alone backdates a published article')
  t.equal((await publicSlugs(editor.app))[0], 'old-news')
})

t.test('the publication rules refuse impossible combinations with a 400 on publishedAt', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, { title: 'A Draft' })
  await createArticle(t, editor, { title: 'Already Out', status: 'published' })
  const past = '2026-02-01T00:00:00.000Z'
  const refused: [string, string, string, Record<string, unknown>, RegExp][] = [
    ['create a draft with a time', 'POST', '/v1/articles', { title: 'New One', publishedAt: past }, /left out for a draft/],
    ['create an explicit draft with a time', 'POST', '/v1/articles', { title: 'New One', status: 'draft', publishedAt: past }, /left out for a draft/],
    ['create scheduled without a time', 'POST', '/v1/articles', { title: 'New One', status: 'scheduled' }, /needed to schedule/],
    ['create scheduled in the past', 'POST', '/v1/articles', { title: 'New One', status: 'scheduled', publishedAt: past }, /future/],
    ['create scheduled now', 'POST', '/v1/articles', { title: 'New One', status: 'scheduled', publishedAt: T0 }, /future/],
    ['create published in the future', 'POST', '/v1/articles', { title: 'New One', status: 'published', publishedAt: editor.clock.in(MINUTE) }, /scheduled/],
    ['a time alone on a draft', 'PATCH', '/v1/articles/a-draft', { publishedAt: past }, /left out for a draft/],
    ['a future time alone on a draft', 'PATCH', '/v1/articles/a-draft', { publishedAt: editor.clock.in(HOUR) }, /left out for a draft/],
    ['schedule a draft without a time', 'PATCH', '/v1/articles/a-draft', { status: 'scheduled' }, /needed to schedule/],
    ['schedule a draft in the past', 'PATCH', '/v1/articles/a-draft', { status: 'scheduled', publishedAt: past }, /future/],
    ['publish a draft in the future', 'PATCH', '/v1/articles/a-draft', { status: 'published', publishedAt: editor.clock.in(HOUR) }, /scheduled/],
    ['schedule a published article without a time', 'PATCH', '/v1/articles/already-out', { status: 'scheduled' }, /needed to schedule/],
    ['unpublish with a time', 'PATCH', '/v1/articles/already-out', { status: 'draft', publishedAt: past }, /left out for a draft/],
  ]
  const before = await snapshot(editor.store)
  for (const [name, method, url, body, why] of refused) {
    const res = await editor.send(method as 'POST' | 'PATCH', url, body)
    const problem = assertProblem(t, res, 400, '/problems/validation-failed', name)
    t.same(failingFields(res), ['body:publishedAt'], `${name}: names publishedAt`)
    t.match(problem.errors?.[0]?.detail, why, `${name}: says why`)
  }
  t.same(await snapshot(editor.store), before, 'nothing was written')
})

t.test('DELETE /v1/articles/:slug deletes for good, with comments, revisions and catalog entries', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, { ...HOT_STONE, status: 'published' })
  const id = (await getWithKey(editor, 'hot-stone')).json().id as number
  const comment = await editor.app.inject({ method: 'POST', url: '/v1/articles/hot-stone/comments', payload: { authorName: 'Ana', authorEmail: 'ana@example.com', body: 'Lovely and warm.' } })
  t.equal(comment.statusCode, 201, 'a comment to go with it')
  await patchArticle(t, editor, 'hot-stone', { title: 'Hot Stone II' })
  t.equal(await rowCount(editor.store, 'comments', 'article_id = ?', id), 1)
  t.equal(await rowCount(editor.store, 'article_revisions', 'article_id = ?', id), 1)
  t.ok((await catalogSlugs(editor.app, 'techniques')).includes('stone-placement'))

  const res = await editor.send('DELETE', '/v1/articles/hot-stone')
  t.equal(res.statusCode, 204)
  t.equal(res.body, '', 'no body')
  t.equal(res.headers['cache-control'], NO_STORE)
  assertProblem(t, await getWithKey(editor, 'hot-stone'), 404, '/problems/not-found', 'gone for editors')
  assertProblem(t, await editor.publicGet('/v1/articles/hot-stone'), 404, '/problems/not-found', 'gone for the public')
  assertProblem(t, await editor.publicGet('/v1/articles/hot-stone/comments'), 404, '/problems/not-found', 'its comments are gone')
  t.equal(await rowCount(editor.store, 'comments', 'article_id = ?', id), 0, 'comment rows cascade')
  t.equal(await rowCount(editor.store, 'article_revisions', 'article_id = ?', id), 0, 'revision rows cascade')
  t.equal(await rowCount(editor.store, 'article_entries', 'article_id = ?', id), 0, 'entry rows cascade')
  t.notOk((await catalogSlugs(editor.app, 'techniques')).includes('stone-placement'), 'the catalog follows')
  t.notOk((await publicSlugs(editor.app)).includes('hot-stone'))
  assertProblem(t, await editor.send('DELETE', '/v1/articles/hot-stone'), 404, '/problems/not-found', 'a second DELETE')
  assertProblem(t, await editor.send('DELETE', '/v1/articles/Bad_Slug'), 400, '/problems/validation-failed', 'a malformed slug')
  t.equal((await editor.publicGet(`/v1/articles/${SEED_SLUG}`)).statusCode, 200, 'other articles stay')

  await createArticle(t, editor, { title: 'Just A Draft' })
  t.equal((await editor.send('DELETE', '/v1/articles/just-a-draft')).statusCode, 204, 'a draft can be deleted')
  t.equal(await rowCount(editor.store, 'articles'), 1, 'only the seed is left')
})
