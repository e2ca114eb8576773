import type { AddressInfo } from 'node:net'
import t from 'tap'
import { createTestApp } from '../helpers/app.js'
import { rawRequest } from '../helpers/raw.js'

const CATALOG = '/.well-known/api-catalog'
const PROFILE = 'https://www.rfc-editor.org/info/rfc9727'

interface Target {
  href: string
  type?: string
}
interface Linkset {
  linkset: { anchor: string; 'service-desc': Target[]; 'service-doc': Target[]; status: Target[] }[]
}

t.test('GET /.well-known/api-catalog is an RFC 9727 linkset', async (t) => {
  const { app } = await createTestApp(t)
  const res = await app.inject({ url: CATALOG, headers: { host: 'api.example.com' } })
  t.equal(res.statusCode, 200)
  const contentType = res.headers['content-type'] as string
  t.match(contentType, /^application\/linkset\+json\s*;/, 'a linkset')
  t.match(contentType, `profile="${PROFILE}"`, 'with the RFC 9727 profile')
  const body = res.json() as Linkset
  t.same(Object.keys(body), ['linkset'])
  t.equal(body.linkset.length, 1, 'one API')
  const [api] = body.linkset
  t.equal(api!.anchor, 'http://api.example.com/v1', 'the anchor is the API, on the host asked')
  t.match(api!.anchor, /\/v1$/)
  t.same(api!['service-desc'], [
    { href: 'http://api.example.com/openapi.json', type: 'application/openapi+json' },
    { href: 'http://api.example.com/openapi.yaml', type: 'application/openapi+yaml' },
  ])
  t.same(api!['service-doc'], [{ href: 'http://api.example.com/docs', type: 'text/html' }])
  t.same(api!.status, [{ href: 'http://api.example.com/readyz', type: 'application/json' }])
})

t.test('every href in the catalog resolves through the app, with the type it names', async (t) => {
  const { app } = await createTestApp(t)
  const body = (await app.inject(CATALOG)).json() as Linkset
  const [api] = body.linkset
  const targets = [...api!['service-desc'], ...api!['service-doc'], ...api!.status]
  t.equal(targets.length, 4)
  for (const { href, type } of targets) {
    const url = new URL(href)
    t.equal(url.origin, new URL(api!.anchor).origin, `${href}: on the API's origin`)
    const res = await app.inject(url.pathname + url.search)
    t.equal(res.statusCode, 200, `${href} resolves`)
    const expected = type === 'application/openapi+json' ? /^application\/(openapi\+)?json/ : type === 'application/openapi+yaml' ? /^application\/(openapi\+)?yaml/ : new RegExp(`^${type!.replace('+', '\\+')}`)
    t.match(res.headers['content-type'], expected, `${href}: ${type}`)
  }
  const openapi = (await app.inject('/openapi.json')).json()
  t.match(openapi.openapi, /^3\./, 'the service-desc is an OpenAPI document')
  t.ok(Object.keys(openapi.paths).some((path) => path.startsWith('/v1/')), 'that describes the API under the anchor')
  t.ok('/.well-known/api-catalog' in openapi.paths, 'the catalog itself is described')
})

t.test('the catalog is cacheable like any public GET and not taken in by X-Forwarded-Host without a trusted proxy', async (t) => {
  const { app } = await createTestApp(t)
  const res = await app.inject({ url: CATALOG, headers: { host: 'api.example.com', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } })
  t.equal(res.statusCode, 200)
  t.notMatch(res.body, 'evil.example', 'forwarded headers are ignored unless TRUST_PROXY says so')
  t.equal((res.json() as Linkset).linkset[0]!.anchor, 'http://api.example.com/v1')
  t.match(res.headers.etag, /^"[\w-]+"$/)
  t.match(res.headers['cache-control'], /^public, max-age=\d+/)
  const again = await app.inject({ url: CATALOG, headers: { host: 'api.example.com', 'if-none-match': res.headers.etag as string } })
  t.equal(again.statusCode, 304)
  const otherHost = await app.inject({ url: CATALOG, headers: { host: 'other.example.com', 'if-none-match': res.headers.etag as string } })
  t.equal(otherHost.statusCode, 200, 'another host gets other links, so another tag')
  t.match(otherHost.body, 'http://other.example.com/v1')

  const { app: proxied } = await createTestApp(t, { env: { TRUST_PROXY: '1' } })
  const behind = await proxied.inject({ url: CATALOG, headers: { host: 'internal:3000', 'x-forwarded-host': 'api.example.com', 'x-forwarded-proto': 'https' } })
  t.equal((behind.json() as Linkset).linkset[0]!.anchor, 'https://api.example.com/v1', 'behind a trusted proxy the public origin is used')
})

