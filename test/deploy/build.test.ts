import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { PROJECT_DIR } from '../helpers/server.js'

const BUILD = join(PROJECT_DIR, 'scripts', 'build.mjs')

function check(root: string): { code: number | null; out: string } {
  const result = spawnSync(process.execPath, [BUILD, '--check', '--root', root], { encoding: 'utf8' })
  return { code: result.status, out: result.stdout + result.stderr }
}

t.test('a build is needed when dist/ is missing, older than a source, or built with other production dependencies', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'spa-build-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  cpSync(join(PROJECT_DIR, 'src', 'config.ts'), join(root, 'src', 'config.ts'))
  cpSync(join(PROJECT_DIR, 'package-lock.json'), join(root, 'package-lock.json'))
  t.match(check(root), { code: 1, out: /has not been built/ })

  // The stamp of the real, fresh build (npm test builds first) stands for a build of this copy.
  cpSync(join(PROJECT_DIR, 'dist', '.built'), join(root, 'dist', '.built'))
  const past = new Date(Date.now() - 60_000)
  utimesSync(join(root, 'src', 'config.ts'), past, past)
  t.match(check(root), { code: 0, out: '' })

  const future = new Date(Date.now() + 60_000)
  utimesSync(join(root, 'src', 'config.ts'), future, future)
  t.match(check(root), { code: 1, out: /src\/ changed/ })
  utimesSync(join(root, 'src', 'config.ts'), past, past)

  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> }
  lock.packages['node_modules/fastify']!.version = '0.0.1'
  writeFileSync(join(root, 'package-lock.json'), JSON.stringify(lock))
  t.match(check(root), { code: 1, out: /production dependencies changed/ })
})

t.test('on a built tree, the CLIs run the compiled code without compiling', async (t) => {
  t.match(check(PROJECT_DIR), { code: 0 }, 'dist/ is up to date (npm test builds it first)')
  const dir = mkdtempSync(join(tmpdir(), 'spa-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const started = performance.now()
  const keys = spawnSync('npm', ['run', 'keys', '--', 'list'], { cwd: PROJECT_DIR, encoding: 'utf8', env: { ...process.env, DATABASE_PATH: join(dir, 'content.db') } })
  t.equal(keys.status, 0, keys.stderr)
  t.match(keys.stdout + keys.stderr, /node scripts\/build\.mjs --if-stale/, 'npm ran the build check')
  t.notMatch(keys.stdout + keys.stderr, /building dist\/|tsc/, 'and it compiled nothing')
  t.comment(`npm run keys -- list: ${Math.round(performance.now() - started)} ms`)
})
