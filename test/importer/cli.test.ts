import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { PostgresStore } from '../../src/db/postgres.js'
import { runImportCli } from '../../src/importer/cli.js'
import { createPostgresDatabase, ON_POSTGRES, SQLITE_ONLY } from '../helpers/store.js'

const SEED_DIR = fileURLToPath(new URL('../../seed/', import.meta.url))
const SEED_FILE = join(SEED_DIR, 'lower-back-pain-deep-tissue-massage.txt')
const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'

const FIRST_RUN = '2026-03-01T10:00:00.000Z'
const SECOND_RUN = '2026-03-02T11:00:00.000Z'
const THIRD_RUN = '2026-03-03T12:00:00.000Z'

interface CliRun {
  code: number
  stdout: string[]
  stderr: string[]
}

/** Runs the import command in-process against the database `db`, at the fixed time `now`. */
async function cli(argv: string[], db: Pick<Target, 'env'>, now: string = FIRST_RUN): Promise<CliRun> {
  const stdout: string[] = []
  const stderr: string[] = []
  const code = await runImportCli(argv, {
    env: db.env,
    stdout: (text) => stdout.push(text),
    stderr: (text) => stderr.push(text),
    now: () => new Date(now),
  })
  return { code, stdout, stderr }
}

interface ArticleRow {
  id: number
  slug: string
  title: string
  author: string | null
  status: string
  published_at: string | null
  created_at: string
  updated_at: string
  sections: string
}

interface EntryRow {
  article_id: number
  kind: string
  position: number
  slug: string
  name: string
  description: string
}

interface Dump {
  articles: ArticleRow[]
  entries: EntryRow[]
  migrations: unknown[]
}

const DUMP = {
  articles: 'SELECT * FROM articles ORDER BY id',
  entries: 'SELECT * FROM article_entries ORDER BY article_id, kind, position',
  migrations: 'SELECT * FROM schema_migrations ORDER BY version',
}

/** The database a test's CLI runs write to: a SQLite file in `dir`, or a fresh PostgreSQL database (a URL). */
interface Target {
  /** DATABASE_PATH or DATABASE_URL. */
  env: Record<string, string>
  /** Every row of the content tables, in a stable order. */
  dump(): Promise<Dump>
  /** Whether no run has written anything: no SQLite file at all, or no article on PostgreSQL (its schema is made beforehand). */
  untouched(): Promise<boolean>
  /** The SQLite file's bytes; undefined on PostgreSQL. */
  bytes(): Buffer | undefined
}

async function target(t: Test, dir: string): Promise<Target> {
  if (!ON_POSTGRES) {
    const path = join(dir, 'content.db')
    return {
      env: { DATABASE_PATH: path },
      async dump() {
        const db = new Database(path, { fileMustExist: true })
        try {
          return { articles: db.prepare(DUMP.articles).all() as ArticleRow[], entries: db.prepare(DUMP.entries).all() as EntryRow[], migrations: db.prepare(DUMP.migrations).all() }
        } finally {
          db.close()
        }
      },
      untouched: async () => !existsSync(path),
      bytes: () => readFileSync(path),
    }
  }
  const url = await createPostgresDatabase(t)
  const dump = async (): Promise<Dump> => {
    const store = new PostgresStore({ url, poolSize: 1, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000 })
    try {
      return { articles: await store.all<ArticleRow>(DUMP.articles), entries: await store.all<EntryRow>(DUMP.entries), migrations: await store.all(DUMP.migrations) }
    } finally {
      await store.close()
    }
  }
  return {
    env: { DATABASE_URL: url },
    dump,
    untouched: async () => {
      const { articles, entries } = await dump()
      return articles.length === 0 && entries.length === 0
    },
    bytes: () => undefined,
  }
}

/** A short article in the seed's style: a title, an introduction, a technique list and a conclusion. */
function articleText(title: string): string {
  return [
    title,
    '',
    `An introduction to ${title.toLowerCase()} and what it can do for your back and shoulders.`,
    '',
    'Techniques Used',
    '',
    '  1. Long Strokes: Slow gliding strokes along the length of the muscle.',
    '  1. Kneading: Lifting and squeezing the muscle to loosen it.',
    '',
    'Conclusion',
    '',
    'Book a session and feel the difference for yourself.',
  ].join('\n')
}

