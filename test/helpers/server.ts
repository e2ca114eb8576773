import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

export const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url))
/** The compiled server: `npm test` builds dist/ first; run `npm run -s build` before running one such test alone. */
export const SERVER = join(PROJECT_DIR, 'dist', 'server.js')
export const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'

export interface LiveServer {
  url: string
  output: () => string
}

/** A port that was free a moment ago. */
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
 * `node dist/server.js` on a free port of `host` (loopback unless told) and a fresh database in the test's directory (so it
 * seeds itself), ready to answer; killed when the test ends.
 */
export async function startServer(t: Test, env: Record<string, string> = {}, host = '127.0.0.1'): Promise<LiveServer> {
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`npm run -s build\` first`)
  const port = await freePort()
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_PATH: join(t.testdir({}), 'content.db'), PORT: String(port), HOST: host, LOG_LEVEL: 'warn', ...env }
  delete childEnv.ADMIN_TOKEN
  delete childEnv.CORS_ORIGINS
  const child = spawn(process.execPath, [SERVER], { cwd: PROJECT_DIR, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
  })
  const url = `http://${host}:${port}`
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`the server exited before it was ready:\n${output}`)
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.status === 200,
      () => false,
    )
    if (ready) return { url, output: () => output }
    await sleep(100)
  }
  throw new Error(`the server was not ready after 20 s:\n${output}`)
}