t.test('the catalog answers HEAD; other methods are 405 problems naming GET and HEAD', async (t) => {
  const { app } = await createTestApp(t)
  const head = await app.inject({ method: 'HEAD', url: CATALOG })
  t.equal(head.statusCode, 200)
  t.match(head.headers['content-type'], /^application\/linkset\+json/)
  t.equal(head.body, '')
  const post = await app.inject({ method: 'POST', url: CATALOG })
  t.equal(post.statusCode, 405, 'only GET and HEAD')
  t.equal(post.headers.allow, 'GET, HEAD')
  t.match(post.headers['content-type'], /^application\/problem\+json/)
})

t.test('absolute links: from PUBLIC_URL whatever the Host; without it from a checked Host, with Vary: Host (issue 15, row 7)', async (t) => {
  const { app: configured } = await createTestApp(t, { env: { PUBLIC_URL: 'https://api.spa.example' } })
  for (const url of [CATALOG, '/v1/feed.json', '/v1/feed.xml']) {
    const res = await configured.inject({ url, headers: { host: 'evil.example' } })
    t.equal(res.statusCode, 200, url)
    t.notMatch(res.body, 'evil.example', `${url}: the Host is not used`)
    t.match(res.body, 'https://api.spa.example/', `${url}: links under PUBLIC_URL`)
    t.notMatch(res.headers.vary, /host/i, `${url}: does not vary on Host`)
  }

  const { app } = await createTestApp(t)
  for (const url of [CATALOG, '/v1/feed.json', '/v1/feed.xml']) {
    const good = await app.inject({ url, headers: { host: 'api.example.com:8080' } })
    t.match(good.body, 'http://api.example.com:8080/', `${url}: links under the request's host`)
    t.match(good.headers.vary, /\bhost\b/i, `${url}: Vary: Host, so a shared cache keeps one copy per host`)
    const evil = await app.inject({ url, headers: { host: 'evil.example' } })
    t.match(evil.body, 'http://evil.example/', `${url}: another host gets its own links`)
    const again = await app.inject({ url, headers: { host: 'api.example.com:8080' } })
    t.equal(again.body, good.body, `${url}: and does not change the first host's answer`)
    for (const host of ['evil.example/path', 'a b', 'evil.example@x']) {
      const res = await app.inject({ url, headers: { host } })
      t.equal(res.statusCode, 400, `${url} Host ${JSON.stringify(host)}: a 400 problem`)
      t.match(res.headers['content-type'], /^application\/problem\+json/)
    }
  }

  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const answer = await rawRequest(port, `GET ${CATALOG} HTTP/1.0\r\nConnection: close\r\n\r\n`)
  t.notMatch(answer.raw, 'http:///', 'HTTP/1.0 without Host never gets http:///')
  t.match(answer.raw, /^HTTP\/1\.[01] 400/, 'but a 400')
})

t.test('GET / links to the API, its docs, its OpenAPI document and its catalog, each of which answers', async (t) => {
  const { app } = await createTestApp(t)
  const res = await app.inject('/')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json() as { name: string; links: Record<string, string> }
  t.same(body, { name: 'Spa Content API', links: { api: '/v1', docs: '/docs', openapi: '/openapi.json', apiCatalog: CATALOG } })
  for (const [name, href] of Object.entries(body.links).filter(([name]) => name !== 'api')) {
    const linked = await app.inject(href.endsWith('/docs') ? `${href}/` : href)
    t.equal(linked.statusCode, 200, `${name}: ${href} answers`)
  }
})
