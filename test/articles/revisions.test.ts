import t from 'tap'
import { ArticleRepository } from '../../src/articles/repository.js'
import { articleText, saveText } from '../helpers/app.js'
import {
  HOUR,
  MINUTE,
  NO_STORE,
  SEED_SLUG,
  T0,
  allPages,
  articleBody,
  assertProblem,
  catalogSlugs,
  createArticle,
  editorApp,
  entry,
  failingFields,
  inject,
  listed,
  makeKey,
  nextLink,
  patchArticle,
  rowCount,
  snapshot,
  type Article,
} from './helpers.js'

interface RevisionSummary {
  id: number
  version: number
  title: string
  status: string
  publishedAt: string | null
  savedAt: string
  replacedAt: string
}
interface Revision extends RevisionSummary {
  sections: Article['sections']
}

const SUMMARY_KEYS = ['id', 'publishedAt', 'replacedAt', 'savedAt', 'slug', 'status', 'title', 'version']
const HOT_STONE = articleBody('Hot Stone', { techniques: [entry('Stone Placement')] })

t.test('each saved change keeps the version it replaces, newest first', async (t) => {
  const editor = await editorApp(t)
  const v1 = await createArticle(t, editor, HOT_STONE)
  const empty = await editor.send('GET', '/v1/articles/hot-stone/revisions')
  t.equal(empty.statusCode, 200)
  t.same(empty.json(), { data: [], meta: { limit: 20, nextCursor: null } }, 'a new article has no revisions')
  t.equal(empty.headers['cache-control'], NO_STORE, 'never cached')

  editor.clock.advance(MINUTE)
  const v2 = await patchArticle(t, editor, 'hot-stone', { title: 'Hot Stone Therapy' })
  editor.clock.advance(MINUTE)
  const v3 = await patchArticle(t, editor, 'hot-stone', { status: 'published' })
  editor.clock.advance(MINUTE)
  const v4res = await editor.send('PUT', '/v1/articles/hot-stone/techniques', [entry('Kneading')])
  t.equal(v4res.statusCode, 200)
  editor.clock.advance(MINUTE)
  const v5 = await patchArticle(t, editor, 'hot-stone', { sections: articleBody('x', { intro: 'Rewritten from scratch.' }).sections })

  const list = await editor.send('GET', '/v1/articles/hot-stone/revisions')
  t.equal(list.statusCode, 200)
  const revisions = list.json().data as RevisionSummary[]
  t.equal(revisions.length, 4, 'four changes, four revisions')
  for (const revision of revisions) t.same(Object.keys(revision).sort(), SUMMARY_KEYS, `revision ${revision.version}: summary fields, no body`)
  t.same(revisions.map((r) => r.version), [4, 3, 2, 1], 'newest first')
  t.ok(revisions.every((r, i) => i === 0 || r.id < revisions[i - 1]!.id), 'ids descend')
  const minute = (n: number) => new Date(Date.parse(T0) + n * MINUTE).toISOString()
  t.match(revisions.at(-1), { version: 1, title: 'Hot Stone', status: 'draft', publishedAt: null, savedAt: T0, replacedAt: minute(1) }, 'the first version, as created')
  t.match(revisions[2], { version: 2, title: 'Hot Stone Therapy', status: 'draft', publishedAt: null, savedAt: minute(1), replacedAt: minute(2) }, 'the retitled draft')
  t.match(revisions[1], { version: 3, title: 'Hot Stone Therapy', status: 'published', publishedAt: minute(2), savedAt: minute(2), replacedAt: minute(3) }, 'the published version')
  t.match(revisions[0], { version: 4, status: 'published', savedAt: minute(3), replacedAt: minute(4) })

  const bodies = await Promise.all(revisions.map((r) => editor.send('GET', `/v1/articles/hot-stone/revisions/${r.version}`)))
  for (const res of bodies) {
    t.equal(res.statusCode, 200)
    t.equal(res.headers['cache-control'], NO_STORE)
  }
  const [r4, r3, r2, r1] = bodies.map((res) => res.json() as Revision)
  t.same(r1!.sections, v1.sections, 'version 1 keeps the created body')
  t.same(r2!.sections, v2.sections)
  t.same(r3!.sections, v3.sections)
  t.same(listed(r4 as unknown as Article, 'techniques'), [[1, 'Kneading', 'kneading']], 'version 4 has the replaced list')
  t.same(Object.keys(r1!).sort(), [...SUMMARY_KEYS, 'sections'].sort(), 'a revision has its body')
  t.match(r1, revisions.at(-1)!, 'and the summary fields of the list')
  t.equal(v5.summary, 'Rewritten from scratch.')
})

