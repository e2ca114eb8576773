import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { articleText } from '../helpers/app.js'
import {
  FIXTURE,
  HOT_STONE,
  HOUR,
  MINUTE,
  NO_STORE,
  SEED_SLUG,
  TEXT,
  allPages,
  articleBody,
  assertProblem,
  catalogSlugs,
  createArticle,
  editorApp,
  entry,
  failingFields,
  getWithKey,
  inject,
  listed,
  makeKey,
  patchArticle,
  publicSlugs,
  rowCount,
  snapshot,
  type Article,
  type Editor,
  type Headers,
} from './helpers.js'

t.test('PUT /v1/articles/:slug/techniques and /benefits replace the list, with the catalog following', async (t) => {
  const editor = await editorApp(t)
  const seed = (await getWithKey(editor, SEED_SLUG)).json() as Article
  const items = [
    { name: 'Hot & Cold Contrast', description: 'Alternating warmth and cold.' },
    { name: 'Kneading', description: 'Lifting and squeezing.' },
    { name: 'Deep Pressure', description: 'Firm, sustained pressure.' },
  ]
  const res = await editor.send('PUT', `/v1/articles/${SEED_SLUG}/techniques`, items)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], NO_STORE)
  const replaced = res.json() as Article
  t.same(listed(replaced, 'techniques'), [
    [1, 'Hot & Cold Contrast', 'hot-and-cold-contrast'],
    [2, 'Kneading', 'kneading'],
    [3, 'Deep Pressure', 'deep-pressure'],
  ], 'positions and slugs are derived')
  t.same(replaced.sections.map((s) => s.heading), seed.sections.map((s) => s.heading), 'the list stays in its section')
  t.same(listed(replaced, 'benefits'), listed(seed, 'benefits'), 'the benefits are untouched')
  t.equal(replaced.title, seed.title)
  t.not(replaced.wordCount, seed.wordCount, 'the word count follows')
  t.equal((await editor.publicGet(`/v1/articles/${SEED_SLUG}`)).headers.etag, res.headers.etag, 'the ETag is the one a GET gives')

  const publicList = await editor.publicGet(`/v1/articles/${SEED_SLUG}/techniques`)
  t.same(publicList.json().data, items.map((item, i) => ({ position: i + 1, name: item.name, slug: listed(replaced, 'techniques')[i]![2], description: item.description })), 'the article\'s list follows at once')
  const catalog = await catalogSlugs(editor.app, 'techniques')
  t.ok(catalog.includes('hot-and-cold-contrast') && catalog.includes('kneading'), 'new entries are in the catalog at once')
  t.notOk(catalog.includes('friction'), 'dropped entries leave the catalog at once')
  assertProblem(t, await editor.publicGet('/v1/techniques/stripping'), 404, '/problems/not-found', 'a dropped technique\'s page')
  t.match((await editor.publicGet('/v1/techniques/deep-pressure')).json(), { description: 'Firm, sustained pressure.' }, 'a kept slug has the new wording')

  const reordered = await editor.send('PUT', `/v1/articles/${SEED_SLUG}/techniques`, [items[2], items[0]])
  t.same(listed(reordered.json(), 'techniques'), [[1, 'Deep Pressure', 'deep-pressure'], [2, 'Hot & Cold Contrast', 'hot-and-cold-contrast']], 'the new order')

  const benefits = await editor.send('PUT', `/v1/articles/${SEED_SLUG}/benefits`, [{ name: 'Better Sleep', description: 'Sleep comes easier.' }])
  t.equal(benefits.statusCode, 200)
  t.same(listed(benefits.json(), 'benefits'), [[1, 'Better Sleep', 'better-sleep']])
  t.same(listed(benefits.json(), 'techniques'), [[1, 'Deep Pressure', 'deep-pressure'], [2, 'Hot & Cold Contrast', 'hot-and-cold-contrast']], 'the techniques are untouched')
  t.same(await catalogSlugs(editor.app, 'benefits'), ['better-sleep'])

  const emptied = await editor.send('PUT', `/v1/articles/${SEED_SLUG}/techniques`, [])
  t.equal(emptied.statusCode, 200)
  const withoutList = emptied.json() as Article
  t.same(listed(withoutList, 'techniques'), [], 'an empty list removes the list')
  t.notOk(withoutList.sections.some((s) => s.heading === 'Techniques Used in Deep Tissue Massage'), 'and the section it leaves empty')
  t.equal(withoutList.sections.length, seed.sections.length - 1)
  t.same((await editor.publicGet(`/v1/articles/${SEED_SLUG}/techniques`)).json().data, [])
  t.same(await catalogSlugs(editor.app, 'techniques'), [], 'the catalog is empty')

  const added = await editor.send('PUT', `/v1/articles/${SEED_SLUG}/techniques`, [{ name: 'Stripping', description: 'Along the muscle.' }])
  const sections = (added.json() as Article).sections
  t.match(sections.at(-1), { heading: 'Techniques', slug: 'techniques', blocks: [{ type: 'list', kind: 'techniques', items: [{ position: 1, name: 'Stripping', slug: 'stripping' }] }] }, 'without a list, a section "Techniques" is added at the end')
})

