import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildStallDataset, runStallCorpus, STALL_LIMIT_MS } from '../test/stall/corpus.js'

/**
 * The stall row (issue 15): the stall test's corpus against the real server on the synthetic
 * dataset, printing what each request held the event loop for and what the /healthz probe saw.
 * `tsx bench/stall.ts [synthetic.db]`: an existing synthetic database is copied instead of built.
 */
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
  process.exitCode = figures.loopMaxMs > STALL_LIMIT_MS || probe.p99Ms >= STALL_LIMIT_MS ? 1 : 0
} finally {
  rmSync(dir, { recursive: true, force: true })
}
