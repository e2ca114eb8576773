import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** One request shape to drive: a GET (with headers) or a POST whose body is made unique per request. */
export interface LoadRequest {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  /** POST only: the JSON body of request `n` (the same function is turned into Lua for wrk). */
  uniqueComment?: { prefix: string }
}

export interface LoadResult {
  tool: 'wrk' | 'autocannon'
  requests: number
  durationSeconds: number
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  /** Non-2xx/3xx answers. */
  statusErrors: number
  /** connect + read + write + timeout errors. */
  socketErrors: number
}

export const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((path) => existsSync(path))
export const TOOL: LoadResult['tool'] = WRK ? 'wrk' : 'autocannon'

const lua = (text: string) => `[==[${text}]==]`

/** The comment body of request `n`; wrk's Lua builds the same string. */
export function commentJson(prefix: string, n: number): string {
  return `{"authorName":"Bench Reader","authorEmail":"bench-${prefix}-${n}@example.com","body":"Benchmark comment ${prefix} number ${n}: the deep pressure technique helped my lower back a lot."}`
}

function wrkScript(request: LoadRequest): string {
  const headers = { ...(request.headers ?? {}), ...(request.uniqueComment ? { 'Content-Type': 'application/json' } : {}) }
  const lines = Object.entries(headers).map(([name, value]) => `wrk.headers[ ${lua(name)} ] = ${lua(value)}`)
  if (request.uniqueComment) {
    const prefix = lua(request.uniqueComment.prefix)
    lines.push(
      'local counter = 0',
      'request = function()',
      '  counter = counter + 1',
      `  local body = '{"authorName":"Bench Reader","authorEmail":"bench-' .. ${prefix} .. '-' .. counter .. '@example.com","body":"Benchmark comment ' .. ${prefix} .. ' number ' .. counter .. ': the deep pressure technique helped my lower back a lot."}'`,
      `  return wrk.format("POST", ${lua(request.path)}, nil, body)`,
      'end',
    )
  } else {
    lines.push(`wrk.method = ${lua(request.method)}`, `wrk.path = ${lua(request.path)}`)
  }
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'BENCH_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p99":%d}\\n\',',
    '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))',
    'end',
  )
  return `${lines.join('\n')}\n`
}

function runProcess(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
    child.once('error', reject)
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}: ${err || out}`))))
  })
}

/** Drives `baseUrl` with one wrk thread (or autocannon where wrk is missing) for `seconds`. */
export async function load(baseUrl: string, request: LoadRequest, options: { seconds: number; connections: number; scratchDir: string }): Promise<LoadResult> {
  if (WRK) {
    const script = join(options.scratchDir, `wrk-${process.hrtime.bigint()}.lua`)
    writeFileSync(script, wrkScript(request))
    const out = await runProcess(WRK, ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '--latency', '-s', script, baseUrl])
    const line = out.split('\n').find((text) => text.startsWith('BENCH_JSON '))
    if (!line) throw new Error(`wrk printed no summary:\n${out}`)
    const r = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, number>
    const durationSeconds = r.duration_us! / 1e6
    return {
      tool: 'wrk',
      requests: r.requests!,
      durationSeconds,
      requestsPerSecond: r.requests! / durationSeconds,
      p50Ms: r.p50! / 1000,
      p99Ms: r.p99! / 1000,
      statusErrors: r.status!,
      socketErrors: r.connect! + r.read! + r.write! + r.timeout!,
    }
  }
  return autocannonLoad(baseUrl, request, options)
}

async function autocannonLoad(baseUrl: string, request: LoadRequest, options: { seconds: number; connections: number }): Promise<LoadResult> {
  const { default: autocannon } = (await import('autocannon')) as unknown as { default: (opts: object) => Promise<AutocannonResult> }
  let n = 0
  const comment = request.uniqueComment
  const result = await autocannon({
    url: baseUrl,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: request.method,
        path: request.path,
        headers: { ...(request.headers ?? {}), ...(comment ? { 'content-type': 'application/json' } : {}) },
        ...(comment ? { setupRequest: (req: object) => ({ ...req, body: commentJson(comment.prefix, ++n) }) } : {}),
      },
    ],
  })
  return {
    tool: 'autocannon',
    requests: result.requests.total,
    durationSeconds: result.duration,
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    statusErrors: result['4xx'] + result['5xx'],
    socketErrors: result.errors + result.timeouts,
  }
}

interface AutocannonResult {
  requests: { total: number }
  duration: number
  latency: { p50: number; p99: number }
  '4xx': number
  '5xx': number
  errors: number
  timeouts: number
}