t.test('PUT on an article without such a list adds a section; drafts stay out of the catalog', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, articleBody('Plain', { techniques: [entry('Kneading')] }))
  const res = await editor.send('PUT', '/v1/articles/plain/benefits', [entry('Calm'), entry('Warmth')])
  t.equal(res.statusCode, 200)
  const article = res.json() as Article
  t.same(article.sections.map((s) => [s.heading, s.slug]), [
    [undefined, 'introduction'],
    ['Techniques Used', 'techniques-used'],
    ['Conclusion', 'conclusion'],
    ['Benefits', 'benefits'],
  ])
  t.same(listed(article, 'benefits'), [[1, 'Calm', 'calm'], [2, 'Warmth', 'warmth']])
  t.notOk((await catalogSlugs(editor.app, 'benefits')).includes('calm'), 'a draft\'s list is not in the catalog')
  t.equal((await editor.send('PUT', '/v1/articles/plain/benefits', [])).json().sections.length, 3, 'emptied again: the added section goes')

  await createArticle(t, editor, { title: 'Has Benefits Heading', sections: [{ heading: 'Benefits', blocks: [{ type: 'paragraph', text: 'Many.' }] }] })
  const numbered = await editor.send('PUT', '/v1/articles/has-benefits-heading/benefits', [entry('Calm')])
  t.same((numbered.json() as Article).sections.map((s) => s.slug), ['benefits', 'benefits-2'], 'the added section gets a slug of its own')
})

t.test('PUT refuses blank names, names without letters and other bad lists, writing nothing', async (t) => {
  const editor = await editorApp(t)
  const before = await snapshot(editor.store)
  const url = `/v1/articles/${SEED_SLUG}/techniques`
  const refused: [string, unknown, string[]][] = [
    ['an empty name', [{ name: '', description: 'x' }], ['body:0/name']],
    ['a blank name', [{ name: '   ', description: 'x' }], ['body:0/name']],
    ['a name without letters', [entry('Fine'), { name: '!!', description: 'x' }], ['body:1/name']],
    ['no name', [{ description: 'x' }], ['body:0/name']],
    ['a blank description', [{ name: 'Fine', description: ' ' }], ['body:0/description']],
    ['an unknown field', [{ name: 'Fine', description: 'x', position: 3 }], ['body:0/position']],
    ['an object instead of a list', { name: 'Fine', description: 'x' }, ['body:body']],
  ]
  for (const [name, body, fields] of refused) {
    const res = await editor.send('PUT', url, body)
    assertProblem(t, res, 400, '/problems/validation-failed', name)
    t.same(failingFields(res), fields, `${name}: names ${fields.join(', ')}`)
  }
  assertProblem(t, await editor.send('PUT', `/v1/articles/${SEED_SLUG}/benefits`, [{ name: '—', description: 'x' }]), 400, '/problems/validation-failed', 'benefits: a name without letters')
  assertProblem(t, await editor.send('PUT', '/v1/articles/no-such-article/techniques', [entry('Fine')]), 404, '/problems/not-found', 'an unknown article')
  t.same(await snapshot(editor.store), before, 'nothing was written')
})

