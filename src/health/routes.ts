import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { compareLedger, READ_LEDGER, type LedgerRow, type Migration } from '../db/migrate.js'
import { storageFault, type StorageMonitor } from '../db/storage.js'
import type { Store } from '../db/store.js'
import { NO_STORE } from '../http/caching.js'
import { sendProblem } from '../http/errors.js'
import { HttpProblem } from '../http/problem.js'
import { problemResponses } from '../http/responses.js'

export interface HealthRoutesOptions {
  store: Store
  migrations: Migration[]
  storage: StorageMonitor
}

// A probe that finds the service unready should look again soon; this is no promise the state will have changed.
export const READY_RETRY_AFTER_SECONDS = 5

const Status = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false, description: 'The service is up (and, for readiness, ready).' })

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, { store, migrations, storage }) => {
  // Probes come every few seconds: the log says when readiness changes, not each time it is asked.
  let wasReady = true
  // A probe must see the state of now, not a cache's copy.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', NO_STORE)
  })
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness',
        description: 'Answers 200 while the process is up; it checks nothing else.',
        tags: ['Operations'],
        response: { 200: Status },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness',
        description:
          'Answers 200 when the database answers, its schema is the one this code expects and it can take writes; 503 with the reason otherwise (reads may still work). It writes nothing.',
        tags: ['Operations'],
        response: { 200: Status, ...problemResponses('service-unavailable') },
      },
    },
    async (request, reply) => {
      let reason: string | undefined
      try {
        await store.ping()
        const status = compareLedger(await store.all<LedgerRow>(READ_LEDGER), migrations)
        if (status.conflicts.length > 0) reason = status.conflicts.join('; ')
        else if (status.pending.length > 0) reason = `${status.pending.length} migration(s) not applied`
        else reason = storage.writeProblem()
      } catch (error) {
        // A known fault says why in words safe to show; SQLite's own message may name the file.
        const fault = storageFault(error)
        reason = `the database does not answer: ${fault ? `${fault.reason} (${fault.code})` : (error as Error).message}`
      }
      if (wasReady !== !reason) request.log.warn(reason ? { reason } : {}, reason ? 'not ready' : 'ready again')
      wasReady = !reason
      // Sent, not thrown: an unready service is a state, not a failed request to log with a stack.
      if (reason) return sendProblem(request, reply, new HttpProblem('service-unavailable', `Not ready: ${reason}.`, undefined, { 'retry-after': String(READY_RETRY_AFTER_SECONDS) }))
      return { status: 'ok' as const }
    },
  )
}
