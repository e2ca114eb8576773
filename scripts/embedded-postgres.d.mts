// Types of scripts/embedded-postgres.mjs for the TypeScript that imports it (bench/postgres.ts).
export interface StartedPostgres {
  /** The superuser's URL, database `postgres`. */
  url: string
  port: number
  databaseDir: string
  /** The folder the binaries were copied to, when the user postgres could not reach node_modules. */
  binariesCopy: string | undefined
  /** Stops the server and removes its data directory; false when it did not stop within 10 s (removed anyway). */
  stop(): Promise<boolean>
}

export function startPostgres(options?: { name?: string; flags?: string[]; urlVariable?: string }): Promise<StartedPostgres>
export function freePort(): Promise<number>
