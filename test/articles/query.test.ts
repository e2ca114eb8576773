import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { Test } from 'tap'
import { createTestApp } from '../helpers/app.js'
import { ADMIN, assertQueryProblem, bySlug, importLibrary, LIBRARY, nextLink, SEED_SLUG } from '../helpers/fixtures.js'

type Sort = 'publishedAt' | '-publishedAt' | 'title' | '-title'
type Item = Record<string, unknown> & { id: number; slug: string; title: string }
interface Block {
  type: 'paragraph' | 'list'
  text?: string
  items?: { name?: string; description: string }[]
}
interface Section {
  heading?: string
  blocks: Block[]
}

const SUMMARY_KEYS = ['commentCount', 'id', 'publishedAt', 'readingTimeMinutes', 'slug', 'status', 'summary', 'title', 'updatedAt', 'wordCount']
const ARTICLE_KEYS = [...SUMMARY_KEYS, 'author', 'sections'].sort()

/** The expected order of the library under each sort, written out by hand (ties by id). */
const ORDER: Record<Sort, number[]> = {
  // 1 and 6 share 2026-01-15T09:00, 3 and 4 share 2026-03-01T10:00
  publishedAt: [1, 6, 2, 3, 4, 5],
  '-publishedAt': [5, 4, 3, 2, 6, 1],
  // Aromatherapy, Hot Stone, Is Prenatal, Lower Back, Reflexology, Sports
  title: [2, 3, 4, 1, 5, 6],
  '-title': [6, 5, 1, 4, 3, 2],
}
const SORTS = Object.keys(ORDER) as Sort[]
const slugsOf = (ids: number[]) => ids.map((id) => LIBRARY.find((article) => article.id === id)!.slug)

async function libraryApp(t: Test) {
  const test = await createTestApp(t)
  await importLibrary(test.articles)
  return test
}

const list = async (app: Awaited<ReturnType<typeof libraryApp>>['app'], query: string) => {
  const res = await app.inject(`/v1/articles${query ? `?${query}` : ''}`)
  return { res, page: res.json() as { data: Item[]; meta: { limit: number; nextCursor: string | null } } }
}

/** Follows `Link: rel="next"` from the first page to the last; every page must be a 200. */
async function walk(t: Test, app: Awaited<ReturnType<typeof libraryApp>>['app'], first: string) {
  const slugs: string[] = []
  const items: Item[] = []
  const sizes: number[] = []
  let url: string | undefined = first
  while (url) {
    const res: LightMyRequestResponse = await app.inject(url)
    t.equal(res.statusCode, 200, url)
    const page = res.json()
    slugs.push(...page.data.map((item: Item) => item.slug))
    items.push(...page.data)
    sizes.push(page.data.length)
    url = nextLink(res.headers.link)
    t.equal(page.meta.nextCursor === null, url === undefined, `${url}: a next link exactly when there is a next cursor`)
    if (sizes.length > 20) throw new Error('the walk does not end')
  }
  return { slugs, items, sizes }
}

t.test('the library: the seed and five fixtures, all published at their times', async (t) => {
  const { app } = await libraryApp(t)
  const { page } = await list(app, '')
  t.equal(page.data.length, 6)
  for (const expected of LIBRARY) {
    const item = page.data.find((article) => article.slug === expected.slug)
    t.match(item, { id: expected.id, title: expected.title, publishedAt: expected.publishedAt, status: 'published' }, expected.slug)
  }
})

t.test('every sort gives its order, and no sort is the default -publishedAt', async (t) => {
  const { app } = await libraryApp(t)
  for (const sort of SORTS) {
    const { res, page } = await list(app, `sort=${encodeURIComponent(sort)}`)
    t.equal(res.statusCode, 200, sort)
    t.same(page.data.map((item) => item.id), ORDER[sort], `sort=${sort}`)
  }
  const { page } = await list(app, '')
  t.same(page.data.map((item) => item.id), ORDER['-publishedAt'], 'the default is -publishedAt')
  const { page: explicit } = await list(app, 'sort=-publishedAt')
  t.same(explicit, page, 'sort=-publishedAt is the same page as no sort')
})

