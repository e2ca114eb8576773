import Database from 'better-sqlite3'
import pg from 'pg'
import { migrationStatus, readMigrations, MIGRATIONS_DIR } from './migrate.js'
import { migratePostgres } from './postgres-migrate.js'
import { DATA_CHANGED_CHANNEL } from './postgres.js'

/** What the target's migrations write themselves: the ledger, and settings that the source's values replace. */
const MIGRATION_TABLES = new Set(['schema_migrations', 'settings'])
/** PostgreSQL takes at most 65,535 parameters in one statement. */
const MAX_PARAMETERS = 60_000
const MAX_BATCH_ROWS = 1000

export interface TableCount {
  table: string
  source: number
  target: number
}

export interface CopyResult {
  counts: TableCount[]
  /** The source's tables that PostgreSQL has no table for (SQLite's full-text index and its shadows: PostgreSQL derives its own). */
  skipped: string[]
}

/** The copy did not happen (a non-empty target, a source that is not up to date, counts that differ): nothing was written. */
export class CopyError extends Error {
  override name = 'CopyError'
}

interface TargetTable {
  name: string
  /** The columns to copy: all but generated ones (PostgreSQL computes those). */
  columns: string[]
  /** Identity columns, moved past the copied maximum afterwards. */
  identities: string[]
}

/**
 * Copies a SQLite database into a PostgreSQL database: migrates the target, refuses one that holds
 * any data, then copies every table PostgreSQL has, parents before children, in batches, all inside
 * one transaction that ends with the row counts of both sides compared (a difference rolls it back).
 *
 * Every table is copied as it is, the derived ones too (revisions, the change feed, the catalog, the
 * webhook outbox), with the target's triggers off (`session_replication_role = replica`, which needs
 * a superuser or the right to set it): the triggers would otherwise add to what is copied (a
 * revision per copied article, a change per copied row) and renumber what clients already hold
 * (change sequence numbers, revision numbers, comment ids in URLs). The source's settings (the
 * cursor secret, ...) replace the target's, so that cursors clients hold stay valid. Identities then
 * continue after the largest copied id.
 */
export async function copySqliteToPostgres(sourcePath: string, targetUrl: string): Promise<CopyResult> {
  const source = new Database(sourcePath, { readonly: true, fileMustExist: true })
  try {
    const status = migrationStatus(source, readMigrations(MIGRATIONS_DIR))
    if (status.conflicts.length > 0 || status.pending.length > 0) {
      throw new CopyError(`the source is not at this code's schema (${[...status.conflicts, `${status.pending.length} migration(s) pending`].join('; ')}); run \`npm run migrate\` on it with this code first`)
    }
    await migratePostgres(targetUrl)
    const target = new pg.Client({ connectionString: targetUrl, application_name: 'spa-content-api db:copy' })
    await target.connect()
    try {
      // A read transaction: the source is read as of one moment even while a server writes to it.
      source.exec('BEGIN')
      await target.query('BEGIN ISOLATION LEVEL SERIALIZABLE')
      try {
        const result = await copyTables(source, target)
        await target.query('COMMIT')
        return result
      } catch (error) {
        await target.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        source.exec('COMMIT')
      }
    } finally {
      await target.end()
    }
  } finally {
    source.close()
  }
}