t.test('--dry-run with one file prints that article as one JSON object and writes nothing', async (t) => {
  const dir = t.testdir({})
  const db = await target(t, dir)
  const run = await cli(['--dry-run', SEED_FILE], db)

  t.equal(run.code, 0)
  t.same(run.stderr, [])
  t.equal(run.stdout.length, 1, 'one write to stdout')
  const article = JSON.parse(run.stdout.join('\n')) as Record<string, unknown>
  t.type(article, 'object')
  t.notOk(Array.isArray(article), 'one file gives an object, not an array')
  t.same(
    Object.keys(article).sort(),
    ['benefits', 'notes', 'readingTimeMinutes', 'sections', 'slug', 'summary', 'techniques', 'title', 'wordCount'],
    "the API's field names, nothing else",
  )
  t.same(
    (article.notes as { line: number; leftOutAs: string }[]).map(({ line, leftOutAs }) => [line, leftOutAs]),
    [[52, 'page-chrome'], [54, 'page-chrome'], [57, 'page-chrome'], [59, 'page-chrome']],
    'the notes say which lines were left out as page chrome',
  )
  t.equal(article.title, 'Lower Back Pain Deep Tissue Massage')
  t.equal(article.slug, SEED_SLUG)
  t.match(article.summary, /^Lower back pain can be debilitating/)
  t.type(article.wordCount, 'number')
  t.ok((article.wordCount as number) > 500)
  t.equal(article.readingTimeMinutes, Math.ceil((article.wordCount as number) / 200))
  const sections = article.sections as { heading?: string }[]
  t.equal(sections.filter((section) => section.heading !== undefined).length, 6, 'six headed sections')
  t.equal((article.techniques as unknown[]).length, 4)
  t.equal((article.benefits as unknown[]).length, 5)

  t.ok(await db.untouched(), 'no database file is created')
  t.same(readdirSync(dir), [], 'nothing at all is written next to it')
})

t.test('--dry-run with two files prints an array of both articles', async (t) => {
  const dir = t.testdir({ 'hot-stone.txt': articleText('Hot Stone Massage') })
  const db = await target(t, dir)
  const run = await cli(['--dry-run', SEED_FILE, join(dir, 'hot-stone.txt')], db)

  t.equal(run.code, 0)
  t.same(run.stderr, [])
  t.equal(run.stdout.length, 1)
  const articles = JSON.parse(run.stdout.join('\n')) as { slug: string; techniques: { name: string }[] }[]
  t.ok(Array.isArray(articles))
  t.same(
    articles.map((article) => article.slug),
    [SEED_SLUG, 'hot-stone-massage'],
    'in the order given',
  )
  t.same(
    articles[1]?.techniques.map((technique) => technique.name),
    ['Long Strokes', 'Kneading'],
  )
  t.ok(await db.untouched(), 'no database file is created')
})

t.test('import creates a draft, --publish publishes it, an identical run changes nothing', async (t) => {
  const dir = t.testdir({})
  const db = await target(t, dir)

  const first = await cli([SEED_FILE], db, FIRST_RUN)
  t.equal(first.code, 0)
  t.same(first.stderr, [])
  t.same(first.stdout, [`created ${SEED_SLUG} (${SEED_FILE})`])
  const afterFirst = await db.dump()
  t.equal(afterFirst.articles.length, 1)
  t.match(afterFirst.articles[0], { slug: SEED_SLUG, status: 'draft', published_at: null, created_at: FIRST_RUN, updated_at: FIRST_RUN })
  t.equal(afterFirst.entries.length, 9, 'a draft has its entries too')

  const second = await cli(['--publish', SEED_FILE], db, SECOND_RUN)
  t.equal(second.code, 0)
  t.same(second.stderr, [])
  t.same(second.stdout, [`updated ${SEED_SLUG} (${SEED_FILE})`])
  const afterSecond = await db.dump()
  t.equal(afterSecond.articles.length, 1, 'the same article, not a second one')
  t.match(afterSecond.articles[0], {
    id: afterFirst.articles[0]?.id,
    status: 'published',
    published_at: SECOND_RUN,
    created_at: FIRST_RUN,
    updated_at: SECOND_RUN,
  })

  const third = await cli(['--publish', SEED_FILE], db, THIRD_RUN)
  t.equal(third.code, 0)
  t.same(third.stderr, [])
  t.same(third.stdout, [`unchanged ${SEED_SLUG} (${SEED_FILE})`])
  const afterThird = await db.dump()
  t.same(afterThird, afterSecond, 'no row changed')
  t.equal(afterThird.articles[0]?.updated_at, SECOND_RUN, 'updated_at is not moved to the third run')

  const withoutPublish = await cli([SEED_FILE], db, THIRD_RUN)
  t.same(withoutPublish.stdout, [`unchanged ${SEED_SLUG} (${SEED_FILE})`], 'importing again without --publish does not unpublish it')
  t.same(await db.dump(), afterSecond)
})

