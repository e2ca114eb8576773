import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifyServerOptions } from 'fastify'

/**
 * Most routes are never called in a process's first seconds, and some never at all: compiling each
 * route's validators and serializers when the app starts was most of the start-up time. Each one is
 * compiled on its first call instead, once, and kept.
 */
export function compiledOnFirstCall<Run extends (data: never) => unknown>(compile: () => Run): Run {
  let run: Run | undefined
  const first = ((data: never) => {
    run ??= compile()
    const result = run(data)
    // Fastify reads a validator's failures from its `errors` property, as Ajv leaves them.
    ;(first as { errors?: unknown }).errors = (run as { errors?: unknown }).errors
    return result
  }) as Run
  return first
}

/** Fastify's own serializer compiler (fast-json-stringify), each serializer built on its first use. */
export const serializersOnFirstUse: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildSerializer: (externalSchemas, options) => {
      const compile = SerializerSelector()(externalSchemas, options)
      return (route) => compiledOnFirstCall(() => compile(route))
    },
  },
}
