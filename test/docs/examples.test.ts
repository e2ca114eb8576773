import t from 'tap'
import { buildExamples } from '../../src/docs/examples.js'
import { createTestApp } from '../helpers/app.js'

interface Media {
  schema?: unknown
  example?: unknown
  examples?: Record<string, unknown>
}
interface Operation {
  operationId?: string
  description?: string
  deprecated?: boolean
  parameters?: { name: string; in: string; schema?: { enum?: string[] } }[]
  requestBody?: { content?: Record<string, Media> }
  responses?: Record<string, { headers?: Record<string, unknown>; content?: Record<string, Media> }>
}
interface Document {
  paths: Record<string, Record<string, Operation>>
}

const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'

/** Every string of the document (keys' values, arrays, nested objects). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings)
  return []
}

async function served(t: Parameters<typeof createTestApp>[0]) {
  const { app } = await createTestApp(t)
  await app.ready()
  return { app, document: app.swagger() as unknown as Document }
}

t.test('every operation has a description and an example for each body it takes or sends', async (t) => {
  const { document } = await served(t)
  const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ where: `${method.toUpperCase()} ${path}`, operation })))
  t.ok(operations.length >= 15, `${operations.length} operations`)
  for (const { where, operation } of operations) {
    t.ok(operation.description && operation.description.length >= 20, `${where} has a description`)
    const bodies = [
      ...Object.entries(operation.requestBody?.content ?? {}).map(([type, media]) => ({ what: `request ${type}`, media })),
      ...Object.entries(operation.responses ?? {}).flatMap(([status, response]) => Object.entries(response.content ?? {}).map(([type, media]) => ({ what: `${status} ${type}`, media }))),
    ]
    t.ok(bodies.some(({ media }) => media.example !== undefined), `${where} has at least one example`)
    for (const { what, media } of bodies) t.ok(media.example !== undefined || media.examples !== undefined, `${where} ${what} has an example`)
  }
})

t.test('the examples are made from the seed, not typed by hand', async (t) => {
  const examples = await buildExamples()
  const { app } = await createTestApp(t)
  // What the API answers on the seeded database is what the document shows, but for the clock.
  const live = (await app.inject(`/v1/articles/${SEED_SLUG}/techniques`)).json()
  t.same(examples.responses.listArticleTechniques, live, 'listArticleTechniques is the seeded article\'s techniques')
  // The examples' database also holds the two example comments.
  const article = { ...((await app.inject(`/v1/articles/${SEED_SLUG}`)).json() as Record<string, unknown>), commentCount: 2 }
  t.same(examples.responses.getArticle, article, 'getArticle is the seeded article')
  const { document } = await served(t)
  t.same(document.paths['/v1/articles/{slug}']!.get!.responses!['200']!.content!['application/json']!.example, article, 'and it is in the document')
})

t.test('every problem type the document names has a page on the service', async (t) => {
  const { app, document } = await served(t)
  const parameter = document.paths['/problems/{type}']?.get?.parameters?.find((candidate) => candidate.name === 'type')
  const documentedTypes = parameter?.schema?.enum ?? []
  t.ok(documentedTypes.length > 0, 'getProblemType lists the problem types')
  const named = new Set(strings(document).flatMap((text) => [...text.matchAll(/(?:^|[\s`(])\/problems\/([a-z-]+)/g)].map((match) => match[1]!)))
  t.ok(named.has('not-found') && named.has('validation-failed'), 'the examples name problem types')
  for (const type of named) t.ok(documentedTypes.includes(type), `/problems/${type} (named in the document) is a documented problem type`)
  for (const type of documentedTypes) {
    const page = await app.inject(`/problems/${type}`)
    t.equal(page.statusCode, 200, `/problems/${type} resolves`)
    t.match(page.headers['content-type'], /^text\/html/)
    t.match(page.body, /<h1>\d{3} [^<]+<\/h1><p>[^<]+<\/p>/, `/problems/${type} explains the problem`)
  }
  // Each problem example's type resolves and has the status of its response.
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const example = response.content?.['application/problem+json']?.example as { type: string; status: number } | undefined
        if (!example) continue
        t.equal(example.status, Number(status), `${method.toUpperCase()} ${path} ${status}: the example's status`)
        t.equal((await app.inject(example.type)).statusCode, 200, `${method.toUpperCase()} ${path} ${status}: ${example.type} resolves`)
      }
    }
  }
})

t.test('a deprecated operation announces its Deprecation and Sunset headers (README: versioning)', async (t) => {
  const { document } = await served(t)
  const deprecated = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).filter(([, operation]) => operation.deprecated).map(([method, operation]) => ({ where: `${method.toUpperCase()} ${path}`, operation })))
  t.comment(`${deprecated.length} deprecated operation(s)`)
  for (const { where, operation } of deprecated) {
    for (const [status, response] of Object.entries(operation.responses ?? {})) {
      if (!status.startsWith('2')) continue
      t.ok(response.headers?.['Deprecation'] && response.headers['Sunset'], `${where} ${status} documents Deprecation and Sunset`)
    }
  }
  t.pass('checked')
})