t.test('--seed imports seed/*.txt as published, and a second --seed run changes nothing', async (t) => {
  const dir = t.testdir({})
  const db = await target(t, dir)
  const seedFiles = readdirSync(SEED_DIR).filter((file) => file.endsWith('.txt'))

  const first = await cli(['--seed'], db, FIRST_RUN)
  t.equal(first.code, 0)
  t.same(first.stderr, [])
  t.equal(first.stdout.length, seedFiles.length, 'one line per seed file')
  t.ok(first.stdout.includes(`created ${SEED_SLUG} (${SEED_FILE})`))
  const before = await db.dump()
  t.equal(before.articles.length, seedFiles.length)
  for (const row of before.articles) t.match(row, { status: 'published', published_at: FIRST_RUN })

  const article = before.articles.find((row) => row.slug === SEED_SLUG)!
  t.ok(article)
  const entries = before.entries.filter((entry) => entry.article_id === article.id)
  const names = (kind: string) => entries.filter((entry) => entry.kind === kind).map((entry) => entry.name)
  t.same(names('techniques'), ['Deep Pressure', 'Friction', 'Stripping', 'Trigger Point Therapy'])
  t.same(names('benefits'), [
    'Pain Relief',
    'Improved Blood Circulation',
    'Increased Flexibility and Range of Motion',
    'Stress Reduction',
    'Injury Rehabilitation',
  ])
  t.match(entries.find((entry) => entry.kind === 'techniques' && entry.position === 4), {
    slug: 'trigger-point-therapy',
    description: /^Trigger points are tight knots/,
  })

  const second = await cli(['--seed'], db, SECOND_RUN)
  t.equal(second.code, 0)
  t.same(second.stderr, [])
  t.same(second.stdout, first.stdout.map((line) => line.replace(/^created /, 'unchanged ')))
  t.same(await db.dump(), before, 'articles and article_entries are exactly as before')
})

t.test('a bad file fails the whole run, names the file and the reason, and writes nothing', async (t) => {
  const cases: { name: string; content?: Buffer | string; reason: RegExp }[] = [
    { name: 'empty.txt', content: '', reason: /empty/ },
    {
      name: 'nul-bytes.txt',
      content: Buffer.from('Deep Tissue Massage\n\nA first\u0000paragraph with a NUL\u0000 in it.\n', 'utf8'),
      reason: /binary/,
    },
    {
      name: 'image.png',
      content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0xff, 0xfe]),
      reason: /not UTF-8/,
    },
    { name: 'no-title.txt', content: '1. Item: text\n2. Other: more text\n', reason: /no title/ },
    { name: 'missing.txt', reason: /no such file/ },
  ]

  for (const { name, content, reason } of cases) {
    t.test(name, async (t) => {
      const dir = t.testdir({
        'existing.txt': articleText('Hot Stone Massage'),
        'good.txt': articleText('Swedish Massage Basics'),
        ...(content === undefined ? {} : { [name]: content }),
      })
      const db = await target(t, dir)
      const bad = join(dir, name)
      t.equal(existsSync(bad), content !== undefined)

      const setup = await cli(['--publish', join(dir, 'existing.txt')], db)
      t.equal(setup.code, 0)
      const tables = await db.dump()
      t.equal(tables.articles.length, 1)
      const bytes = db.bytes()

      const run = await cli(['--publish', join(dir, 'good.txt'), bad], db, SECOND_RUN)
      t.equal(run.code, 1)
      t.same(run.stdout, [], 'no outcome is reported')
      t.equal(run.stderr.length, 1)
      const message = run.stderr.join('\n')
      t.ok(message.includes(bad), 'the message names the bad file')
      t.match(message, reason, 'the message gives the reason')
      t.match(message, /nothing was written/)
      t.notOk(message.includes(join(dir, 'good.txt')), 'the good file is not blamed')

      t.same(await db.dump(), tables, 'not even the good file of that run is written')
      t.ok(bytes === undefined || db.bytes()!.equals(bytes), 'the database file is byte-for-byte the same', { skip: SQLITE_ONLY })
    })
  }
})

t.test('two files whose titles give the same slug fail the run', async (t) => {
  const dir = t.testdir({
    'a.txt': articleText('Hot Stone Massage'),
    'b.txt': articleText('Hot-Stone Massage!'),
  })
  const db = await target(t, dir)
  const run = await cli(['--publish', join(dir, 'a.txt'), join(dir, 'b.txt')], db)

  t.equal(run.code, 1)
  t.same(run.stdout, [])
  const message = run.stderr.join('\n')
  t.ok(message.includes(join(dir, 'a.txt')) && message.includes(join(dir, 'b.txt')), 'both files are named')
  t.ok(message.includes('hot-stone-massage'), 'the clashing slug is named')
  t.ok(await db.untouched(), 'not even a database is created')
})