t.test('POST /v1/imports turns plain text into a draft, or a published article with ?publish=true', async (t) => {
  const editor = await editorApp(t)
  const res = await editor.send('POST', '/v1/imports', FIXTURE('hot-stone-massage'), TEXT)
  t.equal(res.statusCode, 201)
  const slug = 'hot-stone-massage-benefits-techniques-and-what-to-expect'
  t.equal(res.headers.location, `/v1/articles/${slug}`)
  t.equal(res.headers['cache-control'], NO_STORE)
  const draft = res.json() as Article
  t.match(draft, { slug, title: 'Hot Stone Massage: Benefits, Techniques and What to Expect', status: 'draft', publishedAt: null })
  t.match(draft.summary, /^Few spa treatments feel as indulgent/)
  t.same(listed(draft, 'techniques').map((e) => e[1]), ['Stone Placement', 'Gliding Strokes', 'Hot and Cold Contrast', 'Kneading'], 'its techniques, as the seed parser reads them')
  t.equal(listed(draft, 'benefits').length, 4)
  const { notes, ...article } = draft as Article & { notes: unknown[] }
  t.notMatch(JSON.stringify(article), /Leave a Reply|Related Posts/, 'the page chrome is dropped (the notes say so)')
  t.ok(notes.length > 0)
  t.equal((await getWithKey(editor, slug)).headers.etag, res.headers.etag, 'the ETag is the one a GET gives')
  assertProblem(t, await editor.publicGet(`/v1/articles/${slug}`), 404, '/problems/not-found', 'a draft import is not public')
  t.notOk((await catalogSlugs(editor.app, 'techniques')).includes('stone-placement'))

  editor.clock.advance(MINUTE)
  const published = await editor.send('POST', '/v1/imports?publish=true', FIXTURE('reflexology'), { 'content-type': 'text/plain' })
  t.equal(published.statusCode, 201)
  t.match(published.json(), { slug: 'reflexology-pressure-points-benefits-and-what-to-expect', status: 'published', publishedAt: editor.clock.iso() })
  const publicView = await editor.publicGet('/v1/articles/reflexology-pressure-points-benefits-and-what-to-expect')
  t.equal(publicView.statusCode, 200, 'published at once')
  t.equal((await publicSlugs(editor.app))[0], 'reflexology-pressure-points-benefits-and-what-to-expect', 'listed first')
  const techniques = listed(published.json(), 'techniques').map((e) => e[2] as string)
  t.ok(techniques.length > 0)
  const catalog = await catalogSlugs(editor.app, 'techniques')
  t.ok(techniques.every((slug) => catalog.includes(slug)), 'its techniques are in the catalog at once')

  const small = await editor.send('POST', '/v1/imports?publish=false', articleText('Tiny Tips', ['Tapping']), TEXT)
  t.match(small.json(), { slug: 'tiny-tips', status: 'draft' }, 'publish=false: a draft')
})

t.test('POST /v1/imports refuses what is no article (422), JSON (415), a taken slug (409), bad queries (400)', async (t) => {
  const editor = await editorApp(t)
  const before = await snapshot(editor.store)
  const unparseable: [string, string, RegExp][] = [
    ['a title and nothing else', 'Just A Title', /title but no paragraphs or lists/],
    ['an empty body', '', /empty/],
    ['blank lines only', '\n\n  \n', /empty/],
    ['control characters', 'A Title\u0001\n\nA paragraph that is long enough.', /binary/],
    ['a first line without letters', '!!!\n\nA paragraph of the article.', /has no title/],
    ['a title without a letter a slug can take', '指圧マッサージ\n\nA paragraph of the article.', /no letters or digits to make a slug/],
  ]
  for (const [name, text, why] of unparseable) {
    const res = await editor.send('POST', '/v1/imports', text, TEXT)
    const problem = assertProblem(t, res, 422, '/problems/unprocessable-content', name)
    t.match(problem.detail, why, `${name}: says why`)
    t.match(problem.detail, /^The text is not an article: /)
  }
  const asJson = await editor.send('POST', '/v1/imports', { text: articleText('Json Article') })
  assertProblem(t, asJson, 415, '/problems/unsupported-media-type', 'a JSON body')
  const jsonString = await editor.send('POST', '/v1/imports', JSON.stringify(articleText('Json Article')), { 'content-type': 'application/json' })
  assertProblem(t, jsonString, 415, '/problems/unsupported-media-type', 'a JSON string')
  assertProblem(t, await editor.send('POST', '/v1/imports', articleText('Html Article'), { 'content-type': 'text/html' }), 415, '/problems/unsupported-media-type', 'text/html')
  assertProblem(t, await editor.send('POST', '/v1/imports', 'x', { 'content-type': 'text/plainish' }), 415, '/problems/unsupported-media-type', 'text/plainish')

  const taken = await editor.send('POST', '/v1/imports', articleText('Lower Back Pain Deep Tissue Massage'), TEXT)
  assertProblem(t, taken, 409, '/problems/conflict', 'a taken slug')
  for (const query of ['publish=maybe', 'draft=true']) {
    const res = await editor.send('POST', `/v1/imports?${query}`, articleText('Query Article'), TEXT)
    assertProblem(t, res, 400, '/problems/validation-failed', query)
    t.equal(res.json().errors[0].in, 'query')
  }
  t.same(await snapshot(editor.store), before, 'nothing was written')
})

