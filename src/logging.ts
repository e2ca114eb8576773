import type { FastifyRequest, FastifyServerOptions } from 'fastify'

/**
 * pino options for the service: request lines carry the method, path and request id but never the
 * query string or the client's address; credentials and personal fields are censored wherever they appear.
 */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', '*.authorEmail', '*.email', '*.token', '*.ip'],
      censor: '[redacted]',
    },
    serializers: {
      // The path only: a query string may carry what a client should not have put there (an email).
      req: (request: FastifyRequest) => ({ method: request.method, path: request.url.split('?')[0] }),
    },
  }
}
