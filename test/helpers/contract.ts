import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

interface SchemaObject {
  type?: string | string[]
  [keyword: string]: unknown
}
interface Header {
  schema?: SchemaObject
  required?: boolean
}
interface Response {
  description?: string
  headers?: Record<string, Header>
  content?: Record<string, { schema?: SchemaObject }>
}
interface Operation {
  operationId?: string
  responses?: Record<string, Response>
}
export interface OpenApiDocument {
  paths?: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, SchemaObject> }
}

/** What the contract needs to know of a response: what `inject` returns has all of it. */
export interface ReceivedResponse {
  statusCode: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
  /** The bytes as sent; needed to read a compressed body. */
  rawPayload?: Buffer
}

/** The body as text, decoded from its content coding (br, gzip) when it has one. */
function decodedBody(response: ReceivedResponse): string {
  const coding = response.headers['content-encoding']
  if (!response.rawPayload || (coding !== 'br' && coding !== 'gzip')) return response.body
  return (coding === 'br' ? brotliDecompressSync : gunzipSync)(response.rawPayload).toString('utf8')
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])
const DOCUMENT_ID = 'openapi.json'

/**
 * Checks responses against an OpenAPI 3.1 document: the operation is found from the request's
 * method and path by the document's own path templates (no list of routes here), then its
 * status, content type, body (JSON Schema 2020-12, formats on) and documented headers.
 *
 * - A documented path and method: the status must be documented (exactly, as `4XX`, or `default`),
 *   the content type must be one the status documents (no body when it documents none), the body
 *   must match that schema, and each documented header that is sent must match its schema; a
 *   header that the document knows elsewhere (e.g. `Link`, `Location`) but not on this response is
 *   drift too.
 * - HEAD is checked as the GET it mirrors, without a body. OPTIONS (CORS preflights, answered for
 *   every path by the CORS plugin) is no operation of the document: it falls in the next case.
 * - Anything else (an unknown path, or a method the path does not document) is not an operation:
 *   an error answer must still be an `application/problem+json` that matches `Problem`; a success
 *   answer comes from a route hidden from the document on purpose (`/openapi.json`, `/docs`...)
 *   and is not checked.
 */
export class Contract {
  readonly #ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }))
  readonly #validators = new Map<string, ValidateFunction>()
  readonly #routes: { method: string; template: string; pattern: RegExp; params: number; operation: Operation }[] = []
  readonly #knownHeaders = new Set<string>()

  constructor(readonly document: OpenApiDocument) {
    this.#ajv.addSchema({ $id: DOCUMENT_ID, components: document.components ?? {} })
    for (const [template, item] of Object.entries(document.paths ?? {})) {
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')
      for (const [method, operation] of Object.entries(item)) {
        if (!METHODS.has(method)) continue
        this.#routes.push({ method: method.toUpperCase(), template, pattern: new RegExp(`^${source}$`), params: (template.match(/\{/g) ?? []).length, operation })
        for (const response of Object.values(operation.responses ?? {})) {
          for (const name of Object.keys(response.headers ?? {})) this.#knownHeaders.add(name.toLowerCase())
        }
      }
    }
    // The most specific template wins, as in the router: fewer parameters first.
    this.#routes.sort((a, b) => a.params - b.params)
  }

