import { join } from 'node:path'
import t from 'tap'
import { ON_POSTGRES } from '../helpers/store.js'
import { buildStallDataset, runStallCorpus, STALL_ARTICLES, STALL_COMMENTS, STALL_LIMIT_MS } from './corpus.js'

// Building 20,000 articles and 200,000 comments takes about a minute of CPU (3 minutes on a busy
// 2-core machine); the corpus itself a minute or two once no request stalls.
t.setTimeout(30 * 60_000)

// Measured with seed:synthetic on a shared 2-core machine (load average 15): 2,000 articles and 20,000 comments took
// 128 s on PostgreSQL against 37 s on SQLite (one round trip per statement of each article's save): the 20,000-article
// dataset would take over 20 minutes to build on PostgreSQL, beyond what npm test can spend on it.
const STALL_SKIP = ON_POSTGRES ? 'builds its 20,000-article dataset in SQLite only: on PostgreSQL the build alone takes over 20 minutes (see above)' : false

t.test('issue 15, the stall test: no request holds the event loop over 100 ms, and /healthz p99 stays under 100 ms', { skip: STALL_SKIP }, async (t) => {
  const dir = t.testdir({})
  const databasePath = join(dir, 'stall.db')
  const seconds = await buildStallDataset(databasePath)
  t.comment(`synthetic dataset (${STALL_ARTICLES} articles, ${STALL_COMMENTS} comments) built in ${seconds.toFixed(1)} s`)

  const figures = await runStallCorpus(databasePath, dir, (line) => t.comment(line))
  t.comment(`a quiet second before the corpus held the loop up to ${figures.quietLoopMaxMs.toFixed(0)} ms (the machine's own noise)`)
  t.comment(`/healthz probe: ${figures.probe.count} answers, p50 ${figures.probe.p50Ms.toFixed(0)} ms, p99 ${figures.probe.p99Ms.toFixed(0)} ms, max ${figures.probe.maxMs.toFixed(0)} ms`)

  for (const request of figures.requests) {
    t.ok(request.status > 0 && request.status < 500, `${request.name}: answered ${request.status}, no server error`)
    t.ok(request.loopMaxMs <= STALL_LIMIT_MS, `${request.name}: held the event loop ${request.loopMaxMs.toFixed(0)} ms (at most ${STALL_LIMIT_MS})`)
  }
  t.equal(figures.probe.failed, 0, 'every /healthz probe answered 200')
  t.ok(figures.probe.count > 0 && figures.probe.p99Ms < STALL_LIMIT_MS, `/healthz p99 ${figures.probe.p99Ms.toFixed(0)} ms (under ${STALL_LIMIT_MS})`)
})
