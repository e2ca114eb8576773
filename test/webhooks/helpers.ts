import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import { createTestStore } from '../helpers/store.js'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import { buildApp, type AppOptions } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openStore } from '../../src/db/open.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { ArticleRepository } from '../../src/articles/repository.js'
import { TEST_ADMIN_TOKEN, checkResponsesAgainstDocument } from '../helpers/app.js'

/** Shared by the webhook tests; tap only runs `*.test.ts`, so this file is not a test of its own. */

export const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }
export const ALL_EVENTS = ['article.published', 'article.updated', 'article.unpublished', 'article.deleted', 'comment.created', 'comment.approved', 'comment.deleted']

export interface Received {
  headers: Record<string, string>
  body: string
  at: number
}

/** How the receiver answers its n-th request (0-based): a status, after a delay, with a body. */
export type Answer = (n: number, received: Received) => { status: number; delayMs?: number; body?: string; headers?: Record<string, string> }

/** A real HTTP server on loopback that records every request; closed after the test. */
export async function receiver(t: Test, answer: Answer = () => ({ status: 204 })) {
  const received: Received[] = []
  const open = new Set<ServerResponse>()
  const server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
    request.on('end', async () => {
      const entry = { headers: flat(request.headers), body, at: Date.now() }
      const n = received.push(entry) - 1
      const { status, delayMs = 0, body: answerBody = '', headers = {} } = answer(n, entry)
      open.add(response)
      if (delayMs) await sleep(delayMs)
      if (!response.destroyed) response.writeHead(status, headers).end(answerBody)
      open.delete(response)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const response of open) response.destroy()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hook`, received, server }
}

const flat = (headers: IncomingHttpHeaders) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]))

/**
 * The real app on a migrated, seeded database of the store under test, webhooks allowed to loopback,
 * its worker polling fast. `path` gives SQLite a file (PostgreSQL always has a database of its own);
 * `sameDatabaseAs` opens another connection to another app's database: a second server process.
 */
export async function webhookApp(
  t: Test,
  options: { path?: string; env?: Record<string, string>; webhooks?: AppOptions['webhooks']; sameDatabaseAs?: { env: Record<string, string> } } = {},
) {
  const opened = options.sameDatabaseAs
    ? { ...(await openStore(loadConfig(options.sameDatabaseAs.env))), env: options.sameDatabaseAs.env }
    : await createTestStore(t, options.path === undefined ? {} : { path: options.path })
  const { store, migrations, env } = opened
  await seedIfEmpty(new ArticleRepository(store), new Date('2026-01-15T09:00:00.000Z'))
  const config = loadConfig({ ...env, ADMIN_TOKEN: TEST_ADMIN_TOKEN, COMMENT_RATE_LIMIT_PER_MINUTE: '0', WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', ...options.env })
  const app = await buildApp({ store, migrations, config, logger: false, webhooks: { pollIntervalMs: 50, ...options.webhooks } })
  t.teardown(() => app.close())
  checkResponsesAgainstDocument(t, app)
  await app.ready()
  return { app, store, env }
}

/** Polls until `check` holds; fails the wait after `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

export async function createEndpoint(app: Awaited<ReturnType<typeof webhookApp>>['app'], url: string, events: string[] = ALL_EVENTS) {
  const res = await app.inject({ method: 'POST', url: '/v1/webhooks/endpoints', headers: ADMIN, payload: { url, events } })
  if (res.statusCode !== 201) throw new Error(`create endpoint: ${res.statusCode} ${res.body}`)
  return res.json() as { id: number; secret: string; url: string; events: string[] }
}

export const typeOf = (received: Received) => (JSON.parse(received.body) as { type: string }).type
