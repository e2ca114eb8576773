import type { InjectOptions } from 'fastify'
import type { App } from '../../src/app.js'
import { TEST_ADMIN_TOKEN } from './app.js'

/**
 * The routes of the app as its OpenAPI document lists them, with path parameters filled so that
 * each route really answers: routes added later are covered as soon as they are in the document.
 */

type Schema = Record<string, unknown>

interface Parameter {
  name: string
  in: 'path' | 'query' | 'header'
  required?: boolean
  schema?: Schema
}

export interface Operation {
  method: string
  /** The path template, e.g. `/v1/articles/{slug}/comments`. */
  template: string
  /** The template with every path parameter filled with a real value. */
  path: string
  /** The query parameters the route requires, filled from their schemas (`q=x`); empty when it requires none. */
  requiredQuery: string
  operationId: string
  pathParams: string[]
  queryParams: string[]
  headerParams: Parameter[]
  /** A JSON body the route would accept, when it takes one. */
  body: unknown
  /** The route declares a security requirement. */
  secured: boolean
  /** Headers that let the caller in (the admin token for bearer routes); empty for public routes. */
  credentials: Record<string, string>
}

interface Document {
  paths: Record<string, Record<string, { operationId?: string; parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> }; security?: unknown[] }>>
  components?: { schemas?: Record<string, Schema> }
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'patch', 'delete'])

/** Values tried, in order, for a path parameter: the first that makes a GET of the route answer 2xx wins. */
export interface RealValues {
  slugs: string[]
  ids: number[]
}

export async function operationsOf(app: App, real: RealValues): Promise<Operation[]> {
  const document = app.swagger() as unknown as Document
  const operations: Operation[] = []
  for (const [template, item] of Object.entries(document.paths)) {
    const methods = Object.entries(item).filter(([method]) => HTTP_METHODS.has(method))
    const parameters = methods.flatMap(([, op]) => op.parameters ?? [])
    const pathParams = [...new Set(parameters.filter((p) => p.in === 'path').map((p) => p.name))]
    const secured = methods.some(([, op]) => (op.security ?? []).length > 0)
    const credentials: Record<string, string> = secured ? { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } : {}
    const path = await fillPath(app, template, parameters, real, methods.some(([method]) => method === 'get') ? credentials : undefined)
    for (const [method, op] of methods) {
      const content = op.requestBody?.content?.['application/json']
      operations.push({
        method: method.toUpperCase(),
        template,
        path,
        requiredQuery: new URLSearchParams(
          (op.parameters ?? []).filter((p) => p.in === 'query' && p.required).map((p): [string, string] => [p.name, String(exampleOf(p.schema ?? {}, document.components?.schemas ?? {}))]),
        ).toString(),
        operationId: op.operationId ?? `${method} ${template}`,
        pathParams,
        queryParams: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        headerParams: (op.parameters ?? []).filter((p) => p.in === 'header'),
        body: content ? exampleOf(content.schema ?? {}, document.components?.schemas ?? {}) : undefined,
        secured: keyRequired(op.security),
        credentials: keyRequired(op.security) ? credentials : {},
      })
    }
  }
  return operations
}

/** Whether an operation needs a key; `{}` among its requirements makes the key optional (public, with more for a key). */
const keyRequired = (security: unknown[] = []) => security.length > 0 && !security.some((requirement) => Object.keys(requirement as object).length === 0)

/** Fills each path parameter: enums take their first value; ids and slugs the first real value a GET answers 2xx to. */
async function fillPath(app: App, template: string, parameters: Parameter[], real: RealValues, getHeaders: Record<string, string> | undefined): Promise<string> {
  const names = [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!)
  const candidates = (name: string): string[] => {
    const schema = parameters.find((p) => p.in === 'path' && p.name === name)?.schema ?? {}
    if (Array.isArray(schema.enum)) return [String(schema.enum[0])]
    if (schema.type === 'integer') return real.ids.map(String)
    return real.slugs
  }
  const values = new Map(names.map((name) => [name, candidates(name)[0]!]))
  const build = () => template.replace(/\{(\w+)\}/g, (_match, name: string) => values.get(name)!)
  // One parameter at a time: a catalog's slug is a technique's or a benefit's, not the article's.
  for (const name of getHeaders ? names : []) {
    for (const value of candidates(name)) {
      values.set(name, value)
      if ((await app.inject({ url: build(), headers: getHeaders })).statusCode < 300) break
    }
  }
  return build()
}

/** A value the schema accepts, made from its examples, defaults, enums and bounds. */
export function exampleOf(schema: Schema, components: Record<string, Schema>): unknown {
  if (typeof schema.$ref === 'string') return exampleOf(components[schema.$ref.replace('#/components/schemas/', '')] ?? {}, components)
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0]
  if ('default' in schema) return schema.default
  if (Array.isArray(schema.enum)) return schema.enum[0]
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  if (type === 'object') {
    const properties = (schema.properties ?? {}) as Record<string, Schema>
    const required = (schema.required ?? []) as string[]
    return Object.fromEntries(required.map((name) => [name, exampleOf(properties[name] ?? {}, components)]))
  }
  if (type === 'array') return schema.items ? [exampleOf(schema.items as Schema, components)] : []
  if (type === 'integer' || type === 'number') return typeof schema.minimum === 'number' ? schema.minimum : 1
  if (type === 'boolean') return true
  if (schema.format === 'email') return 'reader@example.com'
  if (schema.format === 'uri') return 'https://reader.example'
  return 'x'.repeat(typeof schema.minLength === 'number' ? schema.minLength : 1)
}

/** An inject request with the operation's credentials merged into the given headers. */
export function requestFor(op: Operation, overrides: Partial<InjectOptions> & { headers?: Record<string, string> }): InjectOptions {
  return { method: op.method as InjectOptions['method'], url: op.requiredQuery ? `${op.path}?${op.requiredQuery}` : op.path, ...overrides, headers: { ...op.credentials, ...overrides.headers } }
}
