import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { connect, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { MAX_ARTICLE_LIST_ITEMS } from '../../src/articles/schemas.js'
import type { EventLoopReport } from '../../src/health/event-loop-report.js'

/**
 * The stall test's corpus and probe (issue 15), shared by test/stall/stall.test.ts and `npm run bench`
 * (bench/stall.ts): the synthetic dataset at 20,000 articles and 200,000 comments, the real server
 * (dist/server.js) on it, the costliest requests found, one at a time, while a probe reads /healthz
 * every 50 ms and slow clients drip bytes. The server measures its own event-loop delay
 * (perf_hooks.monitorEventLoopDelay) and reports it on SIGUSR2 to a file (EVENT_LOOP_REPORT_PATH),
 * a channel only tests use: after each request the report says the longest the loop was held meanwhile.
 */

const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url))
const SERVER = join(PROJECT_DIR, 'dist', 'server.js')
const SYNTHETIC = join(PROJECT_DIR, 'dist', 'synthetic', 'main.js')
export const STALL_ARTICLES = 20_000
export const STALL_COMMENTS = 200_000
/** What a request may hold the loop for, and what the probe's p99 must stay under. */
export const STALL_LIMIT_MS = 100
const PROBE_EVERY_MS = 50
const SLOW_CLIENTS = 4
const REPORT_WAIT_MS = 600_000

export interface CorpusResult {
  name: string
  status: number
  /** The request's time as the client saw it. */
  ms: number
  /** The longest the server's event loop was held while the request was in flight. */
  loopMaxMs: number
}

export interface StallFigures {
  requests: CorpusResult[]
  probe: { count: number; failed: number; p50Ms: number; p99Ms: number; maxMs: number }
  /** The loop's longest hold over the whole corpus, and over a quiet moment before it (the machine's own noise). */
  loopMaxMs: number
  quietLoopMaxMs: number
}

/** Builds the synthetic dataset at `path` with the project's CLI (dist/ must be built); returns the seconds it took. */
export async function buildStallDataset(path: string): Promise<number> {
  if (!existsSync(SYNTHETIC)) throw new Error(`${SYNTHETIC} is missing: run \`npm run -s build\` first`)
  const started = performance.now()
  const { code, output } = await run(process.execPath, [SYNTHETIC, '--articles', String(STALL_ARTICLES), '--comments', String(STALL_COMMENTS), '--database', path])
  if (code !== 0) throw new Error(`seed:synthetic failed (${code}): ${output}`)
  return (performance.now() - started) / 1000
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: PROJECT_DIR, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('close', (code) => resolve({ code, output }))
  })
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return address.port
}

interface RunningServer {
  child: ChildProcess
  url: string
  port: number
  token: string
  output: () => string
  /** What the event loop went through since the last call (the server reports on SIGUSR2). */
  loopReport: () => Promise<EventLoopReport>
  stop: () => Promise<void>
}

async function startServer(databasePath: string, workDir: string): Promise<RunningServer> {
  const port = await freePort()
  const reportPath = join(workDir, 'event-loop.json')
  const token = randomBytes(24).toString('hex')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_PATH: databasePath,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ADMIN_TOKEN: token,
    COMMENT_RATE_LIMIT_PER_MINUTE: '0',
    EVENT_LOOP_REPORT_PATH: reportPath,
  }
  delete env.CORS_ORIGINS
  const child = spawn(process.execPath, [SERVER], { cwd: PROJECT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)))
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)))
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  const url = `http://127.0.0.1:${port}`
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`the server exited before it was ready:\n${output}`)
    if (attempt > 1200) throw new Error(`the server was not ready in time:\n${output}`)
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
  const loopReport = async (): Promise<EventLoopReport> => {
    rmSync(reportPath, { force: true })
    child.kill('SIGUSR2')
    // The report is written when the loop is free again: after whatever held it.
    for (const started = Date.now(); Date.now() - started < REPORT_WAIT_MS; await sleep(5)) {
      if (existsSync(reportPath)) return JSON.parse(readFileSync(reportPath, 'utf8')) as EventLoopReport
    }
    throw new Error('the server wrote no event-loop report')
  }
  const stop = async () => {
    process.off('exit', killOnExit)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
  return { child, url, port, token, output: () => output, loopReport, stop }
}

