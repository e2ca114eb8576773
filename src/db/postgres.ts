import pg from 'pg'
import type { DataGeneration, Params, Queries, Sql, Store } from './store.js'

export interface PostgresOptions {
  url: string
  /** Connections this process opens at most. */
  poolSize: number
  /** A statement running longer is cancelled by the server. */
  statementTimeoutMs: number
  /** How long a query waits for a connection (also: for the server to answer a connection attempt). */
  connectTimeoutMs: number
}

/** The channel that migrations/postgres' triggers notify on every commit that changes public data. */
export const DATA_CHANGED_CHANNEL = 'spa_data_changed'

/** Serialization failures and deadlocks: the transaction lost a race, and running it again is the fix. */
const RETRYABLE = new Set(['40001', '40P01'])
const MAX_ATTEMPTS = 10
const RETRY_WINDOW_MS = { first: 5, last: 500 }
const RECONNECT_MS = { first: 100, last: 5000 }
/**
 * How often the listening connection must answer a query. It only ever receives, so a connection cut
 * without a word (a network partition, a host gone) would otherwise look alive for ever while its
 * notifications are lost; one that has not answered the previous heartbeat by the next is given up.
 */
export const LISTENER_HEARTBEAT_MS = 2000
/** The listening connection's name in pg_stat_activity, apart from the pool's. */
export const LISTENER_APPLICATION_NAME = 'spa-content-api listener'

interface Translated {
  name: string
  text: string
  /** For `@name` placeholders: the name of each `$n`; undefined for `?` placeholders. */
  names: string[] | undefined
}

/**
 * The store on PostgreSQL (15 or later), through a pool of `pg` connections. Statements are written
 * with SQLite's placeholders (`@name` or `?`); each text is translated to `$n` once and runs as a
 * named prepared statement, so each connection plans it once. Numbers come back as numbers
 * (PostgreSQL sends bigint and numeric as text).
 */
export class PostgresStore implements Store {
  readonly dialect = 'postgres'
  private readonly pool: pg.Pool
  private readonly translated = new Map<string, Translated>()
  private readonly generations: PostgresDataGeneration[] = []

  constructor(private readonly options: PostgresOptions) {
    this.pool = new pg.Pool(connectionConfig(options))
    // An idle connection that the server ends (a restart, a failover) is dropped from the pool; the next
    // query opens a new one. Without a listener the error would end the process.
    this.pool.on('error', () => {})
  }

  all<Row>(sql: Sql, params?: Params): Promise<Row[]> {
    return this.autocommit<Row>(sql, params).then((result) => result.rows)
  }

  get<Row>(sql: Sql, params?: Params): Promise<Row | undefined> {
    return this.autocommit<Row>(sql, params).then((result) => result.rows[0])
  }

  run(sql: Sql, params?: Params): Promise<number> {
    return this.autocommit(sql, params).then((result) => result.rowCount ?? 0)
  }

