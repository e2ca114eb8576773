import t from 'tap'
import { createHash } from 'node:crypto'
import { parseFeed } from '@rowanmanning/feed-parser'
import { loadConfig } from '../../src/config.js'
import { articleText, createTestApp, saveText } from '../helpers/app.js'

const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'
const BASE = 'https://api.spa.example'

interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlElement[]
  text: string
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
const decode = (text: string) =>
  text.replace(/&(?:#(\d+)|(\w+));/g, (_whole, code: string | undefined, name: string) => (code ? String.fromCodePoint(Number(code)) : ENTITIES[name]!))

/**
 * A minimal XML reader, enough to hold the feed to the rules a real parser enforces: one root,
 * balanced tags, quoted attributes, no stray `<` or `&`, only characters XML allows.
 */
function parseXml(xml: string): XmlElement {
  if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(xml)) throw new Error('a character XML forbids')
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '')
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' }
  const stack = [root]
  const token = /<(\/?)([\w:]+)((?:\s+[\w:]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy
  let match: RegExpExecArray | null
  let end = 0
  while ((match = token.exec(body))) {
    end = token.lastIndex
    const [, closing, name, attributeText, selfClosing, text] = match
    const top = stack.at(-1)!
    if (text !== undefined) {
      if (/&(?!(?:#\d+|amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`a bare & in ${JSON.stringify(text.slice(0, 40))}`)
      top.text += decode(text)
    } else if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`)
      stack.pop()
    } else {
      const attributes = Object.fromEntries([...attributeText!.matchAll(/([\w:]+)="([^"]*)"/g)].map(([, key, value]) => [key!, decode(value!)]))
      const element = { name: name!, attributes, children: [], text: '' }
      top.children.push(element)
      if (!selfClosing) stack.push(element)
    }
  }
  if (end !== body.length) throw new Error(`cannot read the XML at ${JSON.stringify(body.slice(end, end + 40))}`)
  if (stack.length !== 1 || root.children.length !== 1 || root.text.trim() !== '') throw new Error('not one balanced root element')
  return root.children[0]!
}

const child = (element: XmlElement, name: string) => element.children.find((c) => c.name === name)
const children = (element: XmlElement, name: string) => element.children.filter((c) => c.name === name)
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/

t.test('the JSON Feed has the members JSON Feed 1.1 requires, newest public articles first', async (t) => {
  let clock = new Date('2026-03-01T00:00:00.000Z')
  const { app, articles } = await createTestApp(t, { env: { PUBLIC_URL: BASE }, now: () => clock })
  await saveText(articles, articleText('Hot Stone Basics'), { at: '2026-02-10T00:00:00.000Z' })
  await saveText(articles, articleText('Secret Draft'), { publish: false })
  await saveText(articles, articleText('Spring Preview'), { at: '2026-04-01T00:00:00.000Z' })

  const res = await app.inject('/v1/feed.json')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/feed\+json/)
  const feed = res.json()
  t.equal(feed.version, 'https://jsonfeed.org/version/1.1')
  t.equal(feed.title, 'Spa articles')
  t.equal(feed.home_page_url, `${BASE}/v1/articles`)
  t.equal(feed.feed_url, `${BASE}/v1/feed.json`)
  t.same(feed.items.map((item: { url: string }) => item.url), [`${BASE}/v1/articles/hot-stone-basics`, `${BASE}/v1/articles/${SEED_SLUG}`], 'no draft, nothing scheduled')
  for (const item of feed.items) {
    t.equal(typeof item.id, 'string', 'every item has a string id')
    t.ok(typeof item.content_html === 'string' || typeof item.content_text === 'string', 'and content')
    t.match(item.date_published, ISO)
    t.match(item.date_modified, ISO)
  }
  const [first] = feed.items
  t.equal(first.title, 'Hot Stone Basics')
  t.equal(first.summary, 'An introduction to hot stone basics and what it can do for you.')
  t.equal(first.content_html, '<p>An introduction to hot stone basics and what it can do for you.</p>\n<h2>Conclusion</h2>\n<p>Book a session and feel the difference for yourself.</p>')
  t.equal(first.date_published, '2026-02-10T00:00:00.000Z')
  t.equal(res.headers['last-modified'], 'Tue, 10 Feb 2026 00:00:00 GMT', 'the latest entry\'s time')

  clock = new Date('2026-04-01T00:00:00.000Z')
  const later = (await app.inject('/v1/feed.json')).json()
  t.equal(later.items[0].url, `${BASE}/v1/articles/spring-preview`, 'a scheduled article joins the feed at its time')
  t.equal(later.items[0].date_modified, '2026-04-01T00:00:00.000Z', 'modified no earlier than published')
})

t.test('an entry edited after publication is modified then, and still published when it was', async (t) => {
  const { app, articles } = await createTestApp(t, { env: { PUBLIC_URL: BASE } })
  await saveText(articles, articleText('Hot Stone Basics'), { at: '2026-02-10T00:00:00.000Z' })
  await saveText(articles, articleText('Hot Stone Basics', ['Stone Placement']), { at: '2026-02-20T12:00:00.000Z' })
  const [item] = (await app.inject('/v1/feed.json')).json().items
  t.equal(item.date_published, '2026-02-10T00:00:00.000Z')
  t.equal(item.date_modified, '2026-02-20T12:00:00.000Z')
  const [entry] = children(parseXml((await app.inject('/v1/feed.xml')).body), 'entry')
  t.equal(child(entry!, 'published')!.text, '2026-02-10T00:00:00.000Z')
  t.equal(child(entry!, 'updated')!.text, '2026-02-20T12:00:00.000Z')
})

t.test('the Atom feed is well-formed RFC 4287 with everything escaped', async (t) => {
  const { app, articles } = await createTestApp(t, { env: { PUBLIC_URL: BASE } })
  await saveText(articles, articleText('Tips & <Tricks> for "Tense" Shoulders'), { at: '2026-02-10T00:00:00.000Z' })
  const res = await app.inject('/v1/feed.xml')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/atom\+xml/)
  t.match(res.body, /^<\?xml version="1.0" encoding="utf-8"\?>/)
  const feed = parseXml(res.body)
  t.equal(feed.name, 'feed')
  t.equal(feed.attributes.xmlns, 'http://www.w3.org/2005/Atom')
  t.equal(child(feed, 'id')?.text, `${BASE}/v1/feed.xml`)
  t.equal(child(feed, 'title')?.text, 'Spa articles')
  t.equal(child(feed, 'updated')?.text, '2026-02-10T00:00:00.000Z')
  t.ok(child(child(feed, 'author')!, 'name')?.text, 'an author, as the entries have none')
  t.same(
    children(feed, 'link').map((link) => link.attributes),
    [
      { rel: 'self', type: 'application/atom+xml', href: `${BASE}/v1/feed.xml` },
      { rel: 'alternate', type: 'application/feed+json', href: `${BASE}/v1/feed.json` },
    ],
  )
  const entries = children(feed, 'entry')
  t.equal(entries.length, 2)
  for (const entry of entries) {
    for (const name of ['id', 'title', 'updated', 'published', 'summary', 'content']) t.ok(child(entry, name)?.text, `entry has ${name}`)
    t.match(child(entry, 'updated')!.text, ISO)
    t.match(child(entry, 'id')!.text, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a stable name-based id')
    t.match(child(entry, 'link')?.attributes, { rel: 'alternate', type: 'application/json', href: new RegExp(`^${BASE}/v1/articles/`) }, 'no website set: the API')
  }
  const [tricky] = entries
  t.equal(child(tricky!, 'title')!.text, 'Tips & <Tricks> for "Tense" Shoulders', 'the title survives escaping')
  t.match(res.body, '<title>Tips &amp; &lt;Tricks&gt; for &quot;Tense&quot; Shoulders</title>')
  t.equal(child(tricky!, 'content')!.attributes.type, 'html')
  t.match(child(tricky!, 'content')!.text, /^<p>An introduction to tips &amp; &lt;tricks&gt;/, 'the HTML body, itself escaped HTML, as text')
})

t.test('without PUBLIC_URL, links use the request\'s scheme and host', async (t) => {
  const { app } = await createTestApp(t)
  const feed = (await app.inject({ url: '/v1/feed.json', headers: { host: 'spa.test:8080' } })).json()
  t.equal(feed.feed_url, 'http://spa.test:8080/v1/feed.json')
  t.equal(feed.items[0].url, `http://spa.test:8080/v1/articles/${SEED_SLUG}`)
  const atom = parseXml((await app.inject({ url: '/v1/feed.xml', headers: { host: 'spa.test' } })).body)
  t.equal(child(atom, 'id')!.text, 'http://spa.test/v1/feed.xml')
})

t.test('a feed holds the 50 newest articles; an empty one is still valid', async (t) => {
  const { app, articles, store } = await createTestApp(t, { env: { PUBLIC_URL: BASE } })
  for (let n = 1; n <= 51; n++) await saveText(articles, articleText(`Daily Note ${n}`), { at: new Date(Date.UTC(2026, 2, n, 9)).toISOString() })
  const feed = (await app.inject('/v1/feed.json')).json()
  t.equal(feed.items.length, 50)
  t.equal(feed.items[0].title, 'Daily Note 51')
  t.equal(feed.items[49].title, 'Daily Note 2', 'the oldest ones (and the seed) left out')
  t.equal(children(parseXml((await app.inject('/v1/feed.xml')).body), 'entry').length, 50)

  await store.run('DELETE FROM articles')
  t.same((await app.inject('/v1/feed.json')).json().items, [])
  const empty = parseXml((await app.inject('/v1/feed.xml')).body)
  t.equal(children(empty, 'entry').length, 0)
  t.match(child(empty, 'updated')!.text, ISO, 'updated is required even with no entry')
})

t.test('feeds take no parameters and revalidate with Last-Modified', async (t) => {
  const { app } = await createTestApp(t)
  for (const url of ['/v1/feed.json?page=2', '/v1/feed.xml?limit=5']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 400, url)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
  }
  const first = await app.inject('/v1/feed.xml')
  const again = await app.inject({ url: '/v1/feed.xml', headers: { 'if-modified-since': String(first.headers['last-modified']) } })
  t.equal(again.statusCode, 304)
})

t.test('with SITE_ARTICLE_URL, entries link to the website (the API second), ids stay put, and a feed reader follows them', async (t) => {
  const SITE = 'https://spa.example/blog/{slug}'
  const { app } = await createTestApp(t, { env: { PUBLIC_URL: BASE, SITE_ARTICLE_URL: SITE } })
  const xml = (await app.inject('/v1/feed.xml')).body
  const parsed = parseFeed(xml)
  t.equal(parsed.title, 'Spa articles')
  t.equal(parsed.url, 'https://spa.example/', 'the feed\'s alternate is the website')
  t.equal(parsed.self, `${BASE}/v1/feed.xml`, 'its self is the feed')
  const [item] = parsed.items
  t.equal(item!.url, `https://spa.example/blog/${SEED_SLUG}`, 'a reader opens the article on the website')
  t.match(item!.id, /^urn:uuid:/)
  t.match(xml, `<link rel="related" type="application/json" href="${BASE}/v1/articles/${SEED_SLUG}"/>`, 'the API URL is a secondary link')

  const json = (await app.inject('/v1/feed.json')).json()
  t.equal(json.home_page_url, 'https://spa.example/')
  t.equal(json.items[0].url, `https://spa.example/blog/${SEED_SLUG}`)
  t.equal(json.items[0].external_url, `${BASE}/v1/articles/${SEED_SLUG}`)
  t.equal(json.items[0].id, item!.id, 'the same id in both formats')

  // The ids depend on neither the host asked nor the settings.
  const { app: bare } = await createTestApp(t)
  for (const host of ['spa.test', 'other.example:8080']) {
    const viaHost = parseFeed((await bare.inject({ url: '/v1/feed.xml', headers: { host } })).body)
    t.equal(viaHost.items[0]!.id, item!.id, `the id through ${host}`)
    t.equal(viaHost.items[0]!.url, `http://${host}/v1/articles/${SEED_SLUG}`, 'without a website, the entry links to the API')
  }
})

t.test('SITE_ARTICLE_URL must be an http(s) URL with {slug} in its path', async (t) => {
  for (const bad of ['spa.example/blog/{slug}', 'https://spa.example/blog/', 'ftp://spa.example/{slug}', 'https://spa.example/blog?slug={slug}']) {
    t.throws(() => loadConfig({ SITE_ARTICLE_URL: bad }), /SITE_ARTICLE_URL must be/, bad)
  }
  t.equal(loadConfig({ SITE_ARTICLE_URL: 'https://spa.example/blog/{slug}' }).siteArticleUrl, 'https://spa.example/blog/{slug}')
})

t.test('the same content gives the same feed bytes and ETags on either store', async (t) => {
  // Recorded from a run on SQLite; a run on PostgreSQL must give the very same bytes. A change to the
  // feed formats changes these: record them again from either store, then check that the other agrees.
  const EXPECTED: Record<string, { sha256: string; etag: string }> = {
    '/v1/feed.json': { sha256: '139857decfee4b094e9cf9eb2b524d90d94924b9b658c0c2b3e011d236d3031e', etag: '"E5hX3s_uSwlOnPnrK1JNkNlJJLm"' },
    '/v1/feed.xml': { sha256: '314c0b69268d8b417a0f83f63964d602b36603b89926221717b6b3a5579e0137', etag: '"MUwLaSaNi0F6D4P2OWTWArNmA7i"' },
  }
  const { app, articles } = await createTestApp(t, { env: { PUBLIC_URL: BASE }, now: () => new Date('2026-03-01T00:00:00.000Z') })
  await saveText(articles, articleText('Hot Stone Basics', ['Stone Placement'], ['Warmth']), { at: '2026-02-01T00:00:00.000Z' })
  await saveText(articles, articleText('Crème Brûlée Facial <Ritual> & "More"', ['Café Compress']), { at: '2026-02-02T00:00:00.000Z' })
  await saveText(articles, articleText('Spring Preview'), { at: '2026-04-01T00:00:00.000Z' })
  for (const url of ['/v1/feed.json', '/v1/feed.xml']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 200)
    t.same({ sha256: createHash('sha256').update(res.rawPayload).digest('hex'), etag: res.headers.etag }, EXPECTED[url], url)
  }
})
