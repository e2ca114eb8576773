import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { startPostgres } from '../scripts/embedded-postgres.mjs'

/** The PostgreSQL server of a benchmark run and what the report says about it. */
export interface BenchPostgres {
  /** `embedded-postgres` (started and removed by the harness) or `BENCH_POSTGRES_URL`. */
  source: string
  version: string
  /** The server settings that decide durability and memory, as `current_setting()` gives them. */
  settings: Record<string, string>
  /** A new database, empty or a copy of `template` (CREATE DATABASE … TEMPLATE); its URL. */
  createDatabase(name: string, template?: string): Promise<string>
  /** One query on a database created here (by name). */
  query<Row>(database: string, sql: string, params?: unknown[]): Promise<Row[]>
  /** Stops the embedded server and removes its data, or drops the databases made in BENCH_POSTGRES_URL's server. */
  stop(): Promise<void>
}

const SHOWN = ['fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections']

/**
 * PostgreSQL for the benchmark: the server at `url` (BENCH_POSTGRES_URL; its databases are left alone, the run's
 * own are created beside them and dropped at the end), or a throwaway embedded-postgres server with the default,
 * durable settings (fsync and synchronous_commit on), removed at the end.
 */
export async function openBenchPostgres(url: string | undefined): Promise<BenchPostgres> {
  const embedded = url ? undefined : await startPostgres({ name: 'spa-content-bench-pg', urlVariable: 'BENCH_POSTGRES_URL' })
  const serverUrl = url ?? embedded!.url
  // Databases of this run only: on a server someone else gave, names that cannot be theirs.
  const prefix = `spa_bench_${randomBytes(3).toString('hex')}_`
  const created: string[] = []
  const urlOf = (database: string) => {
    const target = new URL(serverUrl)
    target.pathname = `/${database}`
    return target.href
  }
  const withClient = async <T>(database: string | undefined, work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: database ? urlOf(database) : serverUrl })
    await client.connect()
    try {
      return await work(client)
    } finally {
      await client.end()
    }
  }
  try {
    const { version, settings } = await withClient(undefined, async (client) => {
      const setting = async (name: string) => (await client.query<{ value: string }>('SELECT current_setting($1) AS value', [name])).rows[0]!.value
      const version = await setting('server_version')
      const settings: Record<string, string> = {}
      for (const name of SHOWN) settings[name] = await setting(name)
      return { version, settings }
    })
    return {
      source: embedded ? 'embedded-postgres' : 'BENCH_POSTGRES_URL',
      version,
      settings,
      async createDatabase(name, template) {
        const database = `${prefix}${name}`
        await withClient(undefined, (client) => client.query(`CREATE DATABASE ${database}${template ? ` TEMPLATE ${prefix}${template}` : ''}`))
        created.push(database)
        return urlOf(database)
      },
      query: (database, sql, params) => withClient(`${prefix}${database}`, async (client) => (await client.query(sql, params)).rows),
      async stop() {
        if (embedded) {
          await embedded.stop()
          return
        }
        await withClient(undefined, async (client) => {
          for (const database of created.reverse()) await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
        })
      },
    }
  } catch (error) {
    await embedded?.stop()
    throw error
  }
}