t.test('usage errors exit 2 and --help exits 0', async (t) => {
  const dir = t.testdir({})
  const db = await target(t, dir)

  const none = await cli([], db)
  t.equal(none.code, 2, 'no files')
  t.same(none.stdout, [])
  t.match(none.stderr.join('\n'), /no files given/)
  t.match(none.stderr.join('\n'), /usage:/)

  const publishOnly = await cli(['--publish'], db)
  t.equal(publishOnly.code, 2, 'flags but no files')
  t.match(publishOnly.stderr.join('\n'), /usage:/)

  const unknown = await cli(['--frobnicate', SEED_FILE], db)
  t.equal(unknown.code, 2, 'an unknown flag')
  t.same(unknown.stdout, [])
  t.match(unknown.stderr.join('\n'), /--frobnicate/)
  t.match(unknown.stderr.join('\n'), /usage:/)

  const help = await cli(['--help'], db)
  t.equal(help.code, 0)
  t.same(help.stderr, [])
  t.match(help.stdout.join('\n'), /usage:.*--publish.*--dry-run/s)

  t.ok(await db.untouched(), 'none of these opens the database')
})

t.test('a database that cannot be opened is an error, exit 1: a DATABASE_PATH under a file, a DATABASE_URL of no database', async (t) => {
  const dir = t.testdir({ 'not-a-dir': 'a file, not a directory' })
  const noDatabase = new URL(process.env.TEST_POSTGRES_URL ?? 'postgres://localhost/')
  noDatabase.pathname = '/no_such_database'
  const run = await cli([SEED_FILE], { env: ON_POSTGRES ? { DATABASE_URL: noDatabase.toString() } : { DATABASE_PATH: join(dir, 'not-a-dir', 'content.db') } })
  t.equal(run.code, 1)
  t.same(run.stdout, [])
  t.match(run.stderr.join('\n'), /import failed/)
})

t.test('a byline gives the article its author, and its date when the import publishes it', async (t) => {
  const dir = t.testdir({
    'bylined.txt': ['Hot Stone Basics', 'By Dana Lee | June 2, 2024', '', articleText('Hot Stone Basics').split('\n').slice(2).join('\n')].join('\n'),
    'draft.txt': ['Warm Oil Basics', 'Posted on March 3, 2025 by Serenity Spa Team', '', articleText('Warm Oil Basics').split('\n').slice(2).join('\n')].join('\n'),
    'future.txt': ['Cold Stone Basics', 'June 2, 2027', '', articleText('Cold Stone Basics').split('\n').slice(2).join('\n')].join('\n'),
  })
  const db = await target(t, dir)
  t.equal((await cli(['--publish', join(dir, 'bylined.txt'), join(dir, 'future.txt')], db)).code, 0)
  t.equal((await cli([join(dir, 'draft.txt')], db)).code, 0)
  const { articles } = await db.dump()
  const rows = articles.map(({ slug, author, status, published_at }) => ({ slug, author, status, published_at }))
  t.same(rows, [
    { slug: 'hot-stone-basics', author: 'Dana Lee', status: 'published', published_at: '2024-06-02T00:00:00.000Z' },
    { slug: 'cold-stone-basics', author: null, status: 'published', published_at: FIRST_RUN },
    { slug: 'warm-oil-basics', author: 'Serenity Spa Team', status: 'draft', published_at: null },
  ], 'the byline date when it has come, else the time of the import; a draft has none')
  const sections = JSON.parse(articles.find((article) => article.slug === 'hot-stone-basics')!.sections) as { heading?: string }[]
  t.notOk(JSON.stringify(sections).includes('Dana Lee'), 'the byline is not in the body')
})

t.test('a file longer than an article may be stops the import, and nothing is written', async (t) => {
  const items = Array.from({ length: 201 }, (_, index) => `${index + 1}. Item ${index + 1}: What it does.`).join('\n')
  const dir = t.testdir({ 'long.txt': `Long List\n\nAn introduction.\n\nTechniques\n\n${items}\n` })
  const db = await target(t, dir)
  const run = await cli([join(dir, 'long.txt')], db)
  t.equal(run.code, 1)
  t.match(run.stderr.join('\n'), /long\.txt: the text is longer than an article may be: a list may hold at most 200 items \(line 207\)/)
  t.ok(await db.untouched(), 'no database was opened')
})