/**
 * The conditional writes: each returns a request that changes the fresh article `slug` (made by
 * `prepare`) when given the headers, and the status it succeeds with.
 */
const conditionalWrites: { name: string; success: number; prepare?: (t: Test, editor: Editor, slug: string) => Promise<void>; write: (editor: Editor, slug: string, headers: Headers) => Promise<LightMyRequestResponse> }[] = [
  { name: 'PATCH', success: 200, write: (editor, slug, headers) => editor.send('PATCH', `/v1/articles/${slug}`, { title: 'Changed Title' }, headers) },
  { name: 'DELETE', success: 204, write: (editor, slug, headers) => editor.send('DELETE', `/v1/articles/${slug}`, undefined, headers) },
  { name: 'PUT techniques', success: 200, write: (editor, slug, headers) => editor.send('PUT', `/v1/articles/${slug}/techniques`, [entry('Cupping')], headers) },
  { name: 'PUT benefits', success: 200, write: (editor, slug, headers) => editor.send('PUT', `/v1/articles/${slug}/benefits`, [entry('Calm')], headers) },
  {
    name: 'restore',
    success: 200,
    write: async (editor, slug, headers) => {
      const revisions = (await editor.send('GET', `/v1/articles/${slug}/revisions`)).json().data as { version: number }[]
      return editor.send('POST', `/v1/articles/${slug}/revisions/${revisions.at(-1)!.version}/restore`, undefined, headers)
    },
  },
]

t.test('If-Match: a stale tag is a 412 that writes nothing; a matching tag, *, or none lets the write through', async (t) => {
  const editor = await editorApp(t)
  let serial = 0
  /** A fresh article whose current ETag is returned, with one revision behind it and a stale ETag of that revision. */
  async function fresh(t: Test) {
    const slug = `conditional-${++serial}`
    await createArticle(t, editor, { ...articleBody(`Conditional ${serial}`, { techniques: [entry('Kneading')] }), slug })
    const stale = String((await getWithKey(editor, slug)).headers.etag)
    editor.clock.advance(MINUTE)
    const current = String((await editor.send('PATCH', `/v1/articles/${slug}`, { title: `Conditional ${serial} Revised` })).headers.etag)
    t.not(stale, current, 'a change gives a new ETag')
    return { slug, stale, current }
  }
  for (const write of conditionalWrites) {
    t.test(write.name, async (t) => {
      const { slug, stale, current } = await fresh(t)
      const before = await snapshot(editor.store)
      for (const ifMatch of [stale, `W/${current}`, '"nonsense"', current.slice(1, -1), `${stale}, "other"`]) {
        const res = await write.write(editor, slug, { 'if-match': ifMatch })
        const problem = assertProblem(t, res, 412, '/problems/precondition-failed', `If-Match: ${ifMatch}`)
        t.equal(res.headers.etag, current, `${ifMatch}: the 412 carries the current ETag`)
        t.match(problem.detail, current, 'and says it')
        t.equal(res.headers['cache-control'], NO_STORE)
      }
      t.same(await snapshot(editor.store), before, 'nothing was written')

      for (const [label, ifMatch] of [['the matching tag', (tag: string) => tag], ['*', () => '*'], ['a list with the tag', (tag: string) => `"other", ${tag}`], ['no If-Match', undefined]] as const) {
        const target = await fresh(t)
        const unwritten = JSON.stringify(await snapshot(editor.store))
        const res = await write.write(editor, target.slug, ifMatch ? { 'if-match': ifMatch(target.current) } : {})
        t.equal(res.statusCode, write.success, `${label}: ${write.success} (${res.body.slice(0, 200)})`)
        t.not(JSON.stringify(await snapshot(editor.store)), unwritten, `${label}: written`)
        if (write.success === 200) t.equal((await getWithKey(editor, target.slug)).headers.etag, res.headers.etag, `${label}: the new ETag is the one a GET gives`)
        else assertProblem(t, await getWithKey(editor, target.slug), 404, '/problems/not-found', `${label}: deleted`)
      }
    })
  }
  t.test('If-Match is checked after the slug: an unknown article is a 404', async (t) => {
    assertProblem(t, await editor.send('PATCH', '/v1/articles/no-such-article', { title: 'X' }, { 'if-match': '"x"' }), 404, '/problems/not-found')
  })
})

