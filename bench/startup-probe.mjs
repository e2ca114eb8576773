// Where cold start goes: does what dist/server.js does, step by step, timing each step from process
// start (performance.timeOrigin), and prints one JSON line. Run with plain node (no loader). It loads the
// unbundled modules tsc writes to dist/ (to time each group); dist/server.js itself is one bundled file and
// loads faster than the two import phases here.
// usage: DATABASE_PATH=<existing db> node [--cpu-prof] bench/startup-probe.mjs <slug>
const phases = []
let last = 0
const mark = (name) => {
  const now = performance.now()
  phases.push({ name, ms: now - last })
  last = now
}
mark('node bootstrap (before user code)')
const { loadConfig } = await import('../dist/config.js')
const { openStore } = await import('../dist/db/open.js')
const { ArticleRepository } = await import('../dist/articles/repository.js')
const { seedIfEmpty } = await import('../dist/importer/files.js')
mark('import: config, stores, migrate, importer (typebox, better-sqlite3, pg)')
const { buildApp } = await import('../dist/app.js')
mark('import: app.js (fastify, plugins, swagger, routes, schemas)')
const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' })
const { store, migrations } = await openStore(config)
mark('open the store and check its migrations (pragmas, read files, sha256, ledger)')
await seedIfEmpty(new ArticleRepository(store), new Date())
mark('seed check (is the articles table empty?)')
const app = await buildApp({ store, migrations, config })
mark('buildApp: plugins, routes (validators and serializers compile on first use)')
await app.ready()
mark('app.ready()')
await app.listen({ port: 0, host: '127.0.0.1' })
mark('listen')
const slug = process.argv[2]
const first = await app.inject(`/v1/articles/${slug}`)
mark(`first request (inject, ${first.statusCode}; compiles its validators and serializer)`)
const docs = await app.inject('/openapi.json')
mark(`first /openapi.json (swagger document, ${docs.statusCode})`)
console.log(`STARTUP_JSON ${JSON.stringify({ phases, totalMs: performance.now() })}`)
await app.close()
