import type { FastifyInstance, FastifySchemaValidationError } from 'fastify'
import { Ajv, type Options, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { TSchema } from 'typebox'
import type { ValidationIssueBody } from './problem.js'

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

const sharedOptions: Options = {
  allErrors: true,
  removeAdditional: false,
  useDefaults: true,
  strict: false,
  // "1e400" is Infinity and NaN is no number: neither reaches a handler.
  strictNumbers: true,
}

/**
 * Query strings, paths and headers arrive as text, so they are coerced to the schema's types; JSON
 * bodies are not, so that `"name": 123` is a type error rather than the string "123".
 */
export function useValidators(app: FastifyInstance, sharedSchemas: TSchema[]): void {
  const textAjv = addFormats(new Ajv({ ...sharedOptions, coerceTypes: 'array' }))
  const bodyAjv = addFormats(new Ajv({ ...sharedOptions, coerceTypes: false }))
  for (const schema of sharedSchemas) {
    textAjv.addSchema(schema)
    bodyAjv.addSchema(schema)
  }
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv.compile(schema) : finiteOnly(textAjv.compile(schema))))
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
export function validationIssues(errors: FastifySchemaValidationError[], context: string): ValidationIssueBody[] {
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
