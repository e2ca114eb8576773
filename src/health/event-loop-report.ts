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
const RESOLUTION_MS = 5

/**
 * For the stall test and the stall benchmark only, never a public route: with
 * `EVENT_LOOP_REPORT_PATH` set, the server measures its event-loop delay and, on each SIGUSR2,
 * writes what it saw since the last one to that file (whole, by rename) and starts over.
 */
export function reportEventLoopDelayTo(path: string): void {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  histogram.enable()
  // After a long hold the signal may be handled before the histogram's own timer has recorded the
  // delay: the report waits for that timer to have run.
  process.on('SIGUSR2', () => setTimeout(write, 2 * RESOLUTION_MS))
  const write = () => {
    const report: EventLoopReport = {
      maxMs: histogram.max / NS_PER_MS,
      p99Ms: histogram.percentile(99) / NS_PER_MS,
      meanMs: histogram.count > 0 ? histogram.mean / NS_PER_MS : 0,
      samples: histogram.count,
    }
    histogram.reset()
    writeFileSync(`${path}.partial`, JSON.stringify(report))
    renameSync(`${path}.partial`, path)
  }
}
