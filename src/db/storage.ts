import type { SqliteDatabase } from './database.js'

/** Why storage cannot take a request now; the public text never names a file or a path. */
export interface StorageFault {
  /** SQLite's extended code, e.g. SQLITE_FULL or SQLITE_IOERR_WRITE. */
  code: string
  /** Said to clients and to `/readyz`. */
  reason: string
  /** Seconds a client should wait before retrying. */
  retryAfterSeconds: number
}

/** How long a failed write keeps `/readyz` at 503 when no later write succeeds. */
export const FAULT_MEMORY_MS = 30_000

/**
 * Classifies an error thrown by better-sqlite3: the faults that are the storage's and not the
 * request's (full disk, read-only file, lock held too long, I/O error, file gone), or undefined.
 * A busy database clears within seconds; the others need an operator.
 */
export function storageFault(error: unknown): StorageFault | undefined {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !(error instanceof Error) || error.name !== 'SqliteError') return undefined
  if (code === 'SQLITE_FULL') return { code, reason: 'the disk holding the database is full', retryAfterSeconds: 30 }
  if (code.startsWith('SQLITE_READONLY')) return { code, reason: 'the database is read-only', retryAfterSeconds: 30 }
  if (code.startsWith('SQLITE_BUSY')) return { code, reason: 'the database is busy with another writer', retryAfterSeconds: 1 }
  if (code.startsWith('SQLITE_IOERR')) return { code, reason: 'the database had an I/O error', retryAfterSeconds: 30 }
  if (code.startsWith('SQLITE_CANTOPEN')) return { code, reason: 'the database file cannot be opened', retryAfterSeconds: 30 }
  return undefined
}

/**
 * What readiness knows about writes. A load balancer reads only the status code, so `/readyz`
 * must turn 503 while writes fail and back to 200 once they can work again, without writing on
 * every probe: it checks what costs nothing to read (the connection's read-only flags, the page
 * limit) and remembers the last failed write until a write succeeds or FAULT_MEMORY_MS pass (an
 * instance taken out of rotation gets no writes, so it must not wait for one to recover).
 */
export class StorageMonitor {
  private lastFault: { fault: StorageFault; at: number } | undefined
  private readonly queryOnly
  private readonly pageCount
  private readonly maxPageCount

  constructor(
    private readonly db: SqliteDatabase,
    private readonly clock: () => number = Date.now,
  ) {
    this.queryOnly = db.prepare<[], number>('PRAGMA query_only').pluck()
    this.pageCount = db.prepare<[], number>('PRAGMA page_count').pluck()
    this.maxPageCount = db.prepare<[], number>('PRAGMA max_page_count').pluck()
  }

  failed(fault: StorageFault): void {
    // A busy lock is contention, not a broken store: it is answered 503 but does not make the instance unready.
    if (!fault.code.startsWith('SQLITE_BUSY')) this.lastFault = { fault, at: this.clock() }
  }

  /** A write committed: whatever failed before works again. */
  succeeded(): void {
    this.lastFault = undefined
  }

  /** Why writes cannot work now, or undefined when nothing says so. Reads only. */
  writeProblem(): string | undefined {
    if (this.db.readonly || this.queryOnly.get() === 1) return 'the database is open read-only'
    if (this.pageCount.get()! >= this.maxPageCount.get()!) return 'the database has reached its page limit (full)'
    if (this.lastFault && this.clock() - this.lastFault.at < FAULT_MEMORY_MS) {
      return `a write failed ${Math.round((this.clock() - this.lastFault.at) / 1000)} s ago: ${this.lastFault.fault.reason} (${this.lastFault.fault.code})`
    }
    return undefined
  }
}