t.test('walking every page visits every article once, in order, under every sort and page size', async (t) => {
  const { app } = await libraryApp(t)
  for (const sort of SORTS) {
    for (const limit of [1, 2, 4]) {
      const { slugs, sizes } = await walk(t, app, `/v1/articles?sort=${encodeURIComponent(sort)}&limit=${limit}`)
      t.same(slugs, slugsOf(ORDER[sort]), `sort=${sort} limit=${limit}: every article once, in order`)
      t.same(sizes, Array.from({ length: Math.ceil(6 / limit) }, (_, i) => Math.min(limit, 6 - i * limit)), `sort=${sort} limit=${limit}: full pages, then the rest`)
    }
  }
})

t.test('title ties (case-insensitive) are broken by id across pages, both ways', async (t) => {
  const { app, store } = await libraryApp(t)
  // Three articles with the same title under NOCASE: only the id orders them.
  await store.run('UPDATE articles SET title = ? WHERE id = ?', ['Twin Title', 5])
  await store.run('UPDATE articles SET title = ? WHERE id = ?', ['twin title', 2])
  await store.run('UPDATE articles SET title = ? WHERE id = ?', ['TWIN TITLE', 4])
  // Hot Stone, Lower Back, Sports, then the twins by id (2, 4, 5)
  const ascending = [3, 1, 6, 2, 4, 5]
  for (const limit of [1, 2]) {
    t.same((await walk(t, app, `/v1/articles?sort=title&limit=${limit}`)).slugs, slugsOf(ascending), `title limit=${limit}`)
    t.same((await walk(t, app, `/v1/articles?sort=-title&limit=${limit}`)).slugs, slugsOf([...ascending].reverse()), `-title limit=${limit}`)
  }
})

t.test('titles sort by their bytes with ASCII letters folded, on every store: mixed case and non-ASCII titles, both ways, across pages', async (t) => {
  const { app, store } = await libraryApp(t)
  // SQLite's NOCASE folds A-Z only and compares bytes; PostgreSQL must too (lower() on a "C" column), not
  // by a locale (Ä beside A) nor by Unicode case folding (É equal to é, which would leave 3 before 4 by id).
  const titles: [number, string][] = [[1, 'zebra massage'], [2, 'Zen Massage'], [3, 'élan massage'], [4, 'Élan Massage'], [5, 'Ähnlich Massage'], [6, 'apple Massage']]
  for (const [id, title] of titles) await store.run('UPDATE articles SET title = ? WHERE id = ?', [title, id])
  // apple, zebra, zen, then by UTF-8 bytes: Ä (c3 84), É (c3 89), é (c3 a9)
  const ascending = [6, 1, 2, 5, 4, 3]
  for (const limit of [1, 2, 4, 100]) {
    t.same((await walk(t, app, `/v1/articles?sort=title&limit=${limit}`)).slugs, slugsOf(ascending), `title limit=${limit}`)
    t.same((await walk(t, app, `/v1/articles?sort=-title&limit=${limit}`)).slugs, slugsOf([...ascending].reverse()), `-title limit=${limit}`)
  }
})

t.test('publication-time ties across a page boundary are neither skipped nor repeated', async (t) => {
  const { app } = await libraryApp(t)
  // With limit=4 under publishedAt the first page ends on 3, whose twin 4 opens the next page.
  const first = await list(app, 'sort=publishedAt&limit=4')
  t.same(first.page.data.map((item) => item.id), [1, 6, 2, 3])
  const second = await list(app, `sort=publishedAt&limit=4&cursor=${first.page.meta.nextCursor}`)
  t.same(second.page.data.map((item) => item.id), [4, 5])
  t.equal(second.page.meta.nextCursor, null)
})