  async transaction<T>(work: (tx: Queries) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect()
      const writes = { made: false }
      let broken: Error | undefined
      try {
        await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE')
        const value = await work(this.queriesOn(client, writes))
        await client.query('COMMIT')
        if (writes.made) this.committed()
        return value
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError))
        if (attempt < MAX_ATTEMPTS && RETRYABLE.has((error as { code?: string }).code ?? '')) {
          // Full jitter over a window that grows to a transaction's length: writers that collided start apart.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(RETRY_WINDOW_MS.last, RETRY_WINDOW_MS.first * 2 ** attempt)))
          continue
        }
        throw error
      } finally {
        client.release(broken)
      }
    }
  }

  watchChanges(now: () => Date): DataGeneration {
    const generation = new PostgresDataGeneration(connectionConfig(this.options), this.pool, now)
    this.generations.push(generation)
    return generation
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1')
  }

  async close(): Promise<void> {
    await Promise.all(this.generations.map((generation) => generation.stop()))
    await this.pool.end()
  }

  /** A statement in a transaction of its own: one that wrote has committed when it answers. */
  private autocommit<Row>(sql: Sql, params: Params | undefined): Promise<pg.QueryResult<Row & pg.QueryResultRow>> {
    return this.query<Row>(this.pool, sql, params).then((result) => {
      if (wrote(result)) this.committed()
      return result
    })
  }

  /**
   * This process committed a write: its own next answer must show it, without waiting for the
   * notification, which arrives a moment later on another connection. A transaction that only read
   * moves nothing.
   */
  private committed(): void {
    for (const generation of this.generations) generation.changed()
  }

  private queriesOn(client: pg.PoolClient, writes: { made: boolean }): Queries {
    let savepoints = 0
    const query = (sql: Sql, params: Params | undefined) =>
      this.query(client, sql, params).then((result) => {
        if (wrote(result)) writes.made = true
        return result
      })
    const queries: Queries = {
      dialect: 'postgres',
      all: (sql, params) => query(sql, params).then((result) => result.rows as never),
      get: (sql, params) => query(sql, params).then((result) => result.rows[0] as never),
      run: (sql, params) => query(sql, params).then((result) => result.rowCount ?? 0),
      transaction: async (work) => {
        const name = `s${++savepoints}`
        await client.query(`SAVEPOINT ${name}`)
        try {
          const value = await work(queries)
          await client.query(`RELEASE SAVEPOINT ${name}`)
          return value
        } catch (error) {
          await client.query(`ROLLBACK TO SAVEPOINT ${name}`)
          throw error
        } finally {
          savepoints--
        }
      },
    }
    return queries
  }

  private query<Row>(on: pg.Pool | pg.PoolClient, sql: Sql, params: Params | undefined): Promise<pg.QueryResult<Row & pg.QueryResultRow>> {
    const text = typeof sql === 'string' ? sql : sql.postgres
    let statement = this.translated.get(text)
    if (!statement) {
      statement = { name: `q${this.translated.size + 1}`, ...toPostgres(text) }
      this.translated.set(text, statement)
    }
    return on.query<Row & pg.QueryResultRow>({ name: statement.name, text: statement.text, values: values(statement, params) })
  }
}

/** Whether a statement may have changed data: anything but a SELECT (an INSERT, UPDATE, DELETE, MERGE, TRUNCATE...). */
function wrote(result: pg.QueryResult): boolean {
  return result.command !== 'SELECT'
}

function connectionConfig(options: PostgresOptions): pg.PoolConfig {
  const types = new pg.TypeOverrides()
  types.setTypeParser(pg.types.builtins.INT8, Number)
  types.setTypeParser(pg.types.builtins.NUMERIC, Number)
  return {
    connectionString: options.url,
    max: options.poolSize,
    statement_timeout: options.statementTimeoutMs,
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: 'spa-content-api',
    types,
  }
}

const TOKENS = /'(?:[^']|'')*'|"[^"]*"|--[^\n]*|@@|::|@([A-Za-z_]\w*)|\?/g

/** SQLite's placeholders, `@name` or `?`, as PostgreSQL's `$n`; literals, comments and operators are left alone. */
export function toPostgres(text: string): Pick<Translated, 'text' | 'names'> {
  const names: string[] = []
  let positional = 0
  const translated = text.replace(TOKENS, (token, name: string | undefined) => {
    if (name !== undefined) {
      const index = names.indexOf(name)
      return `$${index === -1 ? names.push(name) : index + 1}`
    }
    return token === '?' ? `$${++positional}` : token
  })
  if (names.length > 0 && positional > 0) throw new Error(`a statement mixes @name and ? placeholders: ${text}`)
  return { text: translated, names: names.length > 0 ? names : undefined }
}