t.test('a change that changes nothing makes no revision and keeps the ETag', async (t) => {
  const editor = await editorApp(t)
  const created = await createArticle(t, editor, HOT_STONE)
  const etag = (await editor.send('GET', '/v1/articles/hot-stone')).headers.etag
  editor.clock.advance(HOUR)
  const same = await editor.send('PATCH', '/v1/articles/hot-stone', { title: 'Hot Stone', status: 'draft', sections: HOT_STONE.sections })
  t.equal(same.statusCode, 200)
  t.equal(same.headers.etag, etag, 'the same ETag')
  t.equal(same.json().updatedAt, created.updatedAt, 'updatedAt is kept')
  const sameList = await editor.send('PUT', '/v1/articles/hot-stone/techniques', [entry('Stone Placement')])
  t.equal(sameList.statusCode, 200)
  t.equal(sameList.headers.etag, etag, 'the same list: the same ETag')
  t.equal(await rowCount(editor.store, 'article_revisions'), 0, 'no revisions')
  t.same((await editor.send('GET', '/v1/articles/hot-stone/revisions')).json().data, [])
})

t.test('revisions page with a cursor over more than one page', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, HOT_STONE)
  for (let i = 1; i <= 10; i++) {
    editor.clock.advance(MINUTE)
    await patchArticle(t, editor, 'hot-stone', { title: `Hot Stone ${i}` })
  }
  const all = (await editor.send('GET', '/v1/articles/hot-stone/revisions?limit=100')).json().data as RevisionSummary[]
  t.equal(all.length, 10)
  t.same(all.map((r) => r.title), ['Hot Stone 9', 'Hot Stone 8', 'Hot Stone 7', 'Hot Stone 6', 'Hot Stone 5', 'Hot Stone 4', 'Hot Stone 3', 'Hot Stone 2', 'Hot Stone 1', 'Hot Stone'], 'each the title before the change, newest first')

  const first = await editor.send('GET', '/v1/articles/hot-stone/revisions?limit=3')
  t.equal(first.json().meta.limit, 3)
  t.type(first.json().meta.nextCursor, 'string', 'a next cursor')
  t.match(nextLink(first), /^\/v1\/articles\/hot-stone\/revisions\?limit=3&cursor=/, 'a Link rel=next keeping the limit')
  const pages = await allPages<RevisionSummary>(editor.app, '/v1/articles/hot-stone/revisions?limit=3', editor.writer)
  t.same(pages.map((page) => page.length), [3, 3, 3, 1], 'pages of 3')
  t.same(pages.flat(), all, 'the pages together are the whole list, without repeats')
  const exact = await allPages<RevisionSummary>(editor.app, '/v1/articles/hot-stone/revisions?limit=5', editor.writer)
  t.same(exact.map((page) => page.length), [5, 5], 'a full last page has no next page')

  await createArticle(t, editor, { title: 'Other Article' })
  await patchArticle(t, editor, 'other-article', { title: 'Other Article 2' })
  const cursor = first.json().meta.nextCursor as string
  const foreign = await editor.send('GET', `/v1/articles/other-article/revisions?cursor=${encodeURIComponent(cursor)}`)
  assertProblem(t, foreign, 400, '/problems/validation-failed', 'a cursor of another article\'s revisions')
  t.same(failingFields(foreign), ['query:cursor'])
  for (const query of ['limit=0', 'limit=101', 'cursor=nonsense', 'status=draft']) {
    const res = await editor.send('GET', `/v1/articles/hot-stone/revisions?${query}`)
    assertProblem(t, res, 400, '/problems/validation-failed', query)
    t.equal(res.json().errors[0].in, 'query')
  }
})

