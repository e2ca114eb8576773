import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import t from 'tap'
import { parse } from 'yaml'
import { generateOpenApiYaml } from '../../src/openapi/document.js'
import { createTestApp } from '../helpers/app.js'

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

interface Media {
  schema: object
  example?: unknown
}
interface Operation {
  operationId?: string
  summary?: string
  description?: string
  tags?: string[]
  responses: Record<string, { description: string; content?: Record<string, Media> }>
}
interface Document {
  openapi: string
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, object> }
}

const committed = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')

t.test('the committed openapi.yaml is what the code generates (run `npm run openapi`)', async (t) => {
  t.equal(await generateOpenApiYaml(), committed)
})

t.test('every operation is documented with id, summary, description, tag, responses and examples', async (t) => {
  const document = parse(committed) as Document
  t.equal(document.openapi, '3.1.0')
  const ids = new Set<string>()
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`
      t.ok(operation.operationId, `${where} has an operationId`)
      t.notOk(ids.has(operation.operationId!), `${where} operationId is unique`)
      ids.add(operation.operationId!)
      t.ok(operation.summary && operation.description && operation.tags?.length, `${where} has summary, description and tag`)
      for (const [status, response] of Object.entries(operation.responses)) {
        t.notOk(/^Default Response$/.test(response.description), `${where} ${status} is described`)
        const problem = response.content?.['application/problem+json']
        if (Number(status) >= 400) t.same(problem?.schema, { $ref: '#/components/schemas/Problem' }, `${where} ${status} is a Problem`)
        const media = response.content?.['application/json'] ?? problem
        if (media) t.not(media.example, undefined, `${where} ${status} has an example`)
      }
      if (path.startsWith('/v1/')) t.ok(operation.responses['400'], `${where} documents its validation problem`)
      if (path.includes('{slug}')) t.ok(operation.responses['404'], `${where} documents its 404`)
    }
  }
  t.ok(ids.has('listArticles') && ids.has('getArticle') && ids.has('getTechnique') && ids.has('listBenefits'))
})

t.test('every example is valid against the schema it illustrates', async (t) => {
  const document = parse(committed) as Document
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }))
  ajv.addSchema({ $id: 'openapi.json', components: document.components })
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (media.example === undefined) continue
          const schema = JSON.parse(JSON.stringify(media.schema).replaceAll('"#/components/', '"openapi.json#/components/'))
          const validate = ajv.compile(schema)
          t.ok(validate(media.example), `${method.toUpperCase()} ${path} ${status} ${type}: ${ajv.errorsText(validate.errors)}`)
        }
      }
    }
  }
})

t.test('the documented paths are the routes the app serves', async (t) => {
  const { app } = await createTestApp(t)
  await app.ready()
  const document = parse(committed) as Document
  const documented = Object.keys(document.paths)
  for (const path of documented) {
    for (const method of Object.keys(document.paths[path]!)) {
      t.ok(app.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), `${method} ${path} is routed`)
    }
  }
  for (const path of ['/v1/articles', '/v1/articles/{slug}', '/v1/articles/{slug}/techniques', '/v1/articles/{slug}/benefits', '/v1/techniques', '/v1/techniques/{slug}', '/v1/benefits', '/v1/benefits/{slug}', '/healthz', '/readyz']) {
    t.ok(documented.includes(path), `${path} is documented`)
  }
})

t.test('the document and the docs are served', async (t) => {
  const { app } = await createTestApp(t)
  const json = await app.inject('/openapi.json')
  t.equal(json.statusCode, 200)
  t.same(json.json(), parse(committed), '/openapi.json is the committed document')
  const yaml = await app.inject('/openapi.yaml')
  t.equal(yaml.statusCode, 200)
  t.match(yaml.headers['content-type'], /^application\/yaml/)
  t.equal(yaml.body, committed)
  const docs = await app.inject('/docs/')
  t.equal(docs.statusCode, 200)
  t.match(docs.body, /swagger-ui/i)
  const problemPage = await app.inject('/problems/not-found')
  t.equal(problemPage.statusCode, 200)
  t.match(problemPage.headers['content-type'], /^text\/html/)
  t.match(problemPage.body, /<h1>404 Not Found<\/h1>/)
  const unknown = await app.inject('/problems/no-such-type')
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json(), { type: '/problems/validation-failed', errors: [{ in: 'path', name: 'type' }] })
})
