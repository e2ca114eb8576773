import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { SQLITE_ONLY } from '../helpers/store.js'
import { TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { acknowledged, commentStream, LOAD_ENV, until, type Outcome } from '../helpers/load.js'
import { findSecrets } from '../helpers/secrets.js'
import { logLines, spawnServer, stop, waitUntilReady, type Server } from '../helpers/server.js'

const KILL_AFTER_ACKNOWLEDGED = 80
const WORKERS = 6
// The stream ends on the first network error; this only bounds it should the kill not happen.
const MAX_POSTS = 5000

/** Log lines of a spawned server with anything shaped like personal data; the listening line names the server's own address. */
function secretsIn(server: Server): string[] {
  const lines = server.stdout().split('\n').filter((line) => !line.includes('Server listening at'))
  return findSecrets(lines.join('\n'), [TEST_ADMIN_TOKEN])
}

// Spawned servers under a shared, loaded machine: more than tap's default 60 s per file.
t.setTimeout(180_000)

t.test('SIGKILL in the middle of a stream of comment posts loses no acknowledged comment and corrupts nothing', { skip: SQLITE_ONLY }, async (t) => {
  const path = join(t.testdir({}), 'content.db')
  const env = { ...LOAD_ENV, ADMIN_TOKEN: TEST_ADMIN_TOKEN }
  const first = await spawnServer(t, path, env)
  await waitUntilReady(first)

  const outcomes: Outcome[] = []
  const stream = commentStream(first.url, 'crash', WORKERS, outcomes, () => outcomes.length >= MAX_POSTS)
  await until(() => acknowledged(outcomes).length >= KILL_AFTER_ACKNOWLEDGED)
  first.child.kill('SIGKILL')
  await stream
  t.match(await first.exited, { signal: 'SIGKILL' }, 'killed')

  const acked = acknowledged(outcomes)
  const lost = outcomes.filter((outcome) => outcome.status === 'network-error')
  const other = outcomes.filter((outcome) => outcome.status !== 201 && outcome.status !== 'network-error')
  t.same(other, [], 'before the kill every answer was a 201')
  t.ok(lost.length >= 1, `${lost.length} requests were cut off by the kill`)

  const second = await spawnServer(t, path, env)
  await waitUntilReady(second)
  const db = new Database(path, { readonly: true, fileMustExist: true })
  t.teardown(() => db.close())
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'integrity_check ok after the crash')
  const stored = new Map((db.prepare("SELECT body, count(*) AS n, min(id) AS id FROM comments WHERE body LIKE 'crash-%' GROUP BY body").all() as { body: string; n: number; id: number }[]).map((row) => [row.body, row]))
  const missing = acked.filter((outcome) => stored.get(outcome.body)?.id !== outcome.id)
  t.same(missing.map((outcome) => outcome.body), [], `each of the ${acked.length} acknowledged comments is stored, under the id it was given`)
  t.same([...stored.values()].filter((row) => row.n > 1), [], 'none is stored twice')
  const committedUnanswered = lost.filter((outcome) => stored.has(outcome.body)).length
  t.ok(stored.size <= acked.length + lost.length, 'nothing was stored that was not sent')
  t.comment(`measured: ${acked.length} acknowledged, ${lost.length} cut off (${committedUnanswered} of those committed before the kill), ${stored.size} stored`)

  const read = await fetch(`${second.url}/v1/articles/lower-back-pain-deep-tissue-massage/comments/${acked[0]!.id}`)
  t.equal(read.status, 200, 'the restarted server serves them')
  await stop(t, second)
  t.ok(logLines(first.stdout()).some((line) => line.msg === 'request completed'), 'the first run logged its requests')
  t.same([...secretsIn(first), ...secretsIn(second)], [], 'no email, token or IP address in either run\'s stdout')
})
