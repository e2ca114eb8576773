// The server as dist/server.js starts it (the same buildApp, config, migrations and seed), from the unbundled
// build, with Fastify's request hooks timed (bench/timed-fastify.mjs). On SIGUSR2 it prints one line,
// `HOOKS_JSON [...]`, with each hook's calls and total nanoseconds. Bench use only.
import { register } from 'node:module'

register('./hook-loader.mjs', import.meta.url)
const { hookTimes } = await import('./timed-fastify.mjs')
const { buildApp } = await import('../dist/app.js')
const { ArticleRepository } = await import('../dist/articles/repository.js')
const { loadConfig } = await import('../dist/config.js')
const { openStore } = await import('../dist/db/open.js')
const { seedIfEmpty } = await import('../dist/importer/files.js')

const config = loadConfig()
const { store, migrations } = await openStore(config)
await seedIfEmpty(new ArticleRepository(store), new Date())
const app = await buildApp({ store, migrations, config })
await app.listen({ port: config.port, host: config.host })
process.on('SIGUSR2', () => {
  console.log(`HOOKS_JSON ${JSON.stringify(hookTimes.map((entry) => ({ ...entry, ns: Number(entry.ns) })))}`)
})
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
