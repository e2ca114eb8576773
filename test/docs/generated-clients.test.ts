import { execFile } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { PROJECT_DIR, SEED_SLUG, startServer } from '../helpers/server.js'

/**
 * Clients as integrators make them: three generators no one here wrote, run on the committed
 * openapi.yaml, compiled under `strict`, then run against a live server. The scripts read the article,
 * its section blocks, its techniques, pages of lists, and post a comment with no `!`, `?.`, `as` or
 * `any`: the types the document gives must be exact enough for that.
 */
const run = promisify(execFile)
const bin = (name: string) => join(PROJECT_DIR, 'node_modules', '.bin', name)
const DOCUMENT = join(PROJECT_DIR, 'openapi.yaml')

// Code generation, tsc and a spawned server per generator: slow on a busy machine.
t.setTimeout(300_000)

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2023',
    lib: ['ES2023', 'DOM', 'DOM.Iterable'],
    module: 'ESNext',
    moduleResolution: 'Bundler',
    strict: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  },
  include: ['.'],
}

/** What each script prints, whatever the generator: the same reads of the same API. */
const SCRIPT_TAIL = `
function report(article: { title: string; readingTimeMinutes: number; sections: { blocks: ({ type: 'paragraph'; text: string } | { type: 'list'; kind: string; items: { position: number; description: string }[] })[] }[] }) {
  console.log(\`\${article.title} (\${article.readingTimeMinutes} min read, \${article.sections.length} sections)\`)
  for (const block of article.sections.flatMap((section) => section.blocks)) {
    if (block.type === 'list' && block.kind === 'techniques') for (const item of block.items) console.log(\`block item \${item.position}: \${item.description.length} characters\`)
  }
}
`

interface Generator {
  generate: (dir: string, baseUrl: string) => Promise<{ stdout: string; stderr: string }>
  script: string
}

const SLUG = JSON.stringify(SEED_SLUG)

const generators: Record<string, Generator> = {
  'openapi-typescript + openapi-fetch': {
    generate: (dir) => run(bin('openapi-typescript'), [DOCUMENT, '--output', join(dir, 'schema.d.ts')], { cwd: PROJECT_DIR }),
    script: `import createClient from 'openapi-fetch'
import type { paths } from './schema'

const client = createClient<paths, 'application/json' | 'application/problem+json'>({ baseUrl: process.env.SPA_API_URL })
const slug = ${SLUG}

const article = await client.GET('/v1/articles/{slug}', { params: { path: { slug } } })
if (article.error) throw new Error(article.error.detail)
report(article.data)
let cursor: string | undefined
do {
  const page = await client.GET('/v1/articles/{slug}/techniques', { params: { path: { slug }, query: { limit: 2, cursor } } })
  if (page.error) throw new Error(page.error.detail)
  console.log(\`page: \${page.data.data.map((entry) => \`\${entry.position}. \${entry.name}\`).join(', ')}\`)
  cursor = page.data.meta.nextCursor ?? undefined
} while (cursor)
const listed = await client.GET('/v1/articles', { params: { query: { limit: 1 } } })
if (listed.error) throw new Error(listed.error.detail)
for (const item of listed.data.data) console.log(\`listed: \${item.title}, \${item.commentCount} comments\`)
const comment = await client.POST('/v1/articles/{slug}/comments', {
  params: { path: { slug }, header: { 'idempotency-key': 'generated-openapi-fetch' } },
  body: { authorName: 'Generated Reader', authorEmail: 'reader@example.com', body: 'Posted by a generated client.' },
})
if (comment.error) throw new Error(comment.error.detail)
console.log(\`comment: \${comment.data.authorName} wrote \${comment.data.body.length} characters\`)
${SCRIPT_TAIL}`,
  },
  '@hey-api/openapi-ts': {
    generate: (dir) => run(bin('openapi-ts'), ['--input', DOCUMENT, '--output', join(dir, 'hey'), '--client', '@hey-api/client-fetch'], { cwd: PROJECT_DIR }),
    script: `import { client } from './hey/client.gen'
import { createComment, getArticle, listArticles, listArticleTechniques } from './hey/sdk.gen'

client.setConfig({ baseUrl: process.env.SPA_API_URL })
const slug = ${SLUG}

report((await getArticle({ path: { slug }, throwOnError: true })).data)
let cursor: string | undefined
do {
  const page = (await listArticleTechniques({ path: { slug }, query: { limit: 2, cursor }, throwOnError: true })).data
  console.log(\`page: \${page.data.map((entry) => \`\${entry.position}. \${entry.name}\`).join(', ')}\`)
  cursor = page.meta.nextCursor ?? undefined
} while (cursor)
for (const listed of (await listArticles({ query: { limit: 1 }, throwOnError: true })).data.data) console.log(\`listed: \${listed.title}, \${listed.commentCount} comments\`)
const comment = (
  await createComment({
    path: { slug },
    headers: { 'idempotency-key': 'generated-hey-api' },
    body: { authorName: 'Generated Reader', authorEmail: 'reader@example.com', body: 'Posted by a generated client.' },
    throwOnError: true,
  })
).data
console.log(\`comment: \${comment.authorName} wrote \${comment.body.length} characters\`)
${SCRIPT_TAIL}`,
  },
  orval: {
    generate: (dir, baseUrl) => {
      // orval reads its settings from a file; `exclude` keeps the sparse-fieldset media type out of the answers' types (see the README).
      const config = join(dir, 'orval.config.cjs')
      const output = { target: join(dir, 'orval', 'api.ts'), client: 'fetch', baseUrl, override: { contentType: { exclude: ['application/vnd.spa.sparse+json'] } } }
      writeFileSync(config, `module.exports = ${JSON.stringify({ spa: { input: DOCUMENT, output } })}\n`)
      return run(bin('orval'), ['--config', config], { cwd: dir })
    },
    script: `import { createComment, getArticle, listArticles, listArticleTechniques } from './orval/api'

const slug = ${SLUG}

const article = await getArticle(slug)
if (article.status === 200) report(article.data)
else throw new Error(\`getArticle answered \${article.status}\`)
let cursor: string | undefined
do {
  const page = await listArticleTechniques(slug, { limit: 2, cursor })
  if (page.status !== 200) throw new Error(\`listArticleTechniques answered \${page.status}\`)
  console.log(\`page: \${page.data.data.map((entry) => \`\${entry.position}. \${entry.name}\`).join(', ')}\`)
  cursor = page.data.meta.nextCursor ?? undefined
} while (cursor)
const listed = await listArticles({ limit: 1 })
if (listed.status !== 200) throw new Error(\`listArticles answered \${listed.status}\`)
for (const item of listed.data.data) console.log(\`listed: \${item.title}, \${item.commentCount} comments\`)
const comment = await createComment(
  slug,
  { authorName: 'Generated Reader', authorEmail: 'reader@example.com', body: 'Posted by a generated client.' },
  { headers: { 'idempotency-key': 'generated-orval' } },
)
if (comment.status !== 201) throw new Error(\`createComment answered \${comment.status}\`)
console.log(\`comment: \${comment.data.authorName} wrote \${comment.data.body.length} characters\`)
${SCRIPT_TAIL}`,
  },
}