t.test('restoring a revision makes its title and body current as a new version; status stays', async (t) => {
  const editor = await editorApp(t)
  const v1 = await createArticle(t, editor, HOT_STONE)
  editor.clock.advance(MINUTE)
  await patchArticle(t, editor, 'hot-stone', { title: 'Hot Stone Deluxe', status: 'published', sections: articleBody('x', { intro: 'The deluxe edition.', techniques: [entry('Kneading')] }).sections })
  const publishedAt = editor.clock.iso()
  const before = (await editor.send('GET', '/v1/articles/hot-stone')).json() as Article
  t.ok((await catalogSlugs(editor.app, 'techniques')).includes('kneading'))
  const [first] = (await editor.send('GET', '/v1/articles/hot-stone/revisions')).json().data as RevisionSummary[]
  t.equal(first!.version, 1)

  editor.clock.advance(MINUTE)
  const res = await editor.send('POST', `/v1/articles/hot-stone/revisions/${first!.version}/restore`)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], NO_STORE)
  const restored = res.json() as Article
  t.equal(restored.title, 'Hot Stone', 'the title of the revision')
  t.same(restored.sections, v1.sections, 'the body of the revision')
  t.equal(restored.summary, v1.summary, 'derived fields follow')
  t.equal(restored.wordCount, v1.wordCount)
  t.match(restored, { status: 'published', publishedAt, updatedAt: editor.clock.iso() }, 'the status and publication time stay; updatedAt is now')
  t.equal((await editor.send('GET', '/v1/articles/hot-stone')).headers.etag, res.headers.etag, 'the ETag is the one a GET gives')
  t.equal((await editor.publicGet('/v1/articles/hot-stone')).json().title, 'Hot Stone', 'the public sees the restored version')
  const catalog = await catalogSlugs(editor.app, 'techniques')
  t.ok(catalog.includes('stone-placement') && !catalog.includes('kneading'), 'the catalog follows the restore')

  const after = (await editor.send('GET', '/v1/articles/hot-stone/revisions')).json().data as RevisionSummary[]
  t.same(after.map((r) => r.version), [2, 1], 'the replaced version became a revision')
  t.match(after[0], { title: 'Hot Stone Deluxe', status: 'published', publishedAt })
  t.same((await editor.send('GET', `/v1/articles/hot-stone/revisions/${after[0]!.version}`)).json().sections, before.sections, 'with the body it had')

  const again = await editor.send('POST', `/v1/articles/hot-stone/revisions/${first!.version}/restore`)
  t.equal(again.statusCode, 200)
  t.equal(again.headers.etag, res.headers.etag, 'restoring what is current changes nothing')
  t.equal(await rowCount(editor.store, 'article_revisions'), 2, 'and makes no revision')

  const back = await editor.send('POST', `/v1/articles/hot-stone/revisions/${after[0]!.version}/restore`)
  t.equal(back.json().title, 'Hot Stone Deluxe', 'a restore can be undone by restoring the revision it made')
  t.same(back.json().sections, before.sections)
})

