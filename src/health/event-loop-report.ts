import { monitorEventLoopDelay } from 'node:perf_hooks'
import { renameSync, writeFileSync } from 'node:fs'

/** What the event loop went through since the last report; milliseconds. */
export interface EventLoopReport {
  /** The longest the loop was held: no timer, no request, no probe ran for this long. */
  maxMs: number
  p99Ms: number
  meanMs: number
  samples: number
}

const NS_PER_MS = 1e6

/**
 * For the stall test and the stall benchmark only, never a public route: with
 * `EVENT_LOOP_REPORT_PATH` set, the server measures its event-loop delay and, on each SIGUSR2,
 * writes what it saw since the last one to that file (whole, by rename) and starts over.
 */
export function reportEventLoopDelayTo(path: string): void {
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  histogram.enable()
  process.on('SIGUSR2', () => {
    const report: EventLoopReport = {
      maxMs: histogram.max / NS_PER_MS,
      p99Ms: histogram.percentile(99) / NS_PER_MS,
      meanMs: histogram.count > 0 ? histogram.mean / NS_PER_MS : 0,
      samples: histogram.count,
    }
    histogram.reset()
    writeFileSync(`${path}.partial`, JSON.stringify(report))
    renameSync(`${path}.partial`, path)
  })
}