// The router ignores a trailing slash, so the Location must not be built by appending to the request path as it came.
t.test('racing writes: of creates with one slug one wins and the rest are 409s; of changes with one If-Match one wins and the rest are 412s', async (t) => {
  const editor = await editorApp(t)
  const RACERS = 6
  const creates = await Promise.all(Array.from({ length: RACERS }, () => editor.send('POST', '/v1/articles', HOT_STONE)))
  t.same(creates.map((res) => res.statusCode).sort(), [201, ...Array<number>(RACERS - 1).fill(409)], 'one 201, every other a 409')
  for (const res of creates.filter((res) => res.statusCode === 409)) assertProblem(t, res, 409, '/problems/conflict', 'a lost create')
  t.equal(await rowCount(editor.store, 'articles', 'slug = ?', 'hot-stone'), 1, 'one article')

  const etag = String(creates.find((res) => res.statusCode === 201)!.headers.etag)
  const changes = await Promise.all(Array.from({ length: RACERS }, (_, i) => editor.send('PATCH', '/v1/articles/hot-stone', { title: `Hot Stone ${i}` }, { 'if-match': etag })))
  t.same(changes.map((res) => res.statusCode).sort(), [200, ...Array<number>(RACERS - 1).fill(412)], 'one 200, every other a 412')
  const winner = changes.find((res) => res.statusCode === 200)!.json() as Article
  t.equal((await getWithKey(editor, 'hot-stone')).json().title, winner.title, 'the winner\'s change is the article')
  t.equal(await rowCount(editor.store, 'article_revisions'), 1, 'one change, one revision')
})

t.test('POST /v1/articles/ (with a trailing slash) answers a Location that leads to the article', async (t) => {
  const editor = await editorApp(t)
  const res = await editor.send('POST', '/v1/articles/', { title: 'Trailing Slash' })
  t.equal(res.statusCode, 201, 'the router takes the trailing slash')
  t.equal(res.headers.location, '/v1/articles/trailing-slash', 'Location names the article')
  t.equal((await editor.send('GET', String(res.headers.location))).statusCode, 200, 'and a GET of the Location finds it')
})

