import Type, { type Static, type TSchema, type TUnsafe } from 'typebox'

/**
 * A reference to a named component schema. Named schemas are registered once with `addSchema`, so the
 * serializer compiles them once and the OpenAPI document lists them under `components.schemas`, while
 * TypeScript still sees the referenced type.
 */
export function ref<T extends TSchema>(schema: T, options: { description?: string } = {}): TUnsafe<Static<T>> {
  const id = (schema as { $id?: string }).$id
  if (!id) throw new Error('ref() needs a schema with an $id')
  return Type.Unsafe<Static<T>>(Type.Ref(id, options))
}

/** JSON Schema 2020-12 / OpenAPI 3.1 style nullable: `type: [T, "null"]`. */
export function Nullable<T extends TSchema & { type: string }>(schema: T): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] })
}

export const SlugParam = Type.String({
  pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$',
  minLength: 1,
  maxLength: 120,
  description: 'URL-safe identifier derived from a name or title.',
  examples: ['lower-back-pain-deep-tissue-massage'],
})

/** A row id; bounded so that no id outside JavaScript's safe integers reaches SQL. */
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'A numeric id, as given in the `id` of the resource.', examples: [1] })

export const SlugParams = Type.Object({ slug: SlugParam }, { additionalProperties: false })

export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-11-23T19:46:00.000Z'] })

/** An enum of strings that says it is one (`type: string`): generators and linters read the type, not only the values. */
export function StringEnum<const T extends string[]>(values: [...T], options: { description?: string; default?: T[number] } = {}) {
  return Type.Enum(values, { ...options, type: 'string' })
}