t.test('a cursor works only with the sort and filters it was issued for', async (t) => {
  const { app } = await libraryApp(t)
  const cursorFor = async (query: string) => {
    const { page } = await list(app, `${query}&limit=1`)
    t.type(page.meta.nextCursor, 'string', `${query} has a next page`)
    return page.meta.nextCursor as string
  }
  const byTitle = await cursorFor('sort=title')
  const byDefault = await cursorFor('sort=-publishedAt')
  const afterFeb = await cursorFor('publishedAfter=2026-02-01')
  const painRelief = await cursorFor('benefit=pain-relief')
  t.equal((await list(app, `sort=title&cursor=${byTitle}`)).res.statusCode, 200, 'its own sort')
  t.equal((await list(app, `cursor=${byDefault}`)).res.statusCode, 200, 'an explicit -publishedAt cursor serves the default sort')
  const misuses = [
    `sort=-title&cursor=${byTitle}`,
    `sort=publishedAt&cursor=${byTitle}`,
    `cursor=${byTitle}`,
    `sort=title&cursor=${byDefault}`,
    `cursor=${afterFeb}`,
    `publishedAfter=2026-02-02&cursor=${afterFeb}`,
    `publishedAfter=2026-02-01&sort=title&cursor=${afterFeb}`,
    `cursor=${painRelief}`,
    `benefit=better-sleep&cursor=${painRelief}`,
    `technique=pain-relief&cursor=${painRelief}`,
  ]
  for (const query of misuses) {
    const problem = assertQueryProblem(t, (await list(app, query)).res, 'cursor', query)
    t.match(problem.detail, 'cursor', query)
  }
})

t.test('technique and benefit filters', async (t) => {
  const { app } = await libraryApp(t)
  const cases: [string, number[]][] = [
    ['technique=effleurage', [4]],
    ['technique=gliding-strokes', [3]],
    ['technique=deep-pressure', [1]],
    ['technique=thumb-walking&sort=title', [5]],
    ['benefit=pain-relief', [5, 1]],
    ['benefit=better-sleep', [4, 3]],
    ['benefit=better-sleep&sort=publishedAt', [3, 4]],
    // a benefit is not a technique, nor the other way round
    ['technique=pain-relief', []],
    ['benefit=effleurage', []],
    // an "other" list (the prenatal checklist) is neither
    ['technique=a-water-bottle', []],
    ['benefit=a-water-bottle', []],
    ['technique=no-such-technique', []],
    ['benefit=no-such-benefit', []],
    ['technique=effleurage&benefit=better-sleep', [4]],
    ['technique=effleurage&benefit=pain-relief', []],
  ]
  for (const [query, ids] of cases) {
    const { res, page } = await list(app, query)
    t.equal(res.statusCode, 200, query)
    t.same(page.data.map((item) => item.id), ids, query)
    t.equal(page.meta.nextCursor, null, `${query}: one page`)
    if (ids.length === 0) t.notOk(nextLink(res.headers.link), `${query}: an empty page has no next link`)
  }
  const paged = await walk(t, app, '/v1/articles?benefit=better-sleep&limit=1')
  t.same(paged.slugs, slugsOf([4, 3]), 'a filtered list pages too')
  for (const query of ['technique=Not_A_Slug', 'technique=', 'benefit=UPPER']) {
    assertQueryProblem(t, (await list(app, query)).res, query.split('=')[0]!, query)
  }
})

