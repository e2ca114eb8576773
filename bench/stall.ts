import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildStallDataset, runStallCorpus, STALL_LIMIT_MS, type StallFigures } from '../test/stall/corpus.js'
import type { ExtraRow } from './results.js'

/**
 * The stall row (issue 15): the stall test's corpus against the real server on the synthetic dataset.
 * `npm run bench` reports its two rows; `tsx bench/stall.ts [synthetic.db]` prints what each request held
 * the event loop for and what the /healthz probe saw (an existing synthetic database is copied, not built).
 */
export async function stallRows({ scratchDir }: { scratchDir: string }): Promise<ExtraRow[]> {
  const databasePath = join(scratchDir, 'stall.db')
  await buildStallDataset(databasePath)
  return rowsOf(await runStallCorpus(databasePath, scratchDir))
}

function rowsOf({ requests, probe }: StallFigures): ExtraRow[] {
  const worst = requests.reduce((held, request) => (request.loopMaxMs > held.loopMaxMs ? request : held))
  return [
    {
      target: 'longest event-loop hold by one request of the stall corpus (20,000 articles)',
      goal: `<= ${STALL_LIMIT_MS} ms`,
      measured: `${worst.loopMaxMs.toFixed(0)} ms (${worst.name})`,
      met: worst.loopMaxMs <= STALL_LIMIT_MS ? 'yes' : 'no',
    },
    {
      target: '/healthz p99 while the stall corpus runs',
      goal: `< ${STALL_LIMIT_MS} ms`,
      measured: `${probe.p99Ms.toFixed(0)} ms (${probe.count} probes, ${probe.failed} failed)`,
      met: probe.p99Ms < STALL_LIMIT_MS && probe.failed === 0 ? 'yes' : 'no',
    },
  ]
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stall-'))
  try {
    const databasePath = join(dir, 'stall.db')
    const given = process.argv[2]
    if (given) copyFileSync(given, databasePath)
    else console.log(`dataset built in ${(await buildStallDataset(databasePath)).toFixed(1)} s`)
    const figures = await runStallCorpus(databasePath, dir, (line) => console.error(line))
    const width = Math.max(...figures.requests.map((r) => r.name.length))
    for (const r of figures.requests) {
      console.log(`${r.name.padEnd(width)}  ${String(r.status).padStart(3)}  ${r.ms.toFixed(0).padStart(7)} ms  loop held ${r.loopMaxMs.toFixed(0).padStart(7)} ms${r.loopMaxMs > STALL_LIMIT_MS ? '  STALL' : ''}`)
    }
    const { probe } = figures
    console.log(`/healthz every 50 ms: ${probe.count} answers (${probe.failed} failed), p50 ${probe.p50Ms.toFixed(0)} ms, p99 ${probe.p99Ms.toFixed(0)} ms, max ${probe.maxMs.toFixed(0)} ms`)
    console.log(`event loop: held up to ${figures.loopMaxMs.toFixed(0)} ms during the corpus, ${figures.quietLoopMaxMs.toFixed(0)} ms in a quiet second before it`)
    process.exitCode = rowsOf(figures).every((row) => row.met === 'yes') ? 0 : 1
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