  /** Every way `response` breaks the document, as messages naming the request; empty when it keeps it. */
  check(method: string, url: string, response: ReceivedResponse): string[] {
    method = method.toUpperCase()
    const path = pathOf(url)
    const lookup = method === 'HEAD' ? 'GET' : method
    const route = path === undefined ? undefined : this.#routes.find((candidate) => candidate.method === lookup && candidate.pattern.test(path))
    const where = `${method} ${url} → ${response.statusCode}`
    if (!route) return this.#checkOutsideDocument(where, response)

    const failures: string[] = []
    const fail = (message: string) => failures.push(`${where} (${route.operation.operationId ?? route.template}): ${message}`)
    const responses = route.operation.responses ?? {}
    const status = String(response.statusCode)
    const key = [status, `${status[0]}XX`, 'default'].find((candidate) => candidate in responses)
    if (!key) {
      fail(`status ${status} is not documented (documented: ${Object.keys(responses).join(', ')})`)
      return failures
    }
    const documented = responses[key]!

    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      const value = headerValue(response.headers[name.toLowerCase()])
      if (value === undefined) {
        if (header.required) fail(`required header ${name} is missing`)
        continue
      }
      if (header.schema) {
        const validate = this.#compile(header.schema)
        if (!validate(coerce(value, header.schema))) fail(`header ${name}: ${JSON.stringify(value)} ${this.#ajv.errorsText(validate.errors, { dataVar: 'value' })}`)
      }
    }
    const documentedHeaders = new Set(Object.keys(documented.headers ?? {}).map((name) => name.toLowerCase()))
    for (const name of Object.keys(response.headers)) {
      if (this.#knownHeaders.has(name) && !documentedHeaders.has(name)) fail(`header ${name} is sent but not documented for this response`)
    }

    const contentType = mediaType(response.headers['content-type'])
    const content = documented.content ?? {}
    if (Object.keys(content).length === 0) {
      if (response.body !== '') fail(`a body is sent (${contentType ?? 'no content type'}) but the response documents none`)
      return failures
    }
    if (contentType === undefined || !(contentType in content)) {
      fail(`content type ${contentType ?? '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`)
      return failures
    }
    const schema = content[contentType]!.schema
    if (method === 'HEAD' || schema === undefined) return failures
    const body = parseBody(contentType, decodedBody(response))
    if (body instanceof Error) {
      fail(`the ${contentType} body does not parse: ${body.message}`)
      return failures
    }
    const validate = this.#compile(schema)
    if (!validate(body)) fail(`the body does not match the schema: ${this.#ajv.errorsText(validate.errors, { dataVar: 'body' })}`)
    return failures
  }

  #checkOutsideDocument(where: string, response: ReceivedResponse): string[] {
    if (response.statusCode < 400) return []
    const contentType = mediaType(response.headers['content-type'])
    if (contentType !== 'application/problem+json') return [`${where} (not an operation of the document): an error must be application/problem+json, not ${contentType ?? '(none)'}`]
    const validate = this.#compile({ $ref: '#/components/schemas/Problem' })
    const body = parseBody(contentType, decodedBody(response))
    if (body instanceof Error || !validate(body)) return [`${where} (not an operation of the document): the problem does not match Problem: ${body instanceof Error ? body.message : this.#ajv.errorsText(validate.errors, { dataVar: 'body' })}`]
    return []
  }

  /** One compiled validator per distinct schema, for the life of the process. */
  #compile(schema: SchemaObject): ValidateFunction {
    const text = JSON.stringify(schema).replaceAll('"#/components/', `"${DOCUMENT_ID}#/components/`)
    let validate = this.#validators.get(text)
    if (!validate) {
      validate = this.#ajv.compile(JSON.parse(text) as SchemaObject)
      this.#validators.set(text, validate)
    }
    return validate
  }
}

const contracts = new Map<string, Contract>()
const byObject = new WeakMap<object, Contract>()

/** The contract of a document, built once per process (per distinct document, whichever app made it). */
export function contractFor(document: OpenApiDocument): Contract {
  let contract = byObject.get(document)
  if (contract) return contract
  const key = JSON.stringify(document)
  contract = contracts.get(key) ?? new Contract(document)
  contracts.set(key, contract)
  byObject.set(document, contract)
  return contract
}

function pathOf(url: string): string | undefined {
  try {
    const path = new URL(url, 'http://localhost').pathname
    // The router ignores a trailing slash.
    return path.length > 1 ? path.replace(/\/+$/, '') : path
  } catch {
    return undefined
  }
}

function headerValue(value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(', ') : String(value)
}

function mediaType(value: string | string[] | number | undefined): string | undefined {
  return headerValue(value)?.split(';')[0]!.trim().toLowerCase() || undefined
}

function coerce(value: string, schema: SchemaObject): unknown {
  const types = [schema.type].flat()
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value)
  return value
}

function parseBody(contentType: string, body: string): unknown {
  if (contentType !== 'application/json' && !contentType.endsWith('+json')) return body
  try {
    return JSON.parse(body) as unknown
  } catch (error) {
    return error as Error
  }
}