t.test('publishedAfter and publishedBefore: exclusive, a date is its midnight UTC, date-times with offsets', async (t) => {
  const { app } = await libraryApp(t)
  const cases: [string, number[]][] = [
    ['publishedAfter=2026-03-01', [5, 4, 3]],
    ['publishedAfter=2026-03-02', [5]],
    ['publishedAfter=2026-03-01T10:00:00Z', [5]],
    ['publishedAfter=2026-03-01T10:00:00.000Z', [5]],
    ['publishedAfter=2026-03-01T09:59:59.999Z', [5, 4, 3]],
    ['publishedAfter=2026-03-01T11:00:00%2B02:00', [5, 4, 3]],
    ['publishedAfter=2026-03-01T11:00:01%2B01:00', [5]],
    ['publishedBefore=2026-01-15T09:00:00Z', []],
    ['publishedBefore=2026-01-15T09:00:00.001Z', [6, 1]],
    ['publishedBefore=2026-01-16', [6, 1]],
    ['publishedBefore=2026-01-15', []],
    ['publishedAfter=2026-01-15T09:00:00Z&publishedBefore=2026-03-01T10:00:00.001Z', [4, 3, 2]],
    ['publishedAfter=2026-01-15&publishedBefore=2026-03-01', [2, 6, 1]],
    ['publishedAfter=2026-04-10T08:30:00Z', []],
    ['publishedAfter=2026-05-01&publishedBefore=2026-01-01', []],
    ['publishedAfter=2026-02-01&benefit=pain-relief', [5]],
    ['publishedBefore=2026-02-01&benefit=pain-relief', [1]],
    ['publishedAfter=2026-02-01&benefit=better-sleep&technique=effleurage&sort=title', [4]],
    ['publishedBefore=2026-03-15&sort=title', [2, 3, 4, 1, 6]],
  ]
  for (const [query, ids] of cases) {
    const { res, page } = await list(app, query)
    t.equal(res.statusCode, 200, query)
    t.same(page.data.map((item) => item.id), ids, query)
  }
  const paged = await walk(t, app, '/v1/articles?publishedBefore=2026-03-15&sort=-title&limit=2')
  t.same(paged.slugs, slugsOf([6, 1, 4, 3, 2]), 'filtered and sorted pages')
})

t.test('invalid dates are 400 problems naming the parameter', async (t) => {
  const { app } = await libraryApp(t)
  const bad = ['yesterday', '2026-13-01', '2026-02-30', '2026-3-1', '2026-03-01T25:00:00Z', '2026-03-01T10:00:00', '1772359200000', '']
  for (const value of bad) {
    for (const name of ['publishedAfter', 'publishedBefore']) {
      assertQueryProblem(t, (await list(app, `${name}=${encodeURIComponent(value)}`)).res, name, `${name}=${value}`)
    }
  }
})

t.test('a leap-second date-time that passes the format is a 400, not a 500', async (t) => {
  const { app } = await libraryApp(t)
  // RFC 3339 allows second 60 and the date-time format accepts it, but new Date() cannot read it and
  // toISOString() throws a RangeError in canonicalInstant (src/articles/views.ts).
  for (const query of ['publishedAfter=2026-12-31T23:59:60Z', 'publishedBefore=2026-06-30T23:59:60Z']) {
    const res = await app.inject(`/v1/articles?${query}`)
    t.not(res.statusCode, 500, `${query}: no server error`)
    t.ok([200, 400].includes(res.statusCode), `${query}: answered (${res.statusCode})`)
  }
})

t.test('bad sorts are 400 problems', async (t) => {
  const { app } = await libraryApp(t)
  for (const sort of ['published', 'TITLE', '+title', '--title', 'id', 'updatedAt', '', 'title,-publishedAt']) {
    const problem = assertQueryProblem(t, (await list(app, `sort=${encodeURIComponent(sort)}`)).res, 'sort', `sort=${sort}`)
    t.match(problem.detail, 'sort')
  }
})

