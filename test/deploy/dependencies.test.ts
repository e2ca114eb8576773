import { readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative } from 'node:path'
import t from 'tap'
import { PROJECT_DIR } from '../helpers/server.js'

// What a production install (`npm ci --omit=dev`) has: `dependencies` and what they need. A module the
// server or a CLI imports at run time must be there, or the production path fails only when that code runs.
const manifest = JSON.parse(readFileSync(join(PROJECT_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> }
const lock = JSON.parse(readFileSync(join(PROJECT_DIR, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> }
// In `dependencies` though no module imports it by name: the runtime behind a dependency's API.
const USED_THROUGH = { pino: 'the logger Fastify runs; src/logging.ts gives its options' }

function files(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path, keep) : keep(name) ? [path] : []
  })
}

/** The packages a module imports at run time: static and dynamic imports, not `import type`. */
function runtimeImports(source: string): string[] {
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1]!)
  return specifiers.filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:') && !builtinModules.includes(specifier)).map(packageName)
}

const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')

const sources = files(join(PROJECT_DIR, 'src'), (name) => name.endsWith('.ts'))
const built = files(join(PROJECT_DIR, 'dist'), (name) => name.endsWith('.js'))

t.test('the import scan finds runtime imports and skips type-only ones', async (t) => {
  const source = "import type { A } from 'only-types'\nimport Fastify, { type B } from 'fastify'\nimport 'side-effect'\nexport { c } from '@scope/pkg/sub'\nconst d = await import('lazy-one')\nimport { e } from './local.js'\nimport { f } from 'node:fs'\nimport g from 'path'\n"
  t.same(runtimeImports(source), ['fastify', 'side-effect', '@scope/pkg', 'lazy-one'])
})

t.test('every package that src/ or dist/ imports at run time is a production dependency', async (t) => {
  t.ok(sources.length > 20 && built.length > 20, 'src/ and dist/ hold the modules (npm test builds dist/ first)')
  const importers = new Map<string, string[]>()
  for (const file of [...sources, ...built]) {
    for (const name of runtimeImports(readFileSync(file, 'utf8'))) importers.set(name, [...(importers.get(name) ?? []), relative(PROJECT_DIR, file)])
  }
  t.ok(importers.has('fastify') && importers.has('better-sqlite3'), 'the scan sees the server framework and the database driver')
  for (const [name, from] of importers) {
    t.ok(manifest.dependencies[name], `${name} (imported by ${from[0]}) is in dependencies, not ${manifest.devDependencies[name] ? 'devDependencies' : 'only installed through another package'}`)
    t.notOk(lock.packages[`node_modules/${name}`]?.dev, `${name} is not a dev-only package in package-lock.json`)
  }
  for (const name of Object.keys(manifest.dependencies)) {
    t.ok(importers.has(name) || name in USED_THROUGH, `${name} is in dependencies because the server or a CLI imports it`)
  }
})
