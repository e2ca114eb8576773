import type { SqliteDatabase } from '../db/database.js'

/** Enough to share one fsync among every request of a busy moment, few enough to keep one commit short. */
const MAX_BATCH = 128

interface Job {
  work: () => unknown
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/**
 * Group commit: the writes submitted while the event loop serves one round of requests run one after
 * another in a single IMMEDIATE transaction, so that they share one commit (one fsync under
 * `synchronous=FULL`) instead of paying one each. Each write still sees the ones before it (a duplicate
 * check finds the comment posted just before it in the same batch), runs in a savepoint of its own (its
 * failure undoes only its own changes and reaches only its own caller), and its promise settles only
 * after the transaction holding it has committed: no one is told of a write that is not on disk.
 */
export class GroupCommit {
  private pending: Job[] = []
  private scheduled = false
  private readonly transaction
  private readonly savepoint

  constructor(private readonly db: SqliteDatabase) {
    this.transaction = db.transaction((jobs: Job[]) => jobs.map((job) => this.attempt(job)))
    // Called inside the transaction above, a better-sqlite3 transaction function is a savepoint.
    this.savepoint = db.transaction((work: () => unknown) => work())
  }

  /** Runs `work` in the next group's transaction; resolves with its result once that transaction committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject })
      if (!this.scheduled) this.schedule()
    })
  }

  private schedule(): void {
    this.scheduled = true
    // setImmediate runs after the I/O callbacks of this loop turn: every request read in it has submitted its write.
    setImmediate(() => this.flush())
  }

  private flush(): void {
    this.scheduled = false
    const jobs = this.pending.splice(0, MAX_BATCH)
    if (this.pending.length > 0) this.schedule()
    let outcomes: Outcome[]
    try {
      outcomes = this.transaction.immediate(jobs)
    } catch (error) {
      // Nothing of the group was committed (the lock, the disk or the commit failed): every caller hears it.
      for (const job of jobs) job.reject(error)
      return
    }
    outcomes.forEach((outcome, index) => (outcome.ok ? jobs[index]!.resolve(outcome.value) : jobs[index]!.reject(outcome.error)))
  }

  private attempt(job: Job): Outcome {
    try {
      return { ok: true, value: this.savepoint(job.work) }
    } catch (error) {
      // SQLite rolled the whole transaction back (a full disk, an I/O error): the group fails as one.
      if (!this.db.inTransaction) throw error
      return { ok: false, error }
    }
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }
