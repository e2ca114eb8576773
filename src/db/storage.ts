import type { SqliteDatabase } from './database.js'
import type { SqliteStore } from './sqlite.js'
import type { Store } from './store.js'

/** Why storage cannot take a request now; the public text never names a file, a host or a path. */
export interface StorageFault {
  /** SQLite's extended code (SQLITE_FULL), PostgreSQL's SQLSTATE (57P01), or the connection's (ECONNREFUSED). */
  code: string
  /** Said to clients and to `/readyz`. */
  reason: string
  /** Seconds a client should wait before retrying. */
  retryAfterSeconds: number
  /**
   * What the fault says about the store: `contention` (a busy lock, a statement that ran out of time)
   * clears by itself and does not make the instance unready; `connection` (the server is down,
   * restarting or full of connections) is seen by readiness's own ping and gone when the ping works;
   * `storage` (a full disk, a read-only database, an I/O error) is remembered by readiness for a while.
   */
  kind: 'contention' | 'connection' | 'storage'
}

/** How long a failed write keeps `/readyz` at 503 when no later write succeeds. */
export const FAULT_MEMORY_MS = 30_000

/** Seconds to wait while a PostgreSQL server restarts or a connection is re-opened. */
const RECONNECT_RETRY_SECONDS = 5

/**
 * Classifies an error thrown by a store: the faults that are the storage's and not the request's, or
 * undefined (a bug, a constraint: a 500).
 */
export function storageFault(error: unknown): StorageFault | undefined {
  if (!(error instanceof Error)) return undefined
  return error.name === 'SqliteError' ? sqliteFault(error) : postgresFault(error)
}

/**
 * better-sqlite3's errors: full disk, read-only file, lock held too long, I/O error, file gone. A busy
 * database clears within seconds; the others need an operator.
 */
function sqliteFault(error: Error): StorageFault | undefined {
  const code = (error as { code?: unknown }).code
  if (typeof code !== 'string') return undefined
  if (code === 'SQLITE_FULL') return { code, reason: 'the disk holding the database is full', retryAfterSeconds: 30, kind: 'storage' }
  if (code.startsWith('SQLITE_READONLY')) return { code, reason: 'the database is read-only', retryAfterSeconds: 30, kind: 'storage' }
  if (code.startsWith('SQLITE_BUSY')) return { code, reason: 'the database is busy with another writer', retryAfterSeconds: 1, kind: 'contention' }
  if (code.startsWith('SQLITE_IOERR')) return { code, reason: 'the database had an I/O error', retryAfterSeconds: 30, kind: 'storage' }
  if (code.startsWith('SQLITE_CANTOPEN')) return { code, reason: 'the database file cannot be opened', retryAfterSeconds: 30, kind: 'storage' }
  return undefined
}

/** What a socket to the database server fails with when the server is gone, unreachable or restarting. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND'])

/**
 * PostgreSQL's (SQLSTATE codes, from the server) and `pg`'s (a lost or refused connection, from the
 * client) errors. `pg` reports a lost connection and a pool that could not connect in time by message
 * only, so those are matched by their fixed text.
 */
