import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NO_STORE, SERVICE_LINKS } from './caching.js'
import { codingTag, strongTag, type ContentCoding } from './conditional.js'
import type { DataGeneration } from '../db/store.js'
import { SECURITY_HEADERS } from './security-headers.js'

/** Smaller answers fit in a packet or two anyway; compressing them costs more CPU than it saves time. */
export const COMPRESS_ABOVE_BYTES = 1024
// What the headers, the key and the bookkeeping of an entry take besides its bodies, roughly.
const ENTRY_OVERHEAD_BYTES = 2048
const JSON_TYPE = 'application/json; charset=utf-8'
const WEAK = /^W\//
const CODINGS: ContentCoding[] = ['br', 'gzip']
const encoders: Record<ContentCoding, (body: Buffer) => Buffer> = {
  br: (body) => brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 4, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }),
  gzip: (body) => gzipSync(body),
}

/** What else than the path and the query an answer depends on. */
export type Dependency =
  /** The answer differs with credentials (e.g. an editor sees drafts): `Vary: Authorization`. */
  | 'authorization'
  /** The answer holds absolute links made from the request's `Host`: `Vary: Host`, and one entry per host. */
  | 'host'

/** Route options of a route that answers through `PreparedAnswers`: it codes its own bodies, once. */
export const PREPARED_ROUTE = { compress: false } as const

export interface PreparedOptions {
  generation: DataGeneration
  /** Bytes every entry (all its codings) may take together; 0 keeps none. */
  maxBytes: number
  /** `Cache-Control` of a public answer. */
  cacheControl: string
  /** Whether answers vary on `Origin` (CORS is on). */
  cors: boolean
}

declare module 'fastify' {
  interface FastifyReply {
    /** Sends the prepared answer of this request (see PreparedAnswers), building it with `build` when there is none. */
    sendPrepared(build: () => unknown, dependsOn?: readonly Dependency[]): FastifyReply | Promise<FastifyReply>
  }
}

/** Gives every reply `sendPrepared`, answering from one shared PreparedAnswers. */
export function usePreparedAnswers(app: FastifyInstance, options: PreparedOptions): void {
  const answers = new PreparedAnswers(options)
  app.decorateReply('sendPrepared', function (this: FastifyReply, build: () => unknown | Promise<unknown>, dependsOn?: readonly Dependency[]) {
    return answers.answer(this.request, this, build, dependsOn)
  })
}

interface Representation {
  body: Buffer
  headers: Record<string, string>
}

/**
 * One answer, built once: status 200, its headers, its body in identity and in each coding asked for
 * so far, and the headers of a 304 for each of its tags (identity's and, for a body worth coding, br's and gzip's).
 */
class Prepared {
  readonly codings: Partial<Record<ContentCoding, Representation>> = {}
  readonly notModified = new Map<string, Record<string, string>>()
  readonly identity: Representation
  readonly coded: boolean
  /** Whether the cache holds it (and counts its bytes). */
  stored = false
  bytes: number

  constructor(
    body: Buffer,
    readonly etag: string,
    private readonly validators: Record<string, string>,
    private readonly type: string,
    readonly lastModified: number | undefined,
  ) {
    this.identity = { body, headers: { ...validators, etag, 'content-type': type, 'content-length': String(body.length) } }
    this.coded = body.length >= COMPRESS_ABOVE_BYTES
    this.notModified.set(etag, { ...validators, etag })
    if (this.coded) for (const coding of CODINGS) this.notModified.set(codingTag(etag, coding), { ...validators, etag: codingTag(etag, coding) })
    this.bytes = body.length + ENTRY_OVERHEAD_BYTES
  }

  tagOf(coding: ContentCoding | undefined): string {
    return coding === undefined ? this.etag : codingTag(this.etag, coding)
  }

  /** The body in `coding`, coded now if no request asked for it before; returns it with the bytes it added. */
  inCoding(coding: ContentCoding | undefined): [Representation, number] {
    if (coding === undefined) return [this.identity, 0]
    const held = this.codings[coding]
    if (held) return [held, 0]
    const body = encoders[coding](this.identity.body)
    const etag = codingTag(this.etag, coding)
    const representation = { body, headers: { ...this.validators, etag, 'content-type': this.type, 'content-encoding': coding, 'content-length': String(body.length) } }
    this.codings[coding] = representation
    this.bytes += body.length
    return [representation, body.length]
  }
}

