import type { SqliteDatabase } from './database.js'
import type { DataGeneration } from './store.js'

/**
 * The generation of the public data on SQLite, read in microseconds so that every request can ask.
 * Three things move it:
 * - a commit on this connection (SQLite's `total_changes()`, a counter in memory);
 * - a commit by any other connection or process on the same file (`PRAGMA data_version`). That
 *   pragma takes a lock on the file and costs several microseconds, so it is read once per turn of
 *   the event loop: every request handled in one turn was received before that turn read it, so
 *   none of them was sent after a commit that the read missed;
 * - the clock reaching the next scheduled publication: an article becomes public when its
 *   `published_at` passes, with no write at all.
 */
export class SqliteDataGeneration implements DataGeneration {
  private generation = 0
  private changes = -1
  private version = -1
  private nextPublication = -Infinity
  private versionRead = false
  private readonly totalChanges
  private readonly dataVersion
  private readonly publicationAfter
  private readonly newTurn = () => {
    this.versionRead = false
  }

  constructor(
    db: SqliteDatabase,
    private readonly now: () => Date,
  ) {
    this.totalChanges = db.prepare<[], number>('SELECT total_changes()').pluck()
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck()
    this.publicationAfter = db.prepare<[string], string | null>("SELECT min(published_at) FROM articles WHERE status = 'published' AND published_at > ?").pluck()
  }

  current(): number {
    const changes = this.totalChanges.get()!
    let moved = changes !== this.changes
    if (!this.versionRead) {
      this.versionRead = true
      setImmediate(this.newTurn)
      const version = this.dataVersion.get()!
      moved ||= version !== this.version
      this.version = version
    }
    const now = this.now()
    if (!moved && now.getTime() < this.nextPublication) return this.generation
    this.changes = changes
    const next = this.publicationAfter.get(now.toISOString())
    this.nextPublication = next ? Date.parse(next) : Infinity
    return ++this.generation
  }
}