/** What every script must print: the live API read by plain fetch. */
async function expectedOutput(baseUrl: string): Promise<string> {
  const get = async <T>(path: string) => (await (await fetch(`${baseUrl}${path}`)).json()) as T
  type Item = { position: number; name?: string; description: string }
  const article = await get<{ title: string; readingTimeMinutes: number; sections: { blocks: { type: string; kind?: string; items?: Item[] }[] }[] }>(`/v1/articles/${SEED_SLUG}`)
  const techniques = await get<{ data: Item[] }>(`/v1/articles/${SEED_SLUG}/techniques?limit=100`)
  const listed = await get<{ data: { title: string; commentCount: number }[] }>('/v1/articles?limit=1')
  const blockItems = article.sections.flatMap((section) => section.blocks).filter((block) => block.kind === 'techniques').flatMap((block) => block.items ?? [])
  const pages: string[] = []
  for (let at = 0; at < techniques.data.length; at += 2) pages.push(`page: ${techniques.data.slice(at, at + 2).map((entry) => `${entry.position}. ${entry.name}`).join(', ')}`)
  return [
    `${article.title} (${article.readingTimeMinutes} min read, ${article.sections.length} sections)`,
    ...blockItems.map((item) => `block item ${item.position}: ${item.description.length} characters`),
    ...pages,
    ...listed.data.map((item) => `listed: ${item.title}, ${item.commentCount} comments`),
    'comment: Generated Reader wrote 29 characters',
    '',
  ].join('\n')
}

async function compile(dir: string) {
  return run(bin('tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: PROJECT_DIR }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  )
}

async function tryGenerator(t: Test, name: string, generator: Generator) {
  const server = await startServer(t)
  const dir = join(t.testdirName, 'client')
  mkdirSync(dir, { recursive: true })
  const generated = await generator.generate(dir, server.url)
  t.notMatch(`${generated.stdout}\n${generated.stderr}`, /warn|error/i, `${name} generates with no warning`)
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG))
  writeFileSync(join(dir, 'script.ts'), generator.script)
  t.notMatch(generator.script, /!(?!=)|\?\.|\bas\b|\bany\b/, 'the script asserts nothing to the compiler: no `!`, `?.`, `as` or `any`')

  const compiled = await compile(dir)
  t.equal(compiled.stdout, '', 'tsc under strict reports nothing')
  t.equal(compiled.code, 0, 'tsc exits 0')

  const expected = await expectedOutput(server.url)
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(dir, 'script.ts')], { cwd: dir, env: { ...process.env, SPA_API_URL: server.url } })
  t.equal(stderr, '')
  t.equal(stdout, expected, 'the script reads what the API holds and posts a comment')
  t.match(stdout, /^page: 1\. Deep Pressure, 2\. Friction\npage: 3\. Stripping, 4\. Trigger Point Therapy$/m, 'the techniques come in two pages of two')
}

for (const [name, generator] of Object.entries(generators)) t.test(`a client generated by ${name} compiles under strict and runs`, (t) => tryGenerator(t, name, generator))

t.test('a sparse fieldset is its own media type, so it leaves the default answer types exact', async (t) => {
  const server = await startServer(t)
  const full = await fetch(`${server.url}/v1/articles/${SEED_SLUG}`)
  t.match(full.headers.get('content-type'), /^application\/json/)
  const sparse = await fetch(`${server.url}/v1/articles/${SEED_SLUG}?fields=title,slug`)
  t.match(sparse.headers.get('content-type'), /^application\/vnd\.spa\.sparse\+json/)
  t.same(Object.keys((await sparse.json()) as object).sort(), ['slug', 'title'])
  const list = await fetch(`${server.url}/v1/articles?fields=title`)
  t.match(list.headers.get('content-type'), /^application\/vnd\.spa\.sparse\+json/)
})