/**
 * Every public GET answer built once and reused until the data it came from may have changed: the
 * status, every header (validators, caching, Vary, Link, security headers, type, length) and the body
 * in identity, gzip and br (each coded once, when first asked for, under its own strong tag). A
 * matching `If-None-Match` or `If-Modified-Since` is answered from the held validators before any
 * SQL, serialization, hashing or compression. Entries live while the data generation stays the same
 * (see DataGeneration) and the least recently used go when their bytes pass `maxBytes`. Requests with
 * credentials never read or fill an entry: their answers are built each time and `private, no-store`.
 */
export class PreparedAnswers {
  private readonly entries = new Map<string, Prepared>()
  private bytes = 0
  private generation = -1
  private readonly codingByHeader = new Map<string, ContentCoding | undefined>()

  constructor(private readonly options: PreparedOptions) {}

  /**
   * Answers `request` with the prepared answer for its route, parameters and query, or builds it:
   * `build` runs the route's own work and returns the payload (serialized by the route's schema
   * unless already text), having set on `reply` any `ETag`, `Last-Modified`, `Link` or content type.
   */
  answer(request: FastifyRequest, reply: FastifyReply, build: () => unknown | Promise<unknown>, dependsOn: readonly Dependency[] = []): FastifyReply | Promise<FastifyReply> {
    if (request.headers.authorization !== undefined) return this.sendPrivate(request, reply, build, dependsOn)
    const generation = this.options.generation.current()
    if (generation !== this.generation) this.clear(generation)
    const key = keyOf(request, dependsOn)
    const prepared = this.entries.get(key)
    if (!prepared) return then(build(), (payload) => this.sendNew(request, reply, key, generation, payload, dependsOn))
    // Map order is the recency order: a hit moves to the end, eviction takes from the start.
    this.entries.delete(key)
    this.entries.set(key, prepared)
    return this.send(request, reply, prepared)
  }

  private sendNew(request: FastifyRequest, reply: FastifyReply, key: string, generation: number, payload: unknown, dependsOn: readonly Dependency[]): FastifyReply {
    const prepared = this.prepare(reply, payload, this.options.cacheControl, dependsOn)
    // Built from what the store held when the request came: kept only if nothing changed while it was built.
    if (this.options.generation.current() === generation && this.generation === generation) this.store(key, prepared)
    return this.send(request, reply, prepared)
  }

  private send(request: FastifyRequest, reply: FastifyReply, prepared: Prepared): FastifyReply {
    reply.preparedAnswer = true
    const coding = this.codingFor(prepared, request)
    const notModified = this.notModified(prepared, request, coding)
    if (notModified) return reply.code(304).headers(notModified).send()
    const [representation, added] = prepared.inCoding(coding)
    if (added > 0 && prepared.stored) {
      this.bytes += added
      this.evict()
    }
    return reply.headers(representation.headers).send(representation.body)
  }

  private sendPrivate(request: FastifyRequest, reply: FastifyReply, build: () => unknown | Promise<unknown>, dependsOn: readonly Dependency[]): FastifyReply | Promise<FastifyReply> {
    return then(build(), (payload) => {
      const prepared = this.prepare(reply, payload, NO_STORE, dependsOn)
      const [representation] = prepared.inCoding(this.codingFor(prepared, request))
      reply.preparedAnswer = true
      return reply.headers(representation.headers).send(representation.body)
    })
  }

  private prepare(reply: FastifyReply, payload: unknown, cacheControl: string, dependsOn: readonly Dependency[]): Prepared {
    const type = String(reply.getHeader('content-type') ?? JSON_TYPE)
    const body = Buffer.from(typeof payload === 'string' ? payload : serialize(reply, payload, type))
    const link = reply.getHeader('link')
    const lastModified = reply.getHeader('last-modified')
    const vary = ['accept-encoding', ...(this.options.cors ? ['origin'] : []), ...dependsOn].join(', ')
    const validators: Record<string, string> = {
      ...SECURITY_HEADERS,
      'cache-control': cacheControl,
      vary,
      link: link === undefined ? SERVICE_LINKS : `${String(link)}, ${SERVICE_LINKS}`,
      ...(lastModified === undefined ? {} : { 'last-modified': String(lastModified) }),
    }
    const etag = String(reply.getHeader('etag') ?? strongTag(body))
    return new Prepared(body, etag, validators, type, lastModified === undefined ? undefined : Date.parse(String(lastModified)))
  }