t.test('restore keeps a draft a draft and a scheduled article scheduled', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, HOT_STONE)
  await patchArticle(t, editor, 'hot-stone', { title: 'Second Title' })
  const at = editor.clock.in(HOUR)
  await patchArticle(t, editor, 'hot-stone', { status: 'scheduled', publishedAt: at })
  const revisions = (await editor.send('GET', '/v1/articles/hot-stone/revisions')).json().data as RevisionSummary[]
  const restored = await editor.send('POST', `/v1/articles/hot-stone/revisions/${revisions.at(-1)!.version}/restore`)
  t.match(restored.json(), { title: 'Hot Stone', status: 'scheduled', publishedAt: at })
  assertProblem(t, await editor.publicGet('/v1/articles/hot-stone'), 404, '/problems/not-found', 'still not public')

  await patchArticle(t, editor, 'hot-stone', { title: 'Edited While Scheduled' })
  const latest = (await editor.send('GET', '/v1/articles/hot-stone/revisions')).json().data[0] as RevisionSummary
  t.match(latest, { title: 'Hot Stone', status: 'scheduled', publishedAt: at }, 'a revision of a scheduled version says scheduled')
  editor.clock.advance(2 * HOUR)
  t.match((await editor.send('GET', `/v1/articles/hot-stone/revisions/${latest.version}`)).json(), { status: 'published', publishedAt: at }, 'and published once its time has come')

  await patchArticle(t, editor, 'hot-stone', { status: 'draft' })
  const publishedRevision = (await editor.send('GET', '/v1/articles/hot-stone/revisions')).json().data[0] as RevisionSummary
  t.match(publishedRevision, { status: 'published' })
  const draft = await editor.send('POST', `/v1/articles/hot-stone/revisions/${publishedRevision.version}/restore`)
  t.match(draft.json(), { title: 'Edited While Scheduled', status: 'draft', publishedAt: null }, 'restoring a published version does not publish a draft')
})

t.test('unknown revisions, revisions of another article and unknown articles are 404s', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, HOT_STONE)
  await patchArticle(t, editor, 'hot-stone', { title: 'Hot Stone 2' })
  await createArticle(t, editor, { title: 'Other Article' })
  await patchArticle(t, editor, 'other-article', { title: 'Other Article 2' })
  await patchArticle(t, editor, 'other-article', { title: 'Other Article 3' })
  const own = ((await editor.send('GET', '/v1/articles/hot-stone/revisions')).json().data as RevisionSummary[])[0]!.version
  // Another article's revision: a version number that article has kept and this one has not (its 2 is current).
  const foreign = ((await editor.send('GET', '/v1/articles/other-article/revisions')).json().data as RevisionSummary[])[0]!.version
  t.same([own, foreign], [1, 2])
  const before = await snapshot(editor.store)
  const missing: [string, 'GET' | 'POST', string][] = [
    ['GET an unknown revision', 'GET', '/v1/articles/hot-stone/revisions/999999'],
    ['restore an unknown revision', 'POST', '/v1/articles/hot-stone/revisions/999999/restore'],
    ['GET another article\'s revision', 'GET', `/v1/articles/hot-stone/revisions/${foreign}`],
    ['restore another article\'s revision', 'POST', `/v1/articles/hot-stone/revisions/${foreign}/restore`],
    ['list the revisions of an unknown article', 'GET', '/v1/articles/no-such-article/revisions'],
    ['GET a revision of an unknown article', 'GET', `/v1/articles/no-such-article/revisions/${own}`],
    ['restore onto an unknown article', 'POST', `/v1/articles/no-such-article/revisions/${own}/restore`],
  ]
  for (const [name, method, url] of missing) {
    const res = await editor.send(method, url)
    assertProblem(t, res, 404, '/problems/not-found', name)
    t.equal(res.headers['cache-control'], NO_STORE, `${name}: not cached`)
  }
  for (const id of ['0', 'abc', '-1', '1.5', '9007199254740992']) {
    assertProblem(t, await editor.send('GET', `/v1/articles/hot-stone/revisions/${id}`), 400, '/problems/validation-failed', `revision id ${id}`)
    assertProblem(t, await editor.send('POST', `/v1/articles/hot-stone/revisions/${id}/restore`), 400, '/problems/validation-failed', `restore id ${id}`)
  }
  t.same(await snapshot(editor.store), before, 'nothing was written')
  t.equal((await editor.send('GET', `/v1/articles/hot-stone/revisions/${own}`)).statusCode, 200, 'its own revision is found')
})

