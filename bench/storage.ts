import { join } from 'node:path'
import { openDatabase } from '../src/db/database.js'

export interface StorageCeiling {
  /** Where the file was (the same filesystem as the app's database). */
  directory: string
  rows: { mode: string; rowsPerSecond: number; commitsPerSecond: number }[]
}

/**
 * What the disk allows for writes, without HTTP: comment-sized inserts through a connection opened
 * the app's way (WAL, synchronous=FULL), one row per transaction (what POST /comments does today),
 * then batches of rows per transaction (one fsync each: group commit), and for reference
 * synchronous=NORMAL (no fsync per commit in WAL; not durable across a power cut).
 */
export function storageCeiling(directory: string, seconds: number): StorageCeiling {
  const db = openDatabase(join(directory, 'storage-ceiling.db'))
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)')
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)')
  const body = 'Benchmark comment: the deep pressure technique helped my lower back a lot. '.repeat(3)
  const rows: StorageCeiling['rows'] = []
  const measure = (mode: string, batch: number) => {
    const run = db.transaction((count: number) => {
      for (let i = 0; i < count; i++) insert.run(body)
    })
    let commits = 0
    const end = performance.now() + seconds * 1000
    const start = performance.now()
    while (performance.now() < end) {
      run.immediate(batch)
      commits++
    }
    const elapsed = (performance.now() - start) / 1000
    rows.push({ mode, rowsPerSecond: (commits * batch) / elapsed, commitsPerSecond: commits / elapsed })
  }
  measure('synchronous=FULL, 1 row per transaction (today)', 1)
  measure('synchronous=FULL, 16 rows per transaction', 16)
  measure('synchronous=FULL, 64 rows per transaction', 64)
  db.pragma('synchronous = NORMAL')
  measure('synchronous=NORMAL, 1 row per transaction (not power-safe)', 1)
  db.close()
  return { directory, rows }
}
