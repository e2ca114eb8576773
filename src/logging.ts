import type { FastifyRequest, FastifyServerOptions } from 'fastify'

// A path segment holding what looks like an email ("@", "%40") or an IP address (dotted quad, or any ":").
// No route has such segments, so only a client's mistake or a probe is hidden.
const PERSONAL_SEGMENT = /@|%40|:|%3a|(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])/i
// A preview token in the path is a credential for whoever reads the log.
const SECRET_SEGMENT = /^prv_/

/** The path to log: without the query string, and without segments that look like personal data. */
export function loggedPath(url: string): string {
  return url
    .split('?')[0]!
    .split('/')
    .map((segment) => (PERSONAL_SEGMENT.test(segment) || SECRET_SEGMENT.test(segment) ? '[redacted]' : segment))
    .join('/')
}

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
      // The path only: a query string, or a segment, may carry what a client should not have put there (an email).
      req: (request: FastifyRequest) => ({ method: request.method, path: loggedPath(request.url) }),
    },
  }
}
