import type { FastifyInstance, FastifySchemaValidationError } from 'fastify'
import { Ajv, type Options, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { TSchema } from 'typebox'
import { compiledOnFirstCall } from './compile-on-first-use.js'
import { validationFailed, type HttpProblem, type ValidationIssueBody } from './problem.js'

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

const sharedOptions: Options = {
  removeAdditional: false,
  useDefaults: true,
  strict: false,
  // "1e400" is Infinity and NaN is no number: neither reaches a handler.
  strictNumbers: true,
  // The schemas are TypeBox code, checked as OpenAPI by the tests; checking them against JSON Schema's
  // meta-schema compiled that meta-schema in each Ajv at every start, a third of the start-up time.
  validateSchema: false,
}

/** How many failing fields a validation problem lists; it says how many more there are. */
export const MAX_LISTED_ISSUES = 20
// A body with up to this many values (keys, items, strings, numbers) is validated again for all its failures.
const MAX_VALUES_FOR_EVERY_FAILURE = 1000

/**
 * Query strings, paths and headers arrive as text, so they are coerced to the schema's types; JSON
 * bodies are not, so that `"name": 123` is a type error rather than the string "123".
 * Text parts are small (Node caps the request head at 16 KiB), so every failing parameter is found.
 * A body may hold half a million wrong items, and finding every failure then held the only thread
 * for minutes: a body's validation stops at its first failure, and only a body of ordinary size is
 * validated again to name every failing field.
 */
export function useValidators(app: FastifyInstance, sharedSchemas: TSchema[]): void {
  const textAjv = addFormats(new Ajv({ ...sharedOptions, allErrors: true, coerceTypes: 'array' }))
  const bodyAjv = addFormats(new Ajv({ ...sharedOptions, allErrors: false, coerceTypes: false }))
  const everyBodyFailureAjv = addFormats(new Ajv({ ...sharedOptions, allErrors: true, coerceTypes: false }))
  for (const schema of sharedSchemas) {
    textAjv.addSchema(schema)
    bodyAjv.addSchema(schema)
    everyBodyFailureAjv.addSchema(schema)
  }
  app.setValidatorCompiler(({ schema, httpPart }) =>
    compiledOnFirstCall(() =>
      httpPart === 'body' ? boundedBodyValidator(bodyAjv.compile(schema), () => everyBodyFailureAjv.compile(schema)) : finiteOnly(textAjv.compile(schema)),
    ),
  )
}

/** Stops at the first failure; names every failure of a body with few values (compiling that validator on first need). */
function boundedBodyValidator(firstFailure: ValidateFunction, compileEveryFailure: () => ValidateFunction): ValidateFunction {
  let everyFailure: ValidateFunction | undefined
  const validate = ((data: unknown) => {
    if (firstFailure(data)) {
      validate.errors = null
      return true
    }
    validate.errors = firstFailure.errors
    if (hasAtMostValues(data, MAX_VALUES_FOR_EVERY_FAILURE)) {
      everyFailure ??= compileEveryFailure()
      everyFailure(data)
      validate.errors = everyFailure.errors
    }
    return false
  }) as ValidateFunction
  return validate
}

/** Whether a parsed JSON value holds at most `limit` values (itself, every item, every property's value); stops counting past it. */
function hasAtMostValues(value: unknown, limit: number): boolean {
  const pending: unknown[] = [value]
  let seen = 0
  while (pending.length > 0) {
    const next = pending.pop()
    seen++
    const children = Array.isArray(next) ? next : typeof next === 'object' && next !== null ? Object.values(next) : []
    if (seen + pending.length + children.length > limit) return false
    pending.push(...children)
  }
  return true
}

/** The validation problem for Ajv's errors: the first MAX_LISTED_ISSUES failing fields, and how many more. */
export function validationProblem(errors: FastifySchemaValidationError[], context: string): HttpProblem {
  const issues = validationIssues(errors, context)
  return validationFailed(issues.slice(0, MAX_LISTED_ISSUES), Math.max(0, issues.length - MAX_LISTED_ISSUES))
}

/**
 * Ajv's coercion turns "1e400" into Infinity and then skips every number keyword (minimum, maximum)
 * for it; text parts are flat objects, so a non-finite coerced value is refused here instead.
 */
function finiteOnly(validate: ValidateFunction): ValidateFunction {
  const guarded = ((data: Record<string, unknown>) => {
    const valid = validate(data)
    guarded.errors = validate.errors
    if (!valid) return false
    const name = Object.keys(data ?? {}).find((key) => typeof data[key] === 'number' && !Number.isFinite(data[key]))
    if (name === undefined) return true
    guarded.errors = [{ instancePath: `/${name}`, schemaPath: '', keyword: 'type', params: {}, message: 'must be a finite number' }]
    return false
  }) as ValidateFunction
  return guarded
}

const PARTS: Record<string, ValidationIssueBody['in']> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' }

/** Names each failing field once, the way the client sent it. */
function validationIssues(errors: FastifySchemaValidationError[], context: string): ValidationIssueBody[] {
  const where = PARTS[context] ?? 'body'
  const issues = new Map<string, ValidationIssueBody>()
  for (const error of errors) {
    const path = error.instancePath.split('/').slice(1).join('/')
    const params = error.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] }
    let name = path
    let detail = error.message ?? 'is invalid'
    if (error.keyword === 'required' && params.missingProperty) {
      name = join(path, params.missingProperty)
      detail = 'is required'
    } else if (error.keyword === 'enum' && params.allowedValues) {
      detail = `must be one of: ${params.allowedValues.map((value) => JSON.stringify(value)).join(', ')}`
    } else if (error.keyword === 'additionalProperties' && params.additionalProperty) {
      name = join(path, params.additionalProperty)
      detail = where === 'body' ? 'is not a field this operation accepts' : 'is not a parameter this operation accepts'
    }
    const issue = { in: where, name: name || where, detail }
    issues.set(`${issue.name}\0${issue.detail}`, issue)
  }
  return [...issues.values()]
}

function join(path: string, name: string): string {
  return path ? `${path}/${name}` : name
}
