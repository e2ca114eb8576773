import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Validator } from '@seriousme/openapi-schema-validator'
import t from 'tap'
import { parse } from 'yaml'

const run = promisify(execFile)
const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url))
const DOCUMENT = join(PROJECT_DIR, 'openapi.yaml')
const RULESET = join(PROJECT_DIR, '.spectral.yaml')
const SPECTRAL = join(PROJECT_DIR, 'node_modules', '.bin', 'spectral')

interface SpectralResult {
  code: string
  message: string
  severity: number
  path: string[]
  range: { start: { line: number } }
}

t.test('the ruleset is Spectral\'s OpenAPI ruleset, with no rule turned off', async (t) => {
  const ruleset = parse(readFileSync(RULESET, 'utf8')) as { extends: unknown; rules?: Record<string, unknown> }
  t.same(ruleset.extends, ['spectral:oas'])
  t.same(Object.entries(ruleset.rules ?? {}).filter(([, rule]) => rule === 'off' || rule === false), [], 'no rule is off')
})

t.test('openapi.yaml has no Spectral result at all: no error, warning, info or hint', async (t) => {
  // --fail-severity=hint: exit code 1 on any result; the JSON lists them.
  const { stdout, code } = await run(SPECTRAL, ['lint', DOCUMENT, '--ruleset', RULESET, '--format', 'json', '--fail-severity', 'hint', '--quiet'], { cwd: PROJECT_DIR }).then(
    ({ stdout }) => ({ stdout, code: 0 }),
    (error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }),
  )
  const results = JSON.parse(stdout.trim() || '[]') as SpectralResult[]
  t.same(
    results.map((result) => `${result.range.start.line + 1}: ${result.code} ${result.message} (${result.path.join('.')})`),
    [],
    'spectral lint openapi.yaml',
  )
  t.equal(code, 0, 'spectral exits 0')
})

t.test('openapi.yaml is a valid OpenAPI 3.1 document for an independent validator', async (t) => {
  const validator = new Validator()
  const result = await validator.validate(DOCUMENT)
  t.same(result.errors ?? [], [], '@seriousme/openapi-schema-validator finds no error')
  t.equal(result.valid, true)
  t.equal(validator.version, '3.1')
})

const REDOCLY = join(PROJECT_DIR, 'node_modules', '.bin', 'redocly')
const REDOCLY_CONFIG = join(PROJECT_DIR, 'redocly.yaml')

interface RedoclyReport {
  totals: { errors: number; warnings: number; ignored: number }
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[]
}

t.test('the Redocly configuration is the recommended ruleset, with no rule turned off', async (t) => {
  const config = parse(readFileSync(REDOCLY_CONFIG, 'utf8')) as { extends: unknown; rules?: Record<string, unknown> }
  t.same(config.extends, ['recommended'])
  t.same(Object.entries(config.rules ?? {}).filter(([, rule]) => rule === 'off'), [], 'no rule is off')
})

t.test('openapi.yaml has no Redocly problem: no error, no warning, nothing ignored', async (t) => {
  const { stdout, code } = await run(REDOCLY, ['lint', DOCUMENT, '--config', REDOCLY_CONFIG, '--format', 'json'], { cwd: PROJECT_DIR }).then(
    ({ stdout }) => ({ stdout, code: 0 }),
    (error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }),
  )
  const report = JSON.parse(stdout) as RedoclyReport
  t.same(
    report.problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} (${problem.location.map((where) => where.pointer).join(', ')})`),
    [],
    'redocly lint openapi.yaml',
  )
  t.same(report.totals, { errors: 0, warnings: 0, ignored: 0 })
  t.equal(code, 0, 'redocly exits 0')
})