  /**
   * The headers of a 304 when the request's validators match (RFC 9110 13.2.2): If-None-Match decides
   * when present (weak comparison), naming the tag of any coding the client holds; otherwise an
   * If-Modified-Since no earlier than Last-Modified, for the coding the request prefers.
   */
  private notModified(prepared: Prepared, request: FastifyRequest, coding: ContentCoding | undefined): Record<string, string> | undefined {
    const noneMatch = request.headers['if-none-match']
    if (noneMatch !== undefined) {
      if (noneMatch.trim() === '*') return prepared.notModified.get(prepared.tagOf(coding))
      for (const listed of noneMatch.split(',')) {
        const headers = prepared.notModified.get(listed.trim().replace(WEAK, ''))
        if (headers) return headers
      }
      return undefined
    }
    const since = request.headers['if-modified-since']
    if (since === undefined || prepared.lastModified === undefined) return undefined
    return prepared.lastModified <= Date.parse(since) ? prepared.notModified.get(prepared.tagOf(coding)) : undefined
  }

  private store(key: string, prepared: Prepared): void {
    // An answer bigger than a quarter of the budget would push out many others; it is built each time.
    if (prepared.bytes * 4 > this.options.maxBytes) return
    this.entries.set(key, prepared)
    prepared.stored = true
    this.bytes += prepared.bytes
    this.evict()
  }

  private evict(): void {
    for (const [key, prepared] of this.entries) {
      if (this.bytes <= this.options.maxBytes) return
      this.entries.delete(key)
      this.bytes -= prepared.bytes
      prepared.stored = false
    }
  }

  private clear(generation: number): void {
    for (const prepared of this.entries.values()) prepared.stored = false
    this.entries.clear()
    this.bytes = 0
    this.generation = generation
  }

  /** br, else gzip, as `Accept-Encoding` allows (q-values honoured) for a body worth coding; remembered per distinct header value. */
  private codingFor(prepared: Prepared, request: FastifyRequest): ContentCoding | undefined {
    const header = request.headers['accept-encoding']
    if (!prepared.coded || header === undefined) return undefined
    if (this.codingByHeader.has(header)) return this.codingByHeader.get(header)
    const coding = preferredCoding(header)
    if (this.codingByHeader.size >= 64) this.codingByHeader.clear()
    this.codingByHeader.set(header, coding)
    return coding
  }
}

/** `next` of the value, at once when it is there, after it when it is a promise. */
function then<T, R>(value: T | Promise<T>, next: (value: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value)
}

/** The entry of a request: its route, its parameters and its validated query in a fixed order (and its host when links use it). */
function keyOf(request: FastifyRequest, dependsOn: readonly Dependency[]): string {
  let key = `${request.routeOptions.url} ${JSON.stringify(request.params)}`
  const query = request.query as Record<string, unknown> | undefined
  if (query) {
    for (const name of Object.keys(query).sort()) key += ` ${name}=${JSON.stringify(query[name])}`
  }
  return dependsOn.includes('host') ? `${key} @${request.host}` : key
}

/** The route's own serializer for its 200 (by media type where the route declares content types). */
function serialize(reply: FastifyReply, payload: unknown, type: string): string {
  const ok = (reply.request.routeOptions.schema?.response as Record<string, { content?: object }> | undefined)?.[200]
  return String(ok?.content ? reply.serializeInput(payload as Record<string, unknown>, '200', type.split(';')[0]!) : reply.serialize(payload))
}

/** The coding to send for an `Accept-Encoding` value: the acceptable one of br and gzip with the higher q (br on a tie). */
export function preferredCoding(header: string): ContentCoding | undefined {
  const weights: Record<string, number> = {}
  for (const element of header.split(',')) {
    const [name = '', ...parameters] = element.split(';')
    const q = parameters.map((parameter) => /^\s*q\s*=\s*([\d.]+)\s*$/i.exec(parameter)?.[1]).find((value) => value !== undefined)
    weights[name.trim().toLowerCase()] = q === undefined ? 1 : Number(q)
  }
  const weight = (coding: ContentCoding) => weights[coding] ?? weights['*'] ?? 0
  const br = weight('br')
  const gzip = weight('gzip')
  if (br > 0 && br >= gzip) return 'br'
  return gzip > 0 ? 'gzip' : undefined
}