t.test('lists are lean; include adds sections, techniques and benefits', async (t) => {
  const { app } = await libraryApp(t)
  const lean = (await list(app, '')).page
  for (const item of lean.data) t.same(Object.keys(item).sort(), SUMMARY_KEYS, `${item.slug}: summary fields only`)

  const full = (await list(app, 'include=sections,techniques,benefits')).page
  t.same(full.data.map((item) => item.id), lean.data.map((item) => item.id), 'same articles, same order')
  for (const item of full.data) {
    t.same(Object.keys(item).sort(), [...SUMMARY_KEYS, 'benefits', 'sections', 'techniques'].sort(), item.slug)
    const article = (await app.inject(`/v1/articles/${item.slug}`)).json()
    t.same(item.sections, article.sections, `${item.slug}: the article's sections`)
    const techniques = (await app.inject(`/v1/articles/${item.slug}/techniques?limit=100`)).json().data
    const benefits = (await app.inject(`/v1/articles/${item.slug}/benefits?limit=100`)).json().data
    t.ok(techniques.length > 0 && benefits.length > 0, `${item.slug} has both lists`)
    t.same(item.techniques, techniques, `${item.slug}: its techniques`)
    t.same(item.benefits, benefits, `${item.slug}: its benefits`)
    const { sections: _s, techniques: _t, benefits: _b, ...summary } = item
    t.same(summary, lean.data.find((other) => other.id === item.id), `${item.slug}: the same summary`)
  }

  for (const include of ['sections', 'techniques', 'benefits']) {
    const { page } = await list(app, `include=${include}`)
    for (const item of page.data) t.same(Object.keys(item).sort(), [...SUMMARY_KEYS, include].sort(), `include=${include}: ${item.slug}`)
  }
  const twice = (await list(app, 'include=benefits,benefits&limit=1')).page
  t.same(Object.keys(twice.data[0]!).sort(), [...SUMMARY_KEYS, 'benefits'].sort(), 'a name given twice counts once')
  const spaced = (await list(app, `include=${encodeURIComponent('techniques, benefits')}&limit=1`)).page
  t.ok('techniques' in spaced.data[0]! && 'benefits' in spaced.data[0]!, 'spaces after commas are allowed')

  const sorted = await walk(t, app, '/v1/articles?include=sections&sort=title&limit=2')
  t.same(sorted.slugs, slugsOf(ORDER.title), 'include does not change paging')
})

t.test('include with unknown names is a 400 problem naming them', async (t) => {
  const { app } = await libraryApp(t)
  for (const include of ['comments', 'sections,comments', 'Sections', '', ',']) {
    const problem = assertQueryProblem(t, (await list(app, `include=${encodeURIComponent(include)}`)).res, 'include', `include=${include}`)
    if (include.includes('comments')) t.match(JSON.stringify(problem.errors), 'comments', 'names the unknown one')
  }
})

t.test('fields narrows list items', async (t) => {
  const { app } = await libraryApp(t)
  const { res, page } = await list(app, 'fields=slug,title')
  t.equal(res.statusCode, 200)
  t.same(page.data.map((item) => item), slugsOf(ORDER['-publishedAt']).map((slug) => ({ slug, title: bySlug(slug).title })))
  const withSections = (await list(app, 'include=sections,benefits&fields=id,sections&limit=2')).page
  for (const item of withSections.data) t.same(Object.keys(item).sort(), ['id', 'sections'], 'an included extra can be picked; an unpicked one is dropped')
  const paged = await walk(t, app, '/v1/articles?fields=title&sort=title&limit=2')
  t.same(paged.items, slugsOf(ORDER.title).map((slug) => ({ title: bySlug(slug).title })), 'paging works when the items carry neither the id nor the sort key')
})

t.test('fields with unknown names, or naming an extra not included, is a 400 problem naming them', async (t) => {
  const { app } = await libraryApp(t)
  const cases: [string, string][] = [
    ['fields=slug,colour', 'colour'],
    ['fields=sections', 'sections'],
    ['fields=title,techniques', 'techniques'],
    ['include=sections&fields=title,benefits', 'benefits'],
    ['fields=html', 'html'],
  ]
  for (const [query, unknown] of cases) {
    const problem = assertQueryProblem(t, (await list(app, query)).res, 'fields', query)
    const issue = problem.errors.find((error) => error.name === 'fields')!
    t.match(issue.detail, unknown, `${query}: names ${unknown}`)
  }
  assertQueryProblem(t, (await list(app, 'fields=')).res, 'fields', 'an empty fields')
})

