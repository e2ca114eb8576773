import { parseArgs } from 'node:util'
import { copySqliteToPostgres } from './copy.js'

const USAGE = 'usage: npm run db:copy -- --from <sqlite file> --to <postgres url>   (into a new, empty PostgreSQL database)'

/** `npm run db:copy`: moves a SQLite database to PostgreSQL; prints the row count of every table on both sides. */
let options: { from?: string; to?: string }
try {
  options = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } }, strict: true, allowPositionals: false }).values
} catch (error) {
  options = {}
  console.error((error as Error).message)
}
if (!options.from || !options.to || !/^postgres(ql)?:\/\//.test(options.to)) {
  console.error(USAGE)
  process.exitCode = 2
} else {
  try {
    const { counts, skipped } = await copySqliteToPostgres(options.from, options.to)
    const width = Math.max(...counts.map((count) => count.table.length))
    for (const count of counts) console.log(`${count.table.padEnd(width)}  ${String(count.source).padStart(9)} -> ${String(count.target).padStart(9)}`)
    if (skipped.length > 0) console.log(`not copied (SQLite's own, PostgreSQL derives its own): ${skipped.join(', ')}`)
    console.log(`copied ${counts.reduce((sum, count) => sum + count.target, 0)} rows in ${counts.length} tables; the counts match`)
  } catch (error) {
    // One transaction: whatever failed, the target holds none of the rows (its migrations may have been applied).
    console.error(`db:copy failed, nothing was copied: ${(error as Error).message}`)
    process.exitCode = 1
  }
}
