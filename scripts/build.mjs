// `npm run build`: tsc compiles src/ to dist/ (every module: the CLIs run these), then esbuild bundles the
// server into dist/server.js, one file, so that a start loads one module instead of hundreds. A stamp records
// what the build was made from.
// `--if-stale` builds only when dist/ is missing or older than its sources: `npm install` (prepare), `npm start`
// and the CLIs run it, so the project compiles once per change, not once per command. `--check` only says
// whether a build is needed (exit 1 and the reason when it is). `--root DIR` works on another checkout.
// Plain JavaScript on purpose: it runs in a production install, where neither TypeScript nor tsx is present.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const { values: args } = parseArgs({ options: { 'if-stale': { type: 'boolean' }, check: { type: 'boolean' }, root: { type: 'string' } } })
const ROOT = args.root ?? fileURLToPath(new URL('..', import.meta.url))
const STAMP = join(ROOT, 'dist', '.built')
// Modules the server loads from node_modules at run time instead of from the bundle: a native addon, and
// Swagger UI, which serves the files beside its own module.
const EXTERNAL = ['better-sqlite3', '@fastify/swagger-ui']

/** The newest modification time (ms) of the files the build reads, besides the dependencies. */
function newestSource() {
  let newest = 0
  const visit = (path) => {
    const stat = statSync(path)
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name))
    else newest = Math.max(newest, stat.mtimeMs)
  }
  for (const name of ['src', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs']) if (existsSync(join(ROOT, name))) visit(join(ROOT, name))
  return newest
}

/** The production dependencies' exact versions: the bundle holds their code, so another version is another build. */
function dependencyVersions() {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'))
  const versions = Object.entries(lock.packages ?? {})
    .filter(([path, entry]) => path !== '' && !entry.dev)
    .map(([path, entry]) => `${path}@${entry.version}`)
    .sort()
  return createHash('sha256').update(versions.join('\n')).digest('hex')
}

/** Why dist/ must be built again, or undefined when it is up to date. */
function staleReason() {
  if (!existsSync(STAMP)) return 'dist/ has not been built'
  const stamp = JSON.parse(readFileSync(STAMP, 'utf8'))
  if (newestSource() > statSync(STAMP).mtimeMs) return 'src/ changed after the last build'
  if (stamp.dependencies !== dependencyVersions()) return 'the production dependencies changed after the last build'
  return undefined
}

function run(command, commandArgs) {
  const result = spawnSync(process.execPath, [command, ...commandArgs], { cwd: ROOT, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

/** esbuild plugin: each bundled module keeps the `import.meta.url` it has in dist/, so its paths to migrations/, seed/ and package.json still hold. */
const urlsAsInDist = {
  name: 'import-meta-url-as-in-dist',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (file) => {
      const source = readFileSync(file.path, 'utf8')
      if (!source.includes('import.meta.url')) return undefined
      const inDist = relative(join(ROOT, 'src'), file.path).replaceAll('\\', '/').replace(/\.ts$/, '.js')
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(`./${inDist}`)}, import.meta.url).href`), loader: 'ts' }
    })
  },
}

async function build() {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const esbuildPackage = join(ROOT, 'node_modules', 'esbuild', 'lib', 'main.js')
  if (!existsSync(tsc) || !existsSync(esbuildPackage)) {
    console.error(
      'cannot build: TypeScript and esbuild (devDependencies) are not installed. Build with the dev dependencies first\n' +
        '(`npm ci && npm run build`), then `npm prune --omit=dev`; see "Production" in the README.',
    )
    process.exit(1)
  }
  run(tsc, ['-p', join(ROOT, 'tsconfig.build.json')])
  const esbuild = await import(pathToFileURL(esbuildPackage).href)
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'src', 'server.ts')],
    outfile: join(ROOT, 'dist', 'server.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    external: EXTERNAL,
    plugins: [urlsAsInDist],
    // The CommonJS dependencies inside the bundle call require() for Node's own modules.
    banner: { js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);" },
    logLevel: 'warning',
  })
  writeFileSync(STAMP, `${JSON.stringify({ builtAt: new Date().toISOString(), dependencies: dependencyVersions() })}\n`)
}

const reason = args['if-stale'] || args.check ? staleReason() : 'asked'
if (args.check) {
  if (reason) console.log(reason)
  process.exit(reason ? 1 : 0)
}
if (reason) {
  if (args['if-stale']) console.error(`building dist/: ${reason}`)
  await build()
}
