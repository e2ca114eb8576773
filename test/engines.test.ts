import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import t from 'tap'

// npm's own range check (semver is npm's, and in the tree through it).
const { satisfies } = createRequire(import.meta.url)('semver') as { satisfies: (version: string, range: string) => boolean }
const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>
}

t.test('every package npm installs supports this Node (no EBADENGINE on npm install)', async (t) => {
  const unsupported = Object.entries(lock.packages)
    .filter(([path]) => path !== '')
    .flatMap(([path, { version, engines }]) => {
      const node = Array.isArray(engines) ? undefined : engines?.node
      return node !== undefined && !satisfies(process.versions.node, node) ? [`${path.replace(/^.*node_modules\//, '')}@${version}: node ${node}`] : []
    })
  t.same(unsupported, [], `Node ${process.versions.node}`)
})

t.test('the overrides that keep Node 20 supported are in place', async (t) => {
  const versionsOf = (name: string) => Object.entries(lock.packages).flatMap(([path, { version }]) => (path.endsWith(`node_modules/${name}`) ? [version] : []))
  t.match(versionsOf('content-disposition'), [/^2\./], 'content-disposition 2 (3 needs Node 22), for @fastify/static')
  t.match(versionsOf('cookie'), [/^1\./], 'cookie 1 (2 needs Node 22), for light-my-request')
})
