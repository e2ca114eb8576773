import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { median } from './plans.js'
import type { ColdStart } from './results.js'

export const PROJECT_DIR = fileURLToPath(new URL('../', import.meta.url))
export const SERVER = join(PROJECT_DIR, 'dist', 'server.js')
const RAW_SERVER = join(PROJECT_DIR, 'bench', 'raw-server.mjs')
const COLD_START = join(PROJECT_DIR, 'bench', 'cold-start.mjs')

export interface Running {
  child: ChildProcess
  pid: number
  url: string
  stop: () => Promise<void>
  stdout: () => string
  stderr: () => string
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

export interface Answer {
  status: number
  /** Raw header list, name and value alternating, as received. */
  rawHeaders: string[]
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/** One HTTP request on a fresh connection; the answer with its raw header list. */
export function fetchRaw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode!, rawHeaders: res.rawHeaders, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** Polls `url` until it answers 200; the time of the first 200 (performance.now()). */
export async function waitFor200(url: string, child: ChildProcess, timeoutMs = 30_000, pauseMs = 5): Promise<number> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the process exited (${child.exitCode}) before answering`)
    try {
      const answer = await fetchRaw(url)
      if (answer.status === 200) return performance.now()
    } catch {
      // not listening yet
    }
    await sleep(pauseMs)
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`)
}

/** Every process the harness started and has not stopped: killed if the harness exits early. */
const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})
process.once('SIGINT', () => process.exit(130))

function started(child: ChildProcess, url: string): Running {
  children.add(child)
  child.once('close', () => children.delete(child))
  let stderr = ''
  let stdout = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  // Kept only while short: an app at LOG_LEVEL=info writes a line per request.
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout = (stdout + chunk).slice(-65_536)))
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  return {
    child,
    pid: child.pid!,
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 12_000)
        await exited
        clearTimeout(timer)
      }
    },
  }
}

export interface AppEnv {
  /** SQLite's file (DATABASE_PATH), or PostgreSQL's URL (DATABASE_URL). */
  databasePath?: string
  databaseUrl?: string
  extraEnv?: Record<string, string>
  nodeArgs?: string[]
  /** What to run instead of dist/server.js (e.g. bench/hook-server.mjs). */
  script?: string
}

/** Spawns the built app (`node dist/server.js`) the way production runs it. */
export function spawnApp(port: number, options: AppEnv): Running {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...options.extraEnv,
  }
  delete env.ADMIN_TOKEN
  delete env.CORS_ORIGINS
  delete env.DATABASE_PATH
  delete env.DATABASE_URL
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl
  else if (options.databasePath) env.DATABASE_PATH = options.databasePath
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script ?? SERVER], { cwd: PROJECT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] })
  return started(child, `http://127.0.0.1:${port}`)
}

export async function startApp(options: AppEnv): Promise<Running> {
  const port = await freePort()
  const app = spawnApp(port, options)
  try {
    await waitFor200(`${app.url}/healthz`, app.child)
  } catch (error) {
    await app.stop()
    throw new Error(`${(error as Error).message}\n${app.stderr()}`)
  }
  return app
}

/** Starts the raw ceiling server on `answersFile` (see raw-server.mjs). */
export async function startRaw(answersFile: string): Promise<Running> {
  const port = await freePort()
  const child = spawn(process.execPath, [RAW_SERVER, answersFile, String(port)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  const running = started(child, `http://127.0.0.1:${port}`)
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`raw server exited (${code}): ${running.stderr()}`)))
  })
  return running
}

/** Peak resident set (VmHWM) and current RSS of a process, in MB, from /proc. */
export function memoryOf(pid: number): { peakRssMb: number; rssMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
    return { peakRssMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 }
  } catch {
    return undefined
  }
}

/** One cold start by bench/cold-start.mjs (which times it from its own spawn of the server to the first 200). */
function coldStart(kind: 'app' | 'bare', databasePath: string, path: string): Promise<{ ms: number; rssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [COLD_START, kind, databasePath, kind === 'app' ? path : '/'], { cwd: PROJECT_DIR, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.stderr.resume()
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { ms: number; rssMb: number }) : reject(new Error(`cold start of ${kind} exited ${code}`))))
  })
}

/** `times` cold starts of the app on `databasePath` (to the first 200 of `path`) and of a bare node:http process, alternating. */
export async function coldStartPairs(databasePath: string, path: string, times: number): Promise<ColdStart> {
  const app: { ms: number; rssMb: number }[] = []
  const bare: number[] = []
  for (let i = 0; i < times; i++) {
    app.push(await coldStart('app', databasePath, path))
    bare.push((await coldStart('bare', databasePath, path)).ms)
  }
  const appMedianMs = median(app.map((run) => run.ms))
  const bareMedianMs = median(bare)
  return { appRunsMs: app.map((run) => run.ms), bareRunsMs: bare, appMedianMs, bareMedianMs, ratio: appMedianMs / bareMedianMs, appRssAtStartMb: median(app.map((run) => run.rssMb)) }
}
