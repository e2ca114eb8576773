import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { PROJECT_DIR, SEED_SLUG, startServer } from '../helpers/server.js'

const run = promisify(execFile)
const bin = (name: string) => join(PROJECT_DIR, 'node_modules', '.bin', name)
const read = (path: string) => readFileSync(join(PROJECT_DIR, path), 'utf8')
const SEED_TECHNIQUES = ['Deep Pressure', 'Friction', 'Stripping', 'Trigger Point Therapy']

// Code generation, tsc and a spawned server: slow on a busy machine.
t.setTimeout(180_000)

t.test('client/schema.d.ts is what openapi-typescript generates from openapi.yaml (run `npm run client:generate`)', async (t) => {
  const target = join(t.testdir({}), 'schema.d.ts')
  const script = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['client:generate']
  t.equal(script, 'openapi-typescript openapi.yaml --output client/schema.d.ts', 'the npm script is the command run here')
  await run(bin('openapi-typescript'), ['openapi.yaml', '--output', target], { cwd: PROJECT_DIR })
  t.equal(readFileSync(target, 'utf8'), read('client/schema.d.ts'))
})

t.test('the client and its example type-check', async (t) => {
  const result = await run(bin('tsc'), ['-p', 'client/tsconfig.json'], { cwd: PROJECT_DIR }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  )
  t.equal(result.stdout, '', 'tsc reports nothing')
  t.equal(result.code, 0, 'tsc exits 0')
})

/** Runs a client example with tsx against a live server of its own. */
async function runExample(t: Test, file: string) {
  const server = await startServer(t)
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', file], { cwd: PROJECT_DIR, env: { ...process.env, SPA_API_URL: server.url } })
  return { server, stdout, stderr }
}

t.test('the example reads the seeded article\'s techniques from a live server', async (t) => {
  const { server, stdout, stderr } = await runExample(t, 'client/example.ts')
  t.equal(stderr, '')
  const [heading, ...lines] = stdout.trimEnd().split('\n')
  t.equal(heading, 'Lower Back Pain Deep Tissue Massage (6 min read)')
  t.same(lines.map((line) => /^\d+\. ([^:]+):/.exec(line)?.[1]), SEED_TECHNIQUES, 'one line per technique, in order')
  const live = (await (await fetch(`${server.url}/v1/articles/${SEED_SLUG}/techniques`)).json()) as { data: { position: number; name: string; description: string }[] }
  t.same(lines, live.data.map((entry) => `${entry.position}. ${entry.name}: ${entry.description}`), 'exactly what the API holds')
})

t.test('the revalidation example gets a 304 for the ETag it was given', async (t) => {
  const { stdout, stderr } = await runExample(t, 'client/revalidate.ts')
  t.equal(stderr, '')
  t.equal(stdout, '200 then 304: Lower Back Pain Deep Tissue Massage, 0 comments (public, max-age=60, stale-while-revalidate=300)\n')
})

t.test('the README shows the client examples as they are', async (t) => {
  const readme = read('README.md')
  const section = readme.slice(readme.indexOf('## For frontend teams'))
  t.ok(readme.includes('## For frontend teams'), 'the README has a "For frontend teams" section')
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1])
  for (const file of ['client/example.ts', 'client/revalidate.ts']) t.ok(blocks.includes(read(file)), `a \`\`\`ts block of that section is ${file}, byte for byte`)
})
