import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import pg from 'pg'
import type { Test } from 'tap'
import { LISTENER_APPLICATION_NAME, PostgresStore } from '../../src/db/postgres.js'
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
  const ended = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [database, LISTENER_APPLICATION_NAME])
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

/** How many listening connections the server has on `database`. */
export async function listenersOn(admin: pg.Client, database: string): Promise<number> {
  const listeners = await admin.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [database, LISTENER_APPLICATION_NAME])
  return listeners.rowCount ?? 0
}

export interface FreezingProxy {
  /** DATABASE_URL through the proxy. */
  url: string
  /** Stops forwarding, both ways, on the connection whose server side is the backend with this `client_port`; nothing is closed. */
  freeze(clientPort: number): boolean
}

/**
 * A TCP proxy in front of the PostgreSQL server of `url` that can freeze one connection: its bytes stop
 * flowing but neither end hears of it, as in a network partition. Closed after the test.
 */
export async function freezingProxy(t: Test, url: string): Promise<FreezingProxy> {
  const target = new URL(url)
  const upstreams = new Map<number, { client: Socket; upstream: Socket }>()
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    }
    upstream.on('connect', () => upstreams.set(upstream.localPort!, { client, upstream }))
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  const proxied = new URL(url)
  proxied.hostname = '127.0.0.1'
  proxied.port = String((server.address() as AddressInfo).port)
  return {
    url: proxied.toString(),
    freeze(clientPort) {
      const pair = upstreams.get(clientPort)
      if (!pair) return false
      pair.client.unpipe(pair.upstream)
      pair.upstream.unpipe(pair.client)
      pair.client.pause()
      pair.upstream.pause()
      return true
    },
  }
}

/** The `client_port` of the listening connection on `database` (as the server sees it). */
export async function listenerPort(admin: pg.Client, database: string): Promise<number | undefined> {
  const listener = await admin.query<{ client_port: number }>('SELECT client_port FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [database, LISTENER_APPLICATION_NAME])
  return listener.rows[0]?.client_port
}