function postgresFault(error: Error): StorageFault | undefined {
  const code = (error as { code?: unknown }).code
  const connection = (code: string, reason: string): StorageFault => ({ code, reason, retryAfterSeconds: RECONNECT_RETRY_SECONDS, kind: 'connection' })
  if (typeof code === 'string') {
    if (code === '57P01' || code === '57P02' || code === '57P03') return connection(code, 'the database server is shutting down or restarting')
    if (code.startsWith('08')) return connection(code, 'the connection to the database server failed')
    if (code === '53300') return connection(code, 'the database server has too many connections')
    if (NETWORK_CODES.has(code)) return connection(code, 'the database server cannot be reached')
    if (code === '57014') return { code, reason: 'the query took longer than the statement timeout', retryAfterSeconds: 1, kind: 'contention' }
    // Serialization failures left after the store's retries, and locks not granted: contention.
    if (code === '40001' || code === '40P01' || code === '55P03') return { code, reason: 'the database is busy with other writers', retryAfterSeconds: 1, kind: 'contention' }
    if (code === '53100') return { code, reason: 'the disk holding the database is full', retryAfterSeconds: 30, kind: 'storage' }
    if (code === '53200') return { code, reason: 'the database server is out of memory', retryAfterSeconds: 30, kind: 'storage' }
    if (code === '25006') return { code, reason: 'the database is read-only', retryAfterSeconds: 30, kind: 'storage' }
    if (code === '58030') return { code, reason: 'the database had an I/O error', retryAfterSeconds: 30, kind: 'storage' }
    return undefined
  }
  // Node reports a refused connection to a name with several addresses as an AggregateError of them.
  if (error instanceof AggregateError) {
    const first = error.errors.find((inner): inner is Error => inner instanceof Error)
    return first ? postgresFault(first) : undefined
  }
  if (/^Connection terminated\b/.test(error.message)) return connection('CONNECTION_TERMINATED', 'the connection to the database server was lost')
  if (/^timeout exceeded when trying to connect$/.test(error.message)) return connection('CONNECT_TIMEOUT', 'the database server does not accept connections in time')
  if (/^Client has encountered a connection error and is not queryable$/.test(error.message)) return connection('CONNECTION_ERROR', 'the connection to the database server failed')
  return undefined
}

/**
 * What readiness knows about writes. A load balancer reads only the status code, so `/readyz`
 * must turn 503 while writes fail and back to 200 once they can work again, without writing on
 * every probe: it checks what costs nothing to read (on SQLite the connection's read-only flags and
 * the page limit; on PostgreSQL readiness's ping says whether the server answers) and remembers the
 * last failed write until a write succeeds or FAULT_MEMORY_MS pass (an instance taken out of
 * rotation gets no writes, so it must not wait for one to recover).
 */
export class StorageMonitor {
  private lastFault: { fault: StorageFault; at: number } | undefined
  private readonly sqlite: SqlitePragmas | undefined

  constructor(
    store: Store,
    private readonly clock: () => number = Date.now,
  ) {
    this.sqlite = store.dialect === 'sqlite' ? new SqlitePragmas((store as SqliteStore).handle) : undefined
  }

  failed(fault: StorageFault): void {
    // Contention is answered 503 but does not make the instance unready; a lost connection is the ping's to judge.
    if (fault.kind === 'storage') this.lastFault = { fault, at: this.clock() }
  }

  /** A write committed: whatever failed before works again. */
  succeeded(): void {
    this.lastFault = undefined
  }

  /** Why writes cannot work now, or undefined when nothing says so. Reads only. */
  writeProblem(): string | undefined {
    const now = this.sqlite?.writeProblem()
    if (now) return now
    if (this.lastFault && this.clock() - this.lastFault.at < FAULT_MEMORY_MS) {
      return `a write failed ${Math.round((this.clock() - this.lastFault.at) / 1000)} s ago: ${this.lastFault.fault.reason} (${this.lastFault.fault.code})`
    }
    return undefined
  }
}

/** SQLite's own word on whether its connection can write. */
class SqlitePragmas {
  private readonly queryOnly
  private readonly pageCount
  private readonly maxPageCount

  constructor(private readonly db: SqliteDatabase) {
    this.queryOnly = db.prepare<[], number>('PRAGMA query_only').pluck()
    this.pageCount = db.prepare<[], number>('PRAGMA page_count').pluck()
    this.maxPageCount = db.prepare<[], number>('PRAGMA max_page_count').pluck()
  }

  writeProblem(): string | undefined {
    if (this.db.readonly || this.queryOnly.get() === 1) return 'the database is open read-only'
    if (this.pageCount.get()! >= this.maxPageCount.get()!) return 'the database has reached its page limit (full)'
    return undefined
  }
}
