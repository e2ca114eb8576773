import type { Statement } from 'better-sqlite3'
import type { SqliteDatabase } from './database.js'
import { SqliteDataGeneration } from './sqlite-generation.js'
import type { Params, Queries, Sql, Store } from './store.js'

/** Enough to share one fsync among every write of a busy moment, few enough to keep one commit short. */
const MAX_GROUP = 128

interface Job {
  work: (tx: Queries) => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

/**
 * The store on one SQLite connection (better-sqlite3). Statements are prepared once, the first time
 * their text is used. Queries run synchronously underneath; the promises keep the interface the
 * same as PostgreSQL's.
 *
 * Write transactions are grouped: those submitted while the event loop serves one round of requests
 * run one after another in a single IMMEDIATE transaction, so that they share one commit (one fsync
 * under `synchronous=FULL`). Each runs in a savepoint of its own (its failure undoes only its own
 * writes and reaches only its caller), sees the ones before it, and its promise settles only after the
 * commit: no one is told of a write that is not on disk. While a group runs, queries from outside it
 * wait, so that none reads a write that may still be rolled back.
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite'
  private readonly statements = new Map<string, Statement>()
  private pending: Job[] = []
  private scheduled = false
  private group: Promise<void> | undefined
  private savepoints = 0
  /** The queries of the transaction that is running: they do not wait for it. */
  private readonly inGroup: Queries = {
    dialect: 'sqlite',
    all: async (sql, params) => this.statement(sql).all(...args(params)) as never,
    get: async (sql, params) => this.statement(sql).get(...args(params)) as never,
    run: async (sql, params) => this.statement(sql).run(...args(params)).changes,
    transaction: (work) => this.savepoint(work),
  }

  constructor(readonly handle: SqliteDatabase) {}

  async all<Row>(sql: Sql, params?: Params): Promise<Row[]> {
    while (this.group) await this.group
    return this.statement(sql).all(...args(params)) as Row[]
  }

  async get<Row>(sql: Sql, params?: Params): Promise<Row | undefined> {
    while (this.group) await this.group
    return this.statement(sql).get(...args(params)) as Row | undefined
  }

  async run(sql: Sql, params?: Params): Promise<number> {
    while (this.group) await this.group
    return this.statement(sql).run(...args(params)).changes
  }

  transaction<T>(work: (tx: Queries) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject })
      if (!this.scheduled) this.schedule()
    })
  }

  watchChanges(now: () => Date): SqliteDataGeneration {
    return new SqliteDataGeneration(this.handle, now)
  }

  async ping(): Promise<void> {
    this.statement('SELECT 1').get()
  }

  async close(): Promise<void> {
    while (this.group) await this.group
    this.handle.close()
  }

  private statement(sql: Sql): Statement {
    const text = typeof sql === 'string' ? sql : sql.sqlite
    let statement = this.statements.get(text)
    if (!statement) {
      statement = this.handle.prepare(text)
      this.statements.set(text, statement)
    }
    return statement
  }

  private schedule(): void {
    this.scheduled = true
    // setImmediate runs after the I/O callbacks of this loop turn: every request read in it has submitted its write.
    setImmediate(() => void this.flush())
  }

  private async flush(): Promise<void> {
    this.scheduled = false
    while (this.group) await this.group
    const jobs = this.pending.splice(0, MAX_GROUP)
    if (jobs.length === 0) return
    if (this.pending.length > 0) this.schedule()
    let ended!: () => void
    this.group = new Promise((resolve) => (ended = resolve))
    const outcomes: Outcome[] = []
    try {
      this.handle.exec('BEGIN IMMEDIATE')
      for (const job of jobs) outcomes.push(await this.attempt(job))
      this.handle.exec('COMMIT')
    } catch (error) {
      // Nothing of the group was committed (the lock, the disk or the commit failed): every caller hears it.
      if (this.handle.inTransaction) this.handle.exec('ROLLBACK')
      for (const job of jobs) job.reject(error)
      return
    } finally {
      this.group = undefined
      ended()
    }
    outcomes.forEach((outcome, index) => (outcome.ok ? jobs[index]!.resolve(outcome.value) : jobs[index]!.reject(outcome.error)))
  }

  private async attempt(job: Job): Promise<Outcome> {
    try {
      return { ok: true, value: await this.savepoint(job.work) }
    } catch (error) {
      // SQLite rolled the whole transaction back (a full disk, an I/O error): the group fails as one.
      if (!this.handle.inTransaction) throw error
      return { ok: false, error }
    }
  }

  private async savepoint<T>(work: (tx: Queries) => Promise<T>): Promise<T> {
    const name = `s${++this.savepoints}`
    this.handle.exec(`SAVEPOINT ${name}`)
    try {
      const value = await work(this.inGroup)
      this.handle.exec(`RELEASE ${name}`)
      return value
    } catch (error) {
      if (this.handle.inTransaction) this.handle.exec(`ROLLBACK TO ${name}; RELEASE ${name}`)
      throw error
    } finally {
      this.savepoints--
    }
  }
}

function args(params: Params | undefined): unknown[] {
  if (params === undefined) return []
  return Array.isArray(params) ? params : [params]
}