t.test('If-Match takes the ETag of any read of the article (format, fields, content coding) while it is unchanged', async (t) => {
  const editor = await editorApp(t)
  const url = `/v1/articles/${SEED_SLUG}`
  const reads = ['', '?format=html', '?format=markdown', '?format=text', '?fields=title,slug', '?format=html&fields=html']
  const tags: string[] = []
  for (const query of reads) {
    for (const headers of [{}, { 'accept-encoding': 'br' }, { 'accept-encoding': 'gzip' }] as Record<string, string>[]) {
      const publicRead = await editor.app.inject({ url: `${url}${query}`, headers })
      const editorRead = await editor.send('GET', `${url}${query}`, undefined, headers)
      for (const res of [publicRead, editorRead]) {
        t.equal(res.statusCode, 200, `GET ${query || '(plain)'} ${JSON.stringify(headers)}`)
        tags.push(String(res.headers.etag))
      }
    }
  }
  t.ok(new Set(tags).size >= reads.length, 'the representations have tags of their own')
  const before = await snapshot(editor.store)
  for (const tag of new Set(tags)) {
    const res = await editor.send('PATCH', url, { title: 'Lower Back Pain Deep Tissue Massage' }, { 'if-match': tag })
    t.equal(res.statusCode, 200, `If-Match: ${tag} names the current version`)
  }
  t.same(await snapshot(editor.store), before, 'a PATCH to the same title changes nothing')
  const changed = await editor.send('PATCH', url, { title: 'Lower Back Pain, Changed' })
  t.equal(changed.statusCode, 200)
  for (const tag of new Set(tags)) {
    assertProblem(t, await editor.send('PATCH', url, { title: 'Stale' }, { 'if-match': tag }), 412, '/problems/precondition-failed', `If-Match: ${tag} after a change`)
  }
  const htmlNow = await editor.app.inject(`/v1/articles/${SEED_SLUG}?format=html`)
  t.equal((await editor.send('PATCH', url, { title: 'Lower Back Pain, Again' }, { 'if-match': String(htmlNow.headers.etag) })).statusCode, 200, 'a fresh format=html tag works again')
})

t.test('a 404 to an editor does not speak of published articles', async (t) => {
  const editor = await editorApp(t)
  const asEditor = await editor.send('GET', '/v1/articles/no-such-article')
  assertProblem(t, asEditor, 404, '/problems/not-found')
  t.equal(asEditor.json().detail, 'There is no article with the slug "no-such-article".')
  const asPublic = await editor.publicGet('/v1/articles/no-such-article')
  t.equal(asPublic.json().detail, 'No published article has the slug "no-such-article".')
})

t.test('editors list every article, drafts and scheduled ones included, newest change first, filtered by status', async (t) => {
  const editor = await editorApp(t)
  editor.clock.advance(MINUTE)
  const imported = await editor.send('POST', '/v1/imports', articleText('Imported Draft'), { 'content-type': 'text/plain; charset=utf-8' })
  t.equal(imported.statusCode, 201)
  editor.clock.advance(MINUTE)
  await createArticle(t, editor, { title: 'Scheduled Piece', status: 'scheduled', publishedAt: editor.clock.in(HOUR) })
  editor.clock.advance(MINUTE)
  await createArticle(t, editor, { title: 'Fresh Draft' })
  const slugsOf = async (query: string) => {
    const pages = await allPages<{ slug: string; status: string }>(editor.app, `/v1/editorial/articles?limit=1${query}`, editor.writer)
    return pages.flat().map((item) => `${item.slug} ${item.status}`)
  }
  t.same(await slugsOf(''), ['fresh-draft draft', 'scheduled-piece scheduled', 'imported-draft draft', `${SEED_SLUG} published`], 'every article, newest change first, over pages of one')
  t.same(await slugsOf('&status=draft'), ['fresh-draft draft', 'imported-draft draft'])
  t.same(await slugsOf('&status=scheduled'), ['scheduled-piece scheduled'])
  t.same(await slugsOf('&status=published'), [`${SEED_SLUG} published`])
  editor.clock.advance(MINUTE)
  await patchArticle(t, editor, 'imported-draft', { title: 'Imported Draft, Edited' })
  t.same((await slugsOf('&status=draft'))[0], 'imported-draft draft', 'a change puts it first')
  editor.clock.advance(2 * HOUR)
  t.same(await slugsOf('&status=scheduled'), [], 'a scheduled article whose time has come is published')

  const list = await editor.send('GET', '/v1/editorial/articles')
  t.equal(list.headers['cache-control'], NO_STORE, 'never cached')
  assertProblem(t, await editor.publicGet('/v1/editorial/articles'), 401, '/problems/unauthorized', 'without a key')
  assertProblem(t, await inject(editor.app, 'GET', '/v1/editorial/articles', undefined, (await makeKey(editor.store, ['comments:moderate'])).headers), 403, '/problems/forbidden', 'with another scope')
  const wrong = await editor.send('GET', '/v1/editorial/articles?status=archived')
  assertProblem(t, wrong, 400, '/problems/validation-failed', 'an unknown status')
  t.match(wrong.json().errors[0].detail, /must be one of: "draft", "scheduled", "published"/)
})
