import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { createPostgresDatabase, ON_POSTGRES } from './store.js'

/** Spawning the compiled server: `npm test` builds dist/ first (pretest); run `npm run -s build` before running such a file alone. */
export const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url))
export const SERVER = join(PROJECT_DIR, 'dist', 'server.js')
export const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'
// Generous: other work may share the machine's two cores, and a start under coverage is slow.
const READY_ATTEMPTS = 300
const READY_PAUSE_MS = 100
const EXIT_WAIT_MS = 10_000

export interface Server {
  child: ChildProcess
  port: number
  url: string
  stdout: () => string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** A port that was free a moment ago: listen on port 0, note the port, close. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/**
 * Spawns `node <script>` (the server unless told) with a clean environment plus `env`; the
 * process is killed after the test if it is still alive.
 */
export async function spawnServer(t: Test, databasePath: string, env: Record<string, string> = {}, script: string = SERVER): Promise<Server> {
  const port = await freePort()
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_PATH: databasePath, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' }
  delete childEnv.ADMIN_TOKEN
  delete childEnv.CORS_ORIGINS
  Object.assign(childEnv, env)
  const child = spawn(process.execPath, [script], { cwd: PROJECT_DIR, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
  // Should the test process itself be ended (a tap timeout), the server must not outlive it.
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  t.teardown(async () => {
    process.off('exit', killOnExit)
    if (!hasExited({ child })) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return { child, port, url: `http://127.0.0.1:${port}`, stdout: () => stdout, stderr: () => stderr, exited }
}

export function hasExited(server: Pick<Server, 'child'>): boolean {
  return server.child.exitCode !== null || server.child.signalCode !== null
}

/** Polls GET /readyz until it answers 200; fails after READY_ATTEMPTS tries or when the process exits. */
export async function waitUntilReady(server: Server): Promise<void> {
  let last = 'no answer'
  for (let attempt = 0; attempt < READY_ATTEMPTS; attempt++) {
    if (hasExited(server)) throw new Error(`the server exited before it was ready:\n${server.stderr()}`)
    try {
      const response = await fetch(`${server.url}/readyz`)
      if (response.status === 200) return
      last = `${response.status} ${await response.text()}`
    } catch {
      // not listening yet
    }
    await sleep(READY_PAUSE_MS)
  }
  throw new Error(`the server was not ready after ${READY_ATTEMPTS} attempts (last /readyz: ${last}):\n${server.stderr()}\n${server.stdout().slice(-2000)}`)
}

/** Waits for the process to end, at most EXIT_WAIT_MS; undefined when it did not. */
export async function waitForExit(server: Server) {
  const timeout = sleep(EXIT_WAIT_MS).then(() => undefined)
  return Promise.race([server.exited, timeout])
}

/** SIGTERM, and the process must end with exit code 0 within EXIT_WAIT_MS. */
export async function stop(t: Test, server: Server): Promise<void> {
  server.child.kill('SIGTERM')
  const exit = await waitForExit(server)
  t.same(exit, { code: 0, signal: null }, 'SIGTERM ends the process with exit code 0')
}

/** The process's stdout as JSON log records. */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

export interface LiveServer {
  url: string
  output: () => string
}

/**
 * `node dist/server.js` on a free port of `host` (loopback unless told) and a fresh database of the
 * store under test (a SQLite file in the test's directory, or a new PostgreSQL database), so it seeds
 * itself, ready to answer; killed when the test ends.
 */
export async function startServer(t: Test, env: Record<string, string> = {}, host = '127.0.0.1'): Promise<LiveServer> {
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`npm run -s build\` first`)
  const database: Record<string, string> = ON_POSTGRES ? { DATABASE_URL: await createPostgresDatabase(t) } : {}
  const spawned = await spawnServer(t, join(t.testdir({}), 'content.db'), { LOG_LEVEL: 'warn', HOST: host, ...database, ...env })
  const server = { ...spawned, url: `http://${host}:${spawned.port}` }
  await waitUntilReady(server)
  return { url: server.url, output: () => server.stdout() + server.stderr() }
}