t.test('fields on a single article, alone and with a format', async (t) => {
  const { app } = await libraryApp(t)
  const url = `/v1/articles/${SEED_SLUG}`
  const whole = (await app.inject(url)).json()
  t.same(Object.keys(whole).sort(), ARTICLE_KEYS, 'without fields: every property')

  const narrow = await app.inject(`${url}?fields=title,slug`)
  t.equal(narrow.statusCode, 200)
  t.same(narrow.json(), { slug: SEED_SLUG, title: whole.title })

  const sections = (await app.inject(`${url}?fields=sections`)).json()
  t.same(sections, { sections: whole.sections })

  const markdown = await app.inject(`${url}?format=markdown&fields=slug,markdown`)
  t.equal(markdown.statusCode, 200)
  t.same(Object.keys(markdown.json()).sort(), ['markdown', 'slug'])
  t.equal(markdown.json().markdown, (await app.inject(`${url}?format=markdown`)).json().markdown, 'the same rendering with or without fields')

  const cases: [string, string][] = [
    ['fields=title,colour', 'colour'],
    ['fields=html', 'html'],
    ['format=markdown&fields=html', 'html'],
    ['format=text&fields=title,markdown', 'markdown'],
    ['fields=techniques', 'techniques'],
  ]
  for (const [query, unknown] of cases) {
    const problem = assertQueryProblem(t, await app.inject(`${url}?${query}`), 'fields', query)
    t.match(problem.errors.find((error) => error.name === 'fields')!.detail, unknown, `${query}: names ${unknown}`)
  }
  const missing = await app.inject('/v1/articles/no-such-article?fields=title')
  t.equal(missing.statusCode, 404, 'fields does not hide a missing article')
})

/** What the blocks of an article contain, to check a rendering against. */
function census(sections: Section[]) {
  const blocks = sections.flatMap((section) => section.blocks)
  const lists = blocks.filter((block) => block.type === 'list')
  return {
    headings: sections.filter((section) => section.heading !== undefined).map((section) => section.heading!),
    paragraphs: blocks.filter((block) => block.type === 'paragraph').length,
    lists: lists.length,
    items: lists.flatMap((block) => block.items!),
  }
}

const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0