async function copyTables(source: Database.Database, target: pg.Client): Promise<CopyResult> {
  const tables = await targetTables(target)
  const sourceTables = new Set(source.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").pluck().all())
  const missing = tables.filter((table) => !sourceTables.has(table.name)).map((table) => table.name)
  if (missing.length > 0) throw new CopyError(`the source has no table ${missing.join(', ')}`)
  const filled: string[] = []
  for (const table of tables) {
    if (MIGRATION_TABLES.has(table.name)) continue
    if ((await target.query(`SELECT 1 FROM ${table.name} LIMIT 1`)).rowCount) filled.push(table.name)
  }
  if (filled.length > 0) throw new CopyError(`the target is not empty (${filled.join(', ')} hold rows); copy into a new database`)

  // Triggers off for this transaction only; the foreign keys' checks are triggers too, and the source already kept them.
  await target.query('SET LOCAL session_replication_role = replica')
  const counts: TableCount[] = []
  for (const table of tables) {
    if (table.name === 'schema_migrations') continue
    const copied = await copyTable(source, target, table)
    for (const column of table.identities) {
      await target.query(`SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max(${column}) FROM ${table.name}), 0) + 1, false)`, [table.name, column])
    }
    const { rows } = await target.query<{ n: string }>(`SELECT count(*) AS n FROM ${table.name}`)
    counts.push({ table: table.name, source: copied, target: Number(rows[0]!.n) })
  }
  const differ = counts.filter((count) => count.source !== count.target)
  if (differ.length > 0) {
    throw new CopyError(`row counts differ, nothing was copied: ${differ.map((count) => `${count.table} ${count.source} in the source, ${count.target} in the target`).join('; ')}`)
  }
  // Servers already running on the (empty) target drop what they prepared when this commits.
  await target.query('SELECT pg_notify($1, $2)', [DATA_CHANGED_CHANNEL, 'db:copy'])
  return { counts, skipped: [...sourceTables].filter((name) => !tables.some((table) => table.name === name)).sort() }
}

/** Copies one table's rows in batches; returns how many the source has. */
async function copyTable(source: Database.Database, target: pg.Client, table: TargetTable): Promise<number> {
  const quoted = table.columns.map((column) => `"${column}"`)
  const batchRows = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMETERS / table.columns.length)))
  // The migrations wrote their own settings; the source's replace them.
  const onConflict = table.name === 'settings' ? ' ON CONFLICT (name) DO UPDATE SET value = excluded.value' : ''
  const insert = async (rows: unknown[][]) => {
    const values = rows.map((_row, r) => `(${table.columns.map((_column, c) => `$${r * table.columns.length + c + 1}`).join(', ')})`)
    await target.query(`INSERT INTO ${table.name} (${quoted.join(', ')}) VALUES ${values.join(', ')}${onConflict}`, rows.flat())
  }
  let count = 0
  let batch: unknown[][] = []
  for (const row of source.prepare(`SELECT ${quoted.join(', ')} FROM "${table.name}"`).raw().iterate() as IterableIterator<unknown[]>) {
    batch.push(row)
    count++
    if (batch.length === batchRows) {
      await insert(batch)
      batch = []
    }
  }
  if (batch.length > 0) await insert(batch)
  return count
}

/** The target's tables, each after the tables it refers to. */
async function targetTables(target: pg.Client): Promise<TargetTable[]> {
  const { rows: columns } = await target.query<{ table_name: string; column_name: string; is_generated: string; is_identity: string }>(
    `SELECT table_name, column_name, is_generated, is_identity FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')
      ORDER BY table_name, ordinal_position`,
  )
  const { rows: references } = await target.query<{ child: string; parent: string }>(
    `SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent FROM pg_constraint c
      WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace AND c.conrelid <> c.confrelid`,
  )
  const tables = new Map<string, TargetTable>()
  for (const column of columns) {
    const table = tables.get(column.table_name) ?? { name: column.table_name, columns: [], identities: [] }
    tables.set(column.table_name, table)
    if (column.is_generated === 'NEVER') table.columns.push(column.column_name)
    if (column.is_identity === 'YES') table.identities.push(column.column_name)
  }
  const ordered: TargetTable[] = []
  const placed = new Set<string>()
  const place = (name: string, path: string[]) => {
    if (placed.has(name)) return
    if (path.includes(name)) throw new CopyError(`the tables refer to each other in a circle: ${[...path, name].join(' -> ')}`)
    for (const reference of references) if (reference.child === name) place(reference.parent, [...path, name])
    placed.add(name)
    ordered.push(tables.get(name)!)
  }
  for (const name of [...tables.keys()].sort()) place(name, [])
  return ordered
}
