import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { HttpProblem, problemBody, problemTypes, validationFailed, type ProblemBody, type ProblemType } from './problem.js'
import { validationIssues } from './validation.js'

const PROBLEM_TYPE_BY_STATUS = new Map<number, ProblemType>(
  (Object.entries(problemTypes) as [ProblemType, (typeof problemTypes)[ProblemType]][])
    .filter(([type]) => type !== 'validation-failed')
    .map(([type, { status }]) => [status, type]),
)

/** Every error leaves as an RFC 9457 problem; a server fault is logged and told nothing about. */
export function useProblemResponses(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error)
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
    return sendProblem(request, reply, problem)
  })

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new HttpProblem('not-found', `Nothing is at ${request.method} ${request.url.split('?')[0]}.`)),
  )
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: HttpProblem | ProblemBody) {
  const body = problem instanceof HttpProblem ? problemBody(problem, request.id) : { ...problem, requestId: request.id }
  if (problem instanceof HttpProblem) reply.headers(problem.headers)
  return reply.code(body.status).type('application/problem+json').send(body)
}

function toProblem(error: FastifyError): HttpProblem | ProblemBody {
  if (error instanceof HttpProblem) return error
  if (error.validation) {
    return validationFailed(validationIssues(error.validation, error.validationContext ?? 'body'))
  }
  const status = error.statusCode ?? 500
  if (status >= 500) return new HttpProblem('internal-error', 'The server failed to answer this request. Quote the requestId when you report it.')
  const type = PROBLEM_TYPE_BY_STATUS.get(status)
  if (type) return new HttpProblem(type, error.message)
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Client Error', status, detail: error.message }
}
