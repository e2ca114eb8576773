import { buildApp } from './app.js'
import { ArticleRepository } from './articles/repository.js'
import { loadConfig } from './config.js'
import { openStore } from './db/open.js'
import { reportEventLoopDelayTo } from './health/event-loop-report.js'
import { seedIfEmpty } from './importer/files.js'

const SHUTDOWN_GRACE_MS = 10_000

async function main(): Promise<void> {
  const config = loadConfig()
  // A test instrument, not a setting: see the stall test (test/stall/).
  const loopReportPath = process.env.EVENT_LOOP_REPORT_PATH
  if (loopReportPath) reportEventLoopDelayTo(loopReportPath)
  const { store, migrations, applied } = await openStore(config)
  const seeded = await seedIfEmpty(new ArticleRepository(store), new Date())
  const app = await buildApp({ store, migrations, config })
  for (const warning of config.warnings) app.log.warn(warning)
  app.log.info({ migrations: applied.map((m) => m.version), seeded: seeded.map((s) => s.slug) }, 'database ready')
  await app.listen({ port: config.port, host: config.host })

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    setTimeout(() => {
      app.log.error('shutdown took too long; exiting')
      process.exit(1)
    }, SHUTDOWN_GRACE_MS).unref()
    await app.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

main().catch((error: Error) => {
  console.error(`cannot start: ${error.message}`)
  process.exit(1)
})
