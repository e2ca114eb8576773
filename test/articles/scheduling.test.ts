import t, { type Test } from 'tap'
import {
  HOUR,
  MINUTE,
  SEED_SLUG,
  articleBody,
  assertProblem,
  catalogSlugs,
  createArticle,
  editorApp,
  entry,
  makeKey,
  patchArticle,
  publicSlugs,
  rowCount,
  type Editor,
} from './helpers.js'

const SLUG = 'hot-stone'
const SCHEDULED = articleBody('Hot Stone', { techniques: [entry('Stone Placement'), entry('Warm Kneading')], benefits: [entry('Deep Calm')] })
const COMMENT = { authorName: 'Ana', authorEmail: 'ana@example.com', body: 'Looking forward to this one.' }

/** What the public sees of the article, everywhere it could show up. */
async function publicViews(editor: Editor) {
  const { app } = editor
  return {
    list: (await publicSlugs(app)).includes(SLUG),
    article: await app.inject(`/v1/articles/${SLUG}`),
    techniques: await app.inject(`/v1/articles/${SLUG}/techniques`),
    benefits: await app.inject(`/v1/articles/${SLUG}/benefits`),
    comments: await app.inject(`/v1/articles/${SLUG}/comments`),
    techniqueCatalog: (await catalogSlugs(app, 'techniques')).includes('stone-placement'),
    benefitCatalog: (await catalogSlugs(app, 'benefits')).includes('deep-calm'),
    techniquePage: await app.inject('/v1/techniques/warm-kneading'),
    benefitPage: await app.inject('/v1/benefits/deep-calm'),
  }
}

async function assertHidden(t: Test, editor: Editor, when: string) {
  const views = await publicViews(editor)
  t.notOk(views.list, `${when}: not in GET /v1/articles`)
  for (const name of ['article', 'techniques', 'benefits', 'comments', 'techniquePage', 'benefitPage'] as const) {
    assertProblem(t, views[name], 404, '/problems/not-found', `${when}: ${name}`)
  }
  t.notOk(views.techniqueCatalog, `${when}: not in the techniques catalog`)
  t.notOk(views.benefitCatalog, `${when}: not in the benefits catalog`)
  const comment = await editor.app.inject({ method: 'POST', url: `/v1/articles/${SLUG}/comments`, payload: COMMENT })
  assertProblem(t, comment, 404, '/problems/not-found', `${when}: POST a comment`)
}

t.test('a scheduled article is invisible to the public until the clock passes publishedAt, then public with no write', async (t) => {
  const editor = await editorApp(t)
  const publishAt = editor.clock.in(3 * HOUR)
  const created = await createArticle(t, editor, { ...SCHEDULED, status: 'scheduled', publishedAt: publishAt })
  t.match(created, { status: 'scheduled', publishedAt: publishAt })
  await assertHidden(t, editor, 'just scheduled')
  const editorView = await editor.send('GET', `/v1/articles/${SLUG}`)
  t.equal(editorView.statusCode, 200, 'an editor sees it')
  t.equal(editorView.json().status, 'scheduled')
  const reader = (await makeKey(editor.store, ['comments:moderate'])).headers
  assertProblem(t, await editor.send('GET', `/v1/articles/${SLUG}`, undefined, reader), 404, '/problems/not-found', 'a key without content:write sees what the public sees')

  const stored = () => editor.store.get('SELECT version, updated_at, status, published_at FROM articles WHERE slug = ?', [SLUG])
  const before = await stored()
  t.match(before, { version: 1, status: 'published', published_at: publishAt }, 'stored as published at a future time')

  editor.clock.advance(3 * HOUR - MINUTE)
  await assertHidden(t, editor, 'a minute before')

  editor.clock.advance(MINUTE + 1)
  const views = await publicViews(editor)
  t.ok(views.list, 'now in GET /v1/articles')
  t.equal((await publicSlugs(editor.app))[0], SLUG, 'the newest: listed first')
  t.equal(views.article.statusCode, 200, 'GET by slug')
  t.match(views.article.json(), { status: 'published', publishedAt: publishAt }, 'reported published, at the scheduled time')
  t.same(views.techniques.json().data.map((e: { slug: string }) => e.slug), ['stone-placement', 'warm-kneading'], 'its techniques')
  t.same(views.benefits.json().data.map((e: { slug: string }) => e.slug), ['deep-calm'], 'its benefits')
  t.equal(views.comments.statusCode, 200, 'its comments')
  t.ok(views.techniqueCatalog, 'in the techniques catalog')
  t.ok(views.benefitCatalog, 'in the benefits catalog')
  t.equal(views.techniquePage.statusCode, 200)
  t.match(views.benefitPage.json(), { slug: 'deep-calm', articles: [{ articleSlug: SLUG }] })
  const list = (await editor.app.inject('/v1/articles?limit=100')).json().data as { slug: string; status: string }[]
  t.equal(list.find((a) => a.slug === SLUG)?.status, 'published', 'listed as published')
  t.equal((await editor.send('GET', `/v1/articles/${SLUG}`)).json().status, 'published', 'the editor sees it published too')
  t.same(await stored(), before, 'nothing was written: the clock alone made it public')
  t.equal(await rowCount(editor.store, 'article_revisions'), 0, 'no revision')

  const comment = await editor.app.inject({ method: 'POST', url: `/v1/articles/${SLUG}/comments`, payload: COMMENT })
  t.equal(comment.statusCode, 201, 'comments are taken now')
})

