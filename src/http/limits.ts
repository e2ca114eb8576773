import type { ServerOptions } from 'node:http'
import type { Config } from '../config.js'

// Node checks for expired requests on a timer; checking 4 times per timeout keeps a 408 within a quarter of it late.
const CHECKS_PER_TIMEOUT = 4
const MAX_CHECK_INTERVAL_MS = 30_000

/**
 * What one client may hold of the server: how long it may take to send a request (a slow client gets
 * a 408 problem, written by the app's clientErrorHandler), how long an idle kept-alive connection
 * stays, and how large a body may be. Fastify options, passed to `Fastify()`.
 */
export function serverLimits(config: Pick<Config, 'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs' | 'bodyLimitBytes'>) {
  const http: ServerOptions = {
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: config.headersTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(MAX_CHECK_INTERVAL_MS, Math.ceil(config.headersTimeoutMs / CHECKS_PER_TIMEOUT)),
  }
  // Fastify copies these three onto the server after making it, so they are given to it as well as to Node.
  return { http, requestTimeout: config.requestTimeoutMs, keepAliveTimeout: config.keepAliveTimeoutMs, bodyLimit: config.bodyLimitBytes }
}
