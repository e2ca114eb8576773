// One cold start, timed from spawn to the first 200: `app` is the built server (`node dist/server.js`) on an
// existing database, `bare` a bare node:http process answering 200. Prints one JSON line and stops the server.
// usage: node bench/cold-start.mjs app|bare <database> [path]   (COLD_START_SERVER=file starts another build of the server)
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const BARE = "require('node:http').createServer((q, s) => s.end('ok')).listen(+process.env.PORT, '127.0.0.1')"

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function status(url) {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
    })
    req.on('error', () => resolve(0))
    req.end()
  })
}

/** Milliseconds from spawn to the first 200 of `path`, and the child's peak RSS (MB) then. */
export async function coldStart(kind, databasePath, path = '/healthz') {
  const port = await freePort()
  const server = process.env.COLD_START_SERVER ?? fileURLToPath(new URL('../dist/server.js', import.meta.url))
  const args = kind === 'bare' ? ['-e', BARE] : [server]
  const env = { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_PATH: databasePath }
  const started = performance.now()
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${kind} exited ${child.exitCode} before answering`)
      if ((await status(`http://127.0.0.1:${port}${path}`)) === 200) break
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    const ms = performance.now() - started
    return { ms, rssMb: rssOf(child.pid) }
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]) / 1024
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [kind, databasePath = ':memory:', path] = process.argv.slice(2)
  const { ms, rssMb } = await coldStart(kind, databasePath, path)
  console.log(JSON.stringify({ kind, ms, rssMb }))
}