t.test('a scheduled article becomes public exactly at publishedAt', async (t) => {
  const editor = await editorApp(t)
  const at = editor.clock.in(HOUR)
  await createArticle(t, editor, { ...SCHEDULED, status: 'scheduled', publishedAt: at })
  editor.clock.set(new Date(Date.parse(at) - 1).toISOString())
  assertProblem(t, await editor.publicGet(`/v1/articles/${SLUG}`), 404, '/problems/not-found', 'a millisecond before')
  t.equal((await editor.send('GET', `/v1/articles/${SLUG}`)).json().status, 'scheduled')
  editor.clock.set(at)
  t.equal((await editor.publicGet(`/v1/articles/${SLUG}`)).statusCode, 200, 'at publishedAt')
  t.equal((await editor.send('GET', `/v1/articles/${SLUG}`)).json().status, 'published')
})

t.test('rescheduling, unscheduling and scheduling an existing published article', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, { ...SCHEDULED, status: 'scheduled', publishedAt: editor.clock.in(HOUR) })
  const later = editor.clock.in(5 * HOUR)
  await patchArticle(t, editor, SLUG, { publishedAt: later })
  editor.clock.advance(2 * HOUR)
  await assertHidden(t, editor, 'past the first time, before the new one')
  await patchArticle(t, editor, SLUG, { status: 'draft' })
  editor.clock.advance(4 * HOUR)
  await assertHidden(t, editor, 'unscheduled, past both times')

  // The seed is public: scheduling it takes it out of view until its new time.
  const seedAt = editor.clock.in(HOUR)
  t.match(await patchArticle(t, editor, SEED_SLUG, { status: 'scheduled', publishedAt: seedAt }), { status: 'scheduled', publishedAt: seedAt })
  assertProblem(t, await editor.publicGet(`/v1/articles/${SEED_SLUG}`), 404, '/problems/not-found', 'the seed, scheduled again')
  t.notOk((await catalogSlugs(editor.app, 'techniques')).includes('deep-pressure'), 'its techniques leave the catalog')
  t.same(await publicSlugs(editor.app), [], 'nothing is public')
  editor.clock.advance(HOUR)
  t.same(await publicSlugs(editor.app), [SEED_SLUG], 'back when its time comes')
  t.ok((await catalogSlugs(editor.app, 'techniques')).includes('deep-pressure'))
})

t.test('several scheduled articles come out one by one, in order', async (t) => {
  const editor = await editorApp(t)
  for (const [i, hours] of [3, 1, 2].entries()) {
    await createArticle(t, editor, { title: `Queued ${i}`, status: 'scheduled', publishedAt: editor.clock.in(hours * HOUR), sections: articleBody('x').sections })
  }
  const seen: string[][] = []
  for (let hour = 0; hour <= 3; hour++) {
    seen.push(await publicSlugs(editor.app))
    editor.clock.advance(HOUR)
  }
  t.same(seen, [
    [SEED_SLUG],
    ['queued-1', SEED_SLUG],
    ['queued-2', 'queued-1', SEED_SLUG],
    ['queued-0', 'queued-2', 'queued-1', SEED_SLUG],
  ], 'each at its time, newest first')
})
