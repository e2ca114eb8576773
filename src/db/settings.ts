import type { Queries } from './store.js'

/** A value the migrations stored in `settings` (secrets made once per database, shared by every node). */
export async function readSetting(store: Queries, name: string): Promise<string> {
  const row = await store.get<{ value: string }>('SELECT value FROM settings WHERE name = ?', [name])
  if (!row) throw new Error(`the database has no setting "${name}"; run the migrations`)
  return row.value
}