/** Reads /healthz every PROBE_EVERY_MS on its own keep-alive connection, whether or not the last answer came. */
function startProbe(url: string) {
  const latencies: number[] = []
  let failed = 0
  const pending = new Set<Promise<void>>()
  const timer = setInterval(() => {
    const started = performance.now()
    const probe = send(`${url}/healthz`)
      .then((status) => {
        if (status === 200) latencies.push(performance.now() - started)
        else failed++
      })
      .finally(() => pending.delete(probe))
    pending.add(probe)
  }, PROBE_EVERY_MS)
  return {
    async stop() {
      clearInterval(timer)
      await Promise.all(pending)
      const sorted = [...latencies].sort((a, b) => a - b)
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
      return { count: sorted.length, failed, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1) ?? 0 }
    },
  }
}

/** Clients that open a POST announcing 10,000 bytes and send one every second, for the whole run; the server's request timeout ends them. */
function startSlowClients(port: number, path: string) {
  const sockets: Socket[] = []
  let running = true
  const open = () => {
    if (!running) return
    const socket = connect(port, '127.0.0.1')
    sockets.push(socket)
    socket.on('error', () => {})
    socket.on('close', () => setTimeout(open, 100))
    socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n`)
    const drip = setInterval(() => (socket.destroyed ? clearInterval(drip) : socket.write(' ')), 1000)
  }
  for (let n = 0; n < SLOW_CLIENTS; n++) open()
  return {
    stop() {
      running = false
      for (const socket of sockets) socket.destroy()
    },
  }
}

/** A POST whose headers announce `length` bytes and whose body never comes: the answer must come without it. */
function announceOnly(port: number, head: string, length: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString()
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)
      if (status && /\r\n\r\n/.test(received)) {
        socket.destroy()
        resolve(Number(status[1]))
      }
    })
    socket.on('error', () => resolve(0))
    socket.on('close', () => resolve(0))
    socket.write(`${head}\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`)
  })
}

type Send = () => Promise<number>

/**
 * One request over a new connection, the answer read to its end; resolves with its status (0 when the
 * connection failed). No client-side timeout: a request that holds the server is waited for, since
 * the server can answer nothing else meanwhile anyway (fetch would give up after 300 s).
 */
function send(url: string, method = 'GET', headers: Record<string, string> = {}, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const request = httpRequest(url, { method, headers: { ...headers, connection: 'close' } }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
      response.on('error', () => resolve(0))
    })
    request.on('error', () => resolve(0))
    request.end(body)
  })
}

interface Targets {
  hotSlug: string
  techniqueSlug: string
  benefitSlug: string
  deepArticlesCursor: string
  deepTitleCursor: string
  deepCommentsCursor: string
  deepSyncCursor: string
}

const WORDS = ['massage', 'pressure', 'muscle', 'back', 'pain', 'deep', 'tissue', 'relief', 'stretch', 'therapy', 'tension', 'spine', 'hip', 'neck', 'shoulder', 'stone', 'hot', 'foot', 'recovery', 'aromatherapy']

/** Follows `meta.nextCursor` `pages` times from `path` and returns the cursor of the page after them. */
async function cursorAfter(url: string, path: string, pages: number): Promise<string> {
  let cursor: string | null = null
  for (let page = 0; page < pages; page++) {
    const separator = path.includes('?') ? '&' : '?'
    const response: Response = await fetch(`${url}${path}${cursor ? `${separator}cursor=${cursor}` : ''}`)
    const body = (await response.json()) as { meta: { nextCursor: string | null } }
    if (!body.meta.nextCursor) break
    cursor = body.meta.nextCursor
  }
  if (!cursor) throw new Error(`no cursor on ${path}`)
  return cursor
}

async function findTargets(url: string): Promise<Targets> {
  const first = async (path: string) => ((await (await fetch(`${url}${path}`)).json()) as { data: { slug: string }[] }).data[0]!.slug
  const hotSlug = await first('/v1/articles?limit=1')
  return {
    hotSlug,
    techniqueSlug: await first('/v1/techniques?limit=1'),
    benefitSlug: await first('/v1/benefits?limit=1'),
    deepArticlesCursor: await cursorAfter(url, '/v1/articles?limit=100', 60),
    deepTitleCursor: await cursorAfter(url, '/v1/articles?limit=100&sort=title', 60),
    deepCommentsCursor: await cursorAfter(url, `/v1/articles/${hotSlug}/comments?limit=100`, 40),
    deepSyncCursor: await cursorAfter(url, '/v1/sync?limit=100', 30),
  }
}

/**
 * The largest article an editor may write: 100 sections, each with a paragraph and a list, 500 list
 * items in all (MAX_ARTICLE_LIST_ITEMS; before that bound, 40 a section, 4,000 in all, as many as the
 * JSON gate's 10,000 values let through, held the loop ~1 s).
 */
function largeArticle(title: string, itemsPerSection = MAX_ARTICLE_LIST_ITEMS / 100) {
  return {
    title,
    sections: Array.from({ length: 100 }, (_, s) => ({
      heading: `Part ${s + 1} of the long guide`,
      blocks: [
        { type: 'paragraph', text: `${WORDS.join(' ')} `.repeat(3).trim() },
        { type: 'list', kind: 'techniques', items: Array.from({ length: itemsPerSection }, (_, i) => ({ name: `Stroke ${s}-${i}`, description: `Slow ${WORDS[i % WORDS.length]} work along the muscle.` })) },
      ],
    })),
  }
}

/** Plain text in the seed's style with `items` numbered list items: what the importer is given at its worst. */
function largeImportText(items: number): string {
  const list = Array.from({ length: items }, (_, i) => `${i + 1}. Stroke ${i}: Slow pressure along the muscle.`).join('\n')
  return `A Very Long Import\n\nAn introduction to a long list.\n\nTechniques\n\n${list}\n`
}

/** The costliest requests found, by name. */
function corpus(server: RunningServer, targets: Targets): [string, Send][] {
  const { url, port, token } = server
  const key = { authorization: `Bearer ${token}` }
  const get = (path: string, headers: Record<string, string> = {}): Send => () => send(`${url}${path}`, 'GET', headers)
  const write = (method: string, path: string, body: string, headers: Record<string, string> = {}, type = 'application/json'): Send => () =>
    send(`${url}${path}`, method, { 'content-type': type, ...headers }, body)
  const q = (text: string) => `/v1/search?q=${encodeURIComponent(text)}&limit=100`
  const wrongItems = `[${Array.from({ length: 500_000 }, () => '1').join(',')}]`
  const nested = `${'['.repeat(500_000)}${']'.repeat(500_000)}`
  const unterminated = `{"title":"${'x'.repeat(1_000_000)}`
  const hot = targets.hotSlug
  return [
    ['/healthz (a cheap request, for comparison)', get('/healthz')],
    ['search: 20 common words', get(q(WORDS.join(' ')))],
    ['search: 26 one-letter prefixes', get(q('abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `${c}*`).join(' ')))],
    ['search: 40 two-letter prefixes', get(q(Array.from({ length: 40 }, (_, i) => `${'abcdefghijklmnopqrst'[i % 20]}${'aeiou'[i % 5]}*`).join(' ')))],
    ['search: one common word, 100 per page', get(q('massage'))],
    ['search: a 200-character word', get(q('m'.repeat(200)))],
    ['catalog: /v1/techniques?limit=1', get('/v1/techniques?limit=1')],
    ['catalog: /v1/techniques?limit=37', get('/v1/techniques?limit=37')],
    ['catalog: /v1/techniques?limit=100', get('/v1/techniques?limit=100')],
    ['catalog: /v1/benefits?limit=99', get('/v1/benefits?limit=99')],
    ['catalog: a technique and the articles that list it', get(`/v1/techniques/${targets.techniqueSlug}`)],
    ['catalog: a benefit and the articles that list it', get(`/v1/benefits/${targets.benefitSlug}`)],
    ['list: 100 articles with their sections', get('/v1/articles?limit=100&include=sections,techniques,benefits')],
    ['list: 100 articles of a technique, by title', get(`/v1/articles?limit=100&sort=title&technique=${targets.techniqueSlug}`)],
    ['list: page 61 (6,000 deep)', get(`/v1/articles?limit=100&cursor=${targets.deepArticlesCursor}`)],
    ['list: page 61 by title', get(`/v1/articles?limit=100&sort=title&cursor=${targets.deepTitleCursor}`)],
    ['comments: the hot article, 4,000 deep', get(`/v1/articles/${hot}/comments?limit=100&cursor=${targets.deepCommentsCursor}`)],
    ['comments: moderation list, with a key', get('/v1/comments?limit=100', key)],
    ['sync: a first sync page of 100', get('/v1/sync?limit=100')],
    ['sync: page 31', get(`/v1/sync?limit=100&cursor=${targets.deepSyncCursor}`)],
    ['feeds: JSON Feed', get('/v1/feed.json')],
    ['feeds: Atom', get('/v1/feed.xml')],
    ['article: the hot article as HTML', get(`/v1/articles/${hot}?format=html`)],
    ['query: 1,000 unknown parameters', get(`/v1/articles?${Array.from({ length: 1000 }, (_, i) => `p${i}=${i}`).join('&')}`)],
    ['body: 500,000 wrong items on an editor route, with a key', write('PUT', `/v1/articles/${hot}/techniques`, wrongItems, key)],
    ['body: 500,000 wrong items on an editor route, without a key', write('PUT', `/v1/articles/${hot}/techniques`, wrongItems)],
    ['body: 500,000 nested arrays, with a key', write('POST', '/v1/articles', nested, key)],
    ['body: 1 MB of unterminated JSON, with a key', write('POST', '/v1/articles', unterminated, key)],
    ['body: 1 MB of unterminated JSON on the comment route', write('POST', `/v1/articles/${hot}/comments`, unterminated)],
    ['body: Content-Length 100 MB announced on an editor route', () => announceOnly(port, `POST /v1/articles HTTP/1.1\r\nAuthorization: Bearer ${token}`, 100_000_000)],
    ['body: Content-Length 100 MB announced on the comment route', () => announceOnly(port, `POST /v1/articles/${hot}/comments HTTP/1.1`, 100_000_000)],
    ['write: the largest article (100 sections, 500 list items)', write('POST', '/v1/articles', JSON.stringify(largeArticle('A Very Long Guide')), key)],
    ['write: the hot article changed to a large one', write('PATCH', `/v1/articles/${hot}`, JSON.stringify({ sections: largeArticle('x').sections }), key)],
    ['write: the largest article shrunk to one section (its 500 entries removed)', write('PATCH', '/v1/articles/a-very-long-guide', JSON.stringify({ sections: largeArticle('x').sections.slice(0, 1) }), key)],
    ['write: 4,000 list items (over the bound: refused)', write('POST', '/v1/articles', JSON.stringify(largeArticle('Too Long a Guide', 40)), key)],
    ['write: a comment on the hot article', write('POST', `/v1/articles/${hot}/comments`, JSON.stringify({ authorName: 'Maya', authorEmail: 'maya@example.com', body: 'Deep pressure helped my back.' }))],
    ['import: 20,000 list items, with a key', write('POST', '/v1/imports', largeImportText(20_000), key, 'text/plain; charset=utf-8')],
    ['import: 20,000 list items, without a key', write('POST', '/v1/imports', largeImportText(20_000), {}, 'text/plain; charset=utf-8')],
    // Last: before bounded search, it held the server for minutes.
    ['search: 100 one-letter words', get(q(Array(100).fill('t').join(' ')))],
  ]
}

/**
 * Runs the corpus against the real server on the database at `databasePath` (a copy it may change),
 * one request at a time, and returns what each cost the event loop and what the probe saw.
 */
export async function runStallCorpus(databasePath: string, workDir: string, log: (line: string) => void = () => {}): Promise<StallFigures> {
  const server = await startServer(databasePath, workDir)
  try {
    const targets = await findTargets(server.url)
    await server.loopReport()
    await sleep(1000)
    const quietLoopMaxMs = (await server.loopReport()).maxMs
    const slow = startSlowClients(server.port, `/v1/articles/${targets.hotSlug}/comments`)
    const probe = startProbe(server.url)
    const requests: CorpusResult[] = []
    try {
      for (const [name, sendRequest] of corpus(server, targets)) {
        await server.loopReport()
        const started = performance.now()
        const status = await sendRequest()
        const ms = performance.now() - started
        const { maxMs } = await server.loopReport()
        requests.push({ name, status, ms, loopMaxMs: maxMs })
        log(`${name}: ${status} in ${ms.toFixed(0)} ms, event loop held up to ${maxMs.toFixed(0)} ms`)
      }
    } finally {
      slow.stop()
    }
    const probeFigures = await probe.stop()
    return { requests, probe: probeFigures, loopMaxMs: Math.max(...requests.map((r) => r.loopMaxMs)), quietLoopMaxMs }
  } finally {
    await server.stop()
  }
}
