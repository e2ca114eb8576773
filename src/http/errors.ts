import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { storageFault, type StorageFault } from '../db/storage.js'
import { HttpProblem, problemBody, problemTypes, type ProblemBody, type ProblemType } from './problem.js'
import { unsupportedMediaType } from './body.js'
import { AllowedMethods } from './methods.js'
import { validationProblem } from './validation.js'

const PROBLEM_TYPE_BY_STATUS = new Map<number, ProblemType>(
  (Object.entries(problemTypes) as [ProblemType, (typeof problemTypes)[ProblemType]][])
    .filter(([type]) => type !== 'validation-failed')
    .map(([type, { status }]) => [status, type]),
)

/**
 * Every error leaves as an RFC 9457 problem; a server fault is logged and told nothing about. A
 * storage fault (full disk, read-only or busy database, I/O error) is the service's state, not a bug:
 * a 503 with `Retry-After`, reported to `onStorageFault` so that readiness can say why.
 */
export function useProblemResponses(app: FastifyInstance, onStorageFault: (fault: StorageFault) => void = () => {}): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const fault = storageFault(error)
    if (fault) {
      onStorageFault(fault)
      // The code only: SQLite's message may name the file.
      request.log.warn({ code: fault.code }, 'storage unavailable')
      return sendProblem(request, reply, storageUnavailable(fault))
    }
    const problem = toProblem(error, request)
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
    return sendProblem(request, reply, problem)
  })

  const allowed = new AllowedMethods(app)
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!
    const methods = allowed.of(path)
    if (methods.length === 0) return sendProblem(request, reply, new HttpProblem('not-found', `Nothing is at ${request.method} ${path}.`))
    const allow = methods.join(', ')
    return sendProblem(request, reply, new HttpProblem('method-not-allowed', `${path} does not answer ${request.method}; it answers ${allow}.`, undefined, { allow }))
  })
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: HttpProblem | ProblemBody) {
  const body = problem instanceof HttpProblem ? problemBody(problem, request.id) : { ...problem, requestId: request.id }
  if (problem instanceof HttpProblem) reply.headers(problem.headers)
  return reply.code(body.status).type('application/problem+json').send(body)
}

export function storageUnavailable(fault: StorageFault): HttpProblem {
  return new HttpProblem('service-unavailable', `The database cannot take this request now: ${fault.reason}. Retry in ${fault.retryAfterSeconds} s; /readyz says when it is ready.`, undefined, {
    'retry-after': String(fault.retryAfterSeconds),
  })
}

function toProblem(error: FastifyError, request: FastifyRequest): HttpProblem | ProblemBody {
  if (error instanceof HttpProblem) return error
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return unsupportedMediaType(request)
  if (error.validation) {
    return validationProblem(error.validation, error.validationContext ?? 'body')
  }
  const status = error.statusCode ?? 500
  if (status >= 500) return new HttpProblem('internal-error', 'The server failed to answer this request. Quote the requestId when you report it.')
  const type = PROBLEM_TYPE_BY_STATUS.get(status)
  if (type) return new HttpProblem(type, error.message)
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Client Error', status, detail: error.message }
}

/**
 * A problem written straight to a socket, for what Node's HTTP parser refuses before Fastify sees a
 * request (headers over the size limit, a malformed request line) and for CONNECT, which Node hands
 * to no route: the client gets a problem like any other instead of a bare JSON or a dropped connection.
 */
export function writeRawProblem(socket: Duplex, problem: HttpProblem): void {
  if (socket.destroyed) return
  if (socket.writable) {
    const body = JSON.stringify(problemBody(problem, randomUUID()))
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}

/** Fastify's `clientErrorHandler`: the same answers as Fastify's own, as problems. */
export function clientErrorProblem(error: Error & { code?: string }): HttpProblem {
  if (error.code === 'HPE_HEADER_OVERFLOW') return new HttpProblem('request-header-fields-too-large', 'The request headers are larger than this server accepts (16 KiB).')
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new HttpProblem('request-timeout', 'The request was not received in time.')
  return new HttpProblem('bad-request', 'The request cannot be parsed as HTTP/1.1.')
}