function values(statement: Translated, params: Params | undefined): unknown[] {
  if (params === undefined) return []
  if (Array.isArray(params)) return params
  const named = params as Readonly<Record<string, unknown>>
  return (statement.names ?? []).map((name) => {
    if (!(name in named)) throw new RangeError(`missing named parameter "${name}"`)
    return named[name]
  })
}

/**
 * The generation of the public data on PostgreSQL. Every commit that changes public data notifies
 * DATA_CHANGED_CHANNEL (migrations/postgres), and PostgreSQL delivers a notification only after its
 * commit: a node that hears it moves on, and hears it for writes made on every other node too. A
 * node's own commits move it at once (PostgresStore.committed); another node's when its notification
 * arrives: PostgreSQL signals the listeners as the commit completes, so it is on its way while the
 * writer's answer travels to its client (the README says so in "Running several nodes").
 * While the listening connection is down, nothing can be trusted to stay fresh, so every read moves
 * the generation (no answer is reused) until it listens again. The next scheduled publication is
 * read after every change, as on SQLite; until that read is back, nothing is reused either.
 */
class PostgresDataGeneration implements DataGeneration {
  private generation = 0
  private changesHeard = 0
  private listening = false
  /** -Infinity: not known yet (a read is due or in flight). */
  private nextPublication = -Infinity
  private reading = false
  private stopped = false
  private listener: pg.Client | undefined
  private reconnectMs = RECONNECT_MS.first
  private reconnectTimer: NodeJS.Timeout | undefined
  private heartbeat: NodeJS.Timeout | undefined

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly pool: pg.Pool,
    private readonly now: () => Date,
  ) {
    void this.listen()
  }

  current(): number {
    if (!this.listening) return ++this.generation
    if (this.now().getTime() < this.nextPublication) return this.generation
    this.readNextPublication()
    return ++this.generation
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.reconnectTimer)
    clearInterval(this.heartbeat)
    await this.listener?.end().catch(() => {})
  }

  /** A commit changed the data (heard as a notification, or made by this process). */
  changed(): void {
    this.changesHeard++
    this.generation++
    this.nextPublication = -Infinity
  }

  private readNextPublication(): void {
    if (this.reading) return
    this.reading = true
    const heard = this.changesHeard
    const at = this.now().toISOString()
    this.pool
      .query<{ next: string | null }>("SELECT min(published_at) AS next FROM articles WHERE status = 'published' AND published_at > $1", [at])
      .then(
        ({ rows }) => {
          // A change heard meanwhile may have scheduled an earlier publication: read again.
          if (heard === this.changesHeard) this.nextPublication = rows[0]?.next ? Date.parse(rows[0].next) : Infinity
        },
        () => {},
      )
      .finally(() => (this.reading = false))
  }

  private async listen(): Promise<void> {
    const listener = new pg.Client({ ...this.config, application_name: LISTENER_APPLICATION_NAME })
    this.listener = listener
    const lost = () => {
      if (this.listener !== listener) return
      this.listener = undefined
      this.listening = false
      clearInterval(this.heartbeat)
      listener.end().catch(() => {})
      if (!this.stopped) this.reconnectTimer = setTimeout(() => void this.listen(), this.reconnectMs)
      this.reconnectMs = Math.min(this.reconnectMs * 2, RECONNECT_MS.last)
    }
    listener.on('error', lost)
    listener.on('end', lost)
    listener.on('notification', () => this.changed())
    try {
      await listener.connect()
      await listener.query(`LISTEN ${DATA_CHANGED_CHANNEL}`)
      if (this.stopped) return void listener.end().catch(() => {})
      this.reconnectMs = RECONNECT_MS.first
      // Whatever changed while no one listened is unknown: start again from the database.
      this.changed()
      this.listening = true
      let answering = true
      this.heartbeat = setInterval(() => {
        if (!answering) return lost()
        answering = false
        listener.query('SELECT 1').then(() => (answering = true), lost)
      }, LISTENER_HEARTBEAT_MS).unref()
    } catch {
      lost()
    }
  }
}
