/**
 * The one interface the features read and write through, with two implementations: SQLite
 * (./sqlite.ts, embedded, the default) and PostgreSQL (./postgres.ts, for several nodes). The
 * repositories are written once against it; where the two engines' SQL differs, a statement carries
 * one text per engine.
 */
export type Dialect = 'sqlite' | 'postgres'

/** A statement: one text both engines read, or one text per engine. */
export type Sql = string | Readonly<Record<Dialect, string>>

/**
 * Values for a statement's placeholders: by name for `@name` placeholders, or in order for `?`
 * placeholders. Numbers, strings, null and Buffers only (SQLite takes no booleans).
 */
export type Params = readonly unknown[] | Readonly<Record<string, unknown>>

export interface Queries {
  readonly dialect: Dialect
  all<Row>(sql: Sql, params?: Params): Promise<Row[]>
  get<Row>(sql: Sql, params?: Params): Promise<Row | undefined>
  /** Runs a statement for its effect; resolves with how many rows it changed. */
  run(sql: Sql, params?: Params): Promise<number>
  /**
   * Runs `work` as one transaction (inside a transaction: a savepoint): all of its writes or none.
   * A write transaction is serializable on both engines, so reads made to decide a write (a duplicate
   * check, an idempotency key) cannot be overtaken by another writer. `work` must only use `tx`: it
   * may run more than once (PostgreSQL retries a transaction that lost a serialization conflict), and
   * on SQLite every other query waits until it ends.
   */
  transaction<T>(work: (tx: Queries) => Promise<T>): Promise<T>
}

/** What moves when public data may have changed; read on every request, so it must cost nothing. */
export interface DataGeneration {
  current(): number
}

export interface Store extends Queries {
  /**
   * A generation of the public data that changes whenever a public answer may have changed: a commit
   * by this process, by another process or node, or the clock reaching a scheduled publication.
   */
  watchChanges(now: () => Date): DataGeneration
  /** Checks that the store answers; rejects with the store's error when it does not. */
  ping(): Promise<void>
  close(): Promise<void>
}

/** The statement's text for an engine. */
export function textFor(sql: Sql, dialect: Dialect): string {
  return typeof sql === 'string' ? sql : sql[dialect]
}

/** A statement built from fragments that differ by engine: `build` is called once per engine. */
export function perDialect(build: (dialect: Dialect) => string): Sql {
  return { sqlite: build('sqlite'), postgres: build('postgres') }
}