t.test('revisions need a key with content:write: 401 without one, 403 with another scope', async (t) => {
  const editor = await editorApp(t)
  await patchArticle(t, editor, SEED_SLUG, { title: 'Seed, Retitled' })
  const id = ((await editor.send('GET', `/v1/articles/${SEED_SLUG}/revisions`)).json().data as RevisionSummary[])[0]!.version
  const moderator = (await makeKey(editor.store, ['comments:moderate'])).headers
  const admin = (await makeKey(editor.store, ['admin'])).headers
  const routes: ['GET' | 'POST', string][] = [
    ['GET', `/v1/articles/${SEED_SLUG}/revisions`],
    ['GET', `/v1/articles/${SEED_SLUG}/revisions/${id}`],
    ['POST', `/v1/articles/${SEED_SLUG}/revisions/${id}/restore`],
  ]
  const before = await snapshot(editor.store)
  for (const [method, url] of routes) {
    const anonymous = await inject(editor.app, method, url)
    assertProblem(t, anonymous, 401, '/problems/unauthorized', `${method} ${url} without a key`)
    t.match(anonymous.headers['www-authenticate'], /^Bearer /)
    t.notMatch(anonymous.body, /Lower Back Pain/, 'tells nothing')
    assertProblem(t, await inject(editor.app, method, url, undefined, { authorization: 'Bearer cak_unknown' }), 401, '/problems/unauthorized', `${method} ${url} with an unknown key`)
    const forbidden = await inject(editor.app, method, url, undefined, moderator)
    const problem = assertProblem(t, forbidden, 403, '/problems/forbidden', `${method} ${url} with comments:moderate`)
    t.match(problem.detail, /content:write/, 'names the scope it needs')
  }
  t.same(await snapshot(editor.store), before, 'nothing was written')
  for (const [method, url] of routes) t.equal((await inject(editor.app, method, url, undefined, admin)).statusCode, 200, `${method} ${url} with an admin key`)
})

t.test('a change by another path (the importer) is kept as a revision too', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, { title: 'Imported Later', status: 'published', sections: articleBody('x').sections })
  await saveText(new ArticleRepository(editor.store), articleText('Imported Later', ['Tapping']), { at: '2026-03-02T00:00:00.000Z' })
  const [revision] = (await editor.send('GET', '/v1/articles/imported-later/revisions')).json().data as RevisionSummary[]
  t.match(revision, { version: 1, title: 'Imported Later', status: 'published', savedAt: T0, replacedAt: '2026-03-02T00:00:00.000Z' })
  t.same(listed((await editor.send('GET', '/v1/articles/imported-later')).json(), 'techniques'), [[1, 'Tapping', 'tapping']])
})

t.test('revisions are addressed by the article\'s own version numbers, 1, 2, 3 …', async (t) => {
  const editor = await editorApp(t)
  await createArticle(t, editor, { title: 'First Article' })
  await createArticle(t, editor, { title: 'Second Article' })
  for (const title of ['First Article 2', 'First Article 3']) await patchArticle(t, editor, 'first-article', { title })
  for (const title of ['Second Article 2', 'Second Article 3']) await patchArticle(t, editor, 'second-article', { title })
  for (const slug of ['first-article', 'second-article']) {
    const listedRevisions = (await editor.send('GET', `/v1/articles/${slug}/revisions`)).json().data as RevisionSummary[]
    t.same(listedRevisions.map((revision) => revision.version), [2, 1], `${slug}: its own versions, newest first`)
    for (const version of [1, 2]) {
      const res = await editor.send('GET', `/v1/articles/${slug}/revisions/${version}`)
      t.equal(res.statusCode, 200, `${slug} revision ${version}`)
      t.match(res.json(), { version, title: version === 1 ? (slug === 'first-article' ? 'First Article' : 'Second Article') : /2$/ })
    }
    const current = await editor.send('GET', `/v1/articles/${slug}/revisions/3`)
    assertProblem(t, current, 404, '/problems/not-found', `${slug}: version 3 is the current one, no revision`)
    t.equal(current.json().detail, `The article "${slug}" has no revision of version 3.`)
  }
  const restored = await editor.send('POST', '/v1/articles/second-article/revisions/1/restore')
  t.equal(restored.statusCode, 200)
  t.equal(restored.json().title, 'Second Article', 'version 1 of the second article, not of the first')
})