t.test('format=blocks is the default; html, markdown and text add a body rendered from the blocks', async (t) => {
  const { app } = await libraryApp(t)
  for (const { slug } of LIBRARY) {
    const url = `/v1/articles/${slug}`
    const plain = await app.inject(url)
    const blocks = await app.inject(`${url}?format=blocks`)
    t.equal(blocks.statusCode, 200)
    t.equal(blocks.body, plain.body, `${slug}: format=blocks is the default`)
    t.equal(blocks.headers.etag, plain.headers.etag, `${slug}: with the same tag`)
    const article = plain.json()
    const body = census(article.sections)
    t.ok(body.headings.length > 3 && body.lists > 1 && body.items.length > 5, `${slug}: a body worth rendering`)

    const tags = new Set([plain.headers.etag])
    for (const format of ['html', 'markdown', 'text'] as const) {
      const res = await app.inject(`${url}?format=${format}`)
      t.equal(res.statusCode, 200, `${slug} ${format}`)
      const view = res.json()
      const { [format]: rendered, ...rest } = view
      t.same(rest, article, `${slug} ${format}: the article as with blocks, plus one property`)
      t.type(rendered, 'string')
      tags.add(res.headers.etag)

      if (format === 'html') {
        t.equal(count(rendered, /<h2>/g), body.headings.length, `${slug}: one h2 per headed section`)
        t.equal(count(rendered, /<ol>/g), body.lists, `${slug}: one ol per list`)
        t.equal(count(rendered, /<li>/g), body.items.length, `${slug}: one li per item`)
        t.equal(count(rendered, /<p>/g), body.paragraphs, `${slug}: one p per paragraph`)
        t.equal(count(rendered, /<strong>/g), body.items.filter((item) => item.name).length, `${slug}: named items are strong`)
        t.notMatch(rendered, /<(?!\/?(h2|p|ol|li|strong)>)/, `${slug}: no other tags`)
        const firstHeading = body.headings[0]!.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/"/g, '&quot;')
        t.ok(rendered.includes(`<h2>${firstHeading}</h2>`), `${slug}: the first heading`)
      } else {
        const lines = rendered.split('\n')
        const numbered = lines.filter((line: string) => /^\d+\. /.test(line))
        t.equal(numbered.length, body.items.length, `${slug} ${format}: one numbered line per item`)
        t.equal(numbered.filter((line: string) => line.startsWith('1. ')).length, body.lists, `${slug} ${format}: each list starts at 1.`)
        t.notMatch(rendered, /<\/?(p|h2|ol|li)>/, `${slug} ${format}: no HTML`)
        if (format === 'markdown') {
          t.same(lines.filter((line: string) => line.startsWith('#')).map((line: string) => line.slice(3)), body.headings.map((heading) => heading.replace(/([\\`*_[\]<>|~])/g, '\\$1')), `${slug}: one ## per headed section`)
          t.ok(lines.every((line: string) => !line.startsWith('#') || line.startsWith('## ')), `${slug}: headings are level 2`)
        } else {
          t.notOk(lines.some((line: string) => line.startsWith('#')), `${slug}: no Markdown headings in text`)
          for (const heading of body.headings) t.ok(lines.includes(heading), `${slug}: "${heading}" is a line of its own`)
          const named = body.items.find((item) => item.name)!
          t.ok(rendered.includes(`${named.name}: ${named.description}`), `${slug}: items read "name: description"`)
        }
      }
    }
    t.equal(tags.size, 4, `${slug}: each format has a tag of its own`)
  }
})

t.test('format with a bad value is a 400 problem', async (t) => {
  const { app } = await libraryApp(t)
  for (const format of ['bad', 'HTML', 'json', '', 'html,markdown']) {
    assertQueryProblem(t, await app.inject(`/v1/articles/${SEED_SLUG}?format=${encodeURIComponent(format)}`), 'format', `format=${format}`)
  }
  assertQueryProblem(t, await app.inject('/v1/articles?format=html'), 'format', 'lists take no format')
})

t.test('the order of query parameters does not change the answer', async (t) => {
  const { app } = await libraryApp(t)
  const a = await app.inject('/v1/articles?sort=title&benefit=better-sleep&fields=slug')
  const b = await app.inject('/v1/articles?fields=slug&benefit=better-sleep&sort=title')
  t.equal(a.statusCode, 200)
  t.equal(a.body, b.body)
  t.equal(a.headers.etag, b.headers.etag)
  t.same(a.json().data.map((item: { slug: string }) => item.slug), slugsOf([3, 4]))
})

t.test('format=markdown keeps a newline in a paragraph from making Markdown markup (a heading, a rule)', async (t) => {
  // The editorial API stores paragraph text with newlines; escapeMarkdown (src/articles/render.ts) escapes
  // a line start only at the start of the whole text, and never a "---" line.
  const { app } = await libraryApp(t)
  const created = await app.inject({
    method: 'POST',
    url: '/v1/articles',
    headers: ADMIN,
    payload: { title: 'Injected Markdown', status: 'published', sections: [{ blocks: [{ type: 'paragraph', text: 'Harmless start\n# Injected heading\n---' }] }] },
  })
  t.equal(created.statusCode, 201)
  const res = await app.inject('/v1/articles/injected-markdown?format=markdown&fields=markdown')
  t.equal(res.statusCode, 200)
  const lines = (res.json().markdown as string).split('\n')
  t.notOk(lines.some((line) => /^#{1,6}\s/.test(line)), 'the article has no heading, so its Markdown has none')
  t.notOk(lines.some((line) => /^ {0,3}(-[ \t]*){3,}$/.test(line)), 'and no rule or setext underline')
})
