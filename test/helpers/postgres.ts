import pg from 'pg'
import type { Test } from 'tap'
import { PostgresStore } from '../../src/db/postgres.js'
import type { Store } from '../../src/db/store.js'

/**
 * For tests of what several processes on one PostgreSQL database see (TEST_STORE=postgres): another
 * node's store, and the server side of the app's listening connection.
 */

/** A store of its own on the same database: another process or node, as far as the app can tell. Closed after the test. */
export function otherNode(t: Test, url: string): Store {
  const other = new PostgresStore({ url, poolSize: 1, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000 })
  t.teardown(() => other.close())
  return other
}

/** The database's name in a DATABASE_URL. */
export const databaseOf = (url: string): string => decodeURIComponent(new URL(url).pathname.slice(1))

/**
 * A superuser's connection to TEST_POSTGRES_URL's own database (not the app's, which the test alters),
 * closed after the test.
 */
export async function serverAdmin(t: Test): Promise<pg.Client> {
  const admin = new pg.Client({ connectionString: process.env.TEST_POSTGRES_URL })
  await admin.connect()
  t.teardown(() => admin.end())
  return admin
}

/** Ends the listening connections on `database` from the server side, as a restart or a failover would; how many ended. */
export async function terminateListeners(admin: pg.Client, database: string): Promise<number> {
  const ended = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query = 'LISTEN spa_data_changed'", [database])
  return ended.rowCount ?? 0
}

/**
 * Refuses new connections to `database` (those open stay open) until the returned function is called
 * or the test ends: a listener that was ended cannot come back meanwhile.
 */
export async function refuseConnections(t: Test, admin: pg.Client, database: string): Promise<() => Promise<void>> {
  let refused = true
  const allow = async () => {
    if (!refused) return
    refused = false
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`)
  }
  await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`)
  // The test's database is dropped after it in any case; this only matters to a test that goes on.
  t.teardown(() => allow().catch(() => {}))
  return allow
}
