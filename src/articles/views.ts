import Type, { type Static, type TSchema } from 'typebox'
import { ArticleEntry } from '../content/schemas.js'
import { entityTag } from '../http/conditional.js'
import { invalidParameter } from '../http/problem.js'
import { PageMeta, pageQuery } from '../http/pagination.js'
import { ref, SlugParam, StringEnum } from '../http/schema.js'
import type { ArticleFilter } from './repository.js'
import { renderBody, type BodyFormat } from './render.js'
import { Article, ArticleSummary, type Article as ArticleBody } from './schemas.js'

/**
 * The shapes articles are read in. `include` adds the body and lists to list items, `format` adds a
 * rendered body to a single article: those properties are optional, every other one is always there.
 * `fields` (sparse fieldsets) may leave out any property, so its answers are another media type,
 * `application/vnd.spa.sparse+json`, with schemas of their own (`…Fields`, every property optional):
 * the `application/json` types that clients generate stay exact.
 */
export const SPARSE_JSON = 'application/vnd.spa.sparse+json'

const EXTRAS = {
  sections: Type.Optional({ ...Article.properties.sections, description: 'With `include=sections`.' }),
  techniques: Type.Optional(Type.Array(ref(ArticleEntry), { description: 'With `include=techniques`.' })),
  benefits: Type.Optional(Type.Array(ref(ArticleEntry), { description: 'With `include=benefits`.' })),
}
const RENDERED = {
  html: Type.Optional(Type.String({ description: 'With `format=html`: the body as HTML (`h2`, `p`, `ol`), escaped and safe to insert into a page.' })),
  markdown: Type.Optional(Type.String({ description: 'With `format=markdown`: the body as Markdown (`##` headings, `1.` lists).' })),
  text: Type.Optional(Type.String({ description: 'With `format=text`: the body as plain text.' })),
}

export const ArticleListItem = Type.Object(
  { ...ArticleSummary.properties, ...EXTRAS },
  { $id: 'ArticleListItem', additionalProperties: false, description: 'An article as listed: its summary fields, plus what `include` adds.' },
)

export const ArticleListItemFields = Type.Partial(Type.Object({ ...ArticleSummary.properties, ...EXTRAS }), {
  $id: 'ArticleListItemFields',
  additionalProperties: false,
  description: 'An article as listed with `fields`: only the properties it names.',
})

export const ArticleView = Type.Object(
  { ...Article.properties, ...RENDERED },
  { $id: 'ArticleView', additionalProperties: false, description: 'An article with its body as blocks, plus a rendered body with `format`.' },
)

export const ArticleViewFields = Type.Partial(Type.Object({ ...Article.properties, ...RENDERED }), {
  $id: 'ArticleViewFields',
  additionalProperties: false,
  description: 'An article read with `fields`: only the properties it names.',
})

/**
 * A 200 answer in two media types: `application/json` (without `fields`) and the sparse one (with it).
 * `headers` go beside both.
 */
/** A page of `item`s, as the body of a list answer. */
export const PageOf = <T extends TSchema>(item: T) => Type.Object({ data: Type.Array(item), meta: ref(PageMeta) }, { additionalProperties: false })

export function withSparseFieldsets<F extends TSchema, S extends TSchema>(full: F, sparse: S, description: string, headers: Record<string, unknown> = {}) {
  return {
    description: `${description} With \`fields\`, only the properties it names, as \`${SPARSE_JSON}\`.`,
    headers,
    content: { 'application/json': { schema: full }, [SPARSE_JSON]: { schema: sparse } },
  }
}

const SUMMARY_FIELDS = Object.keys(ArticleSummary.properties)
const INCLUDABLE = Object.keys(EXTRAS) as (keyof typeof EXTRAS)[]
const FORMATS = ['blocks', 'html', 'markdown', 'text'] as const

const FieldList = (description: string) => Type.String({ minLength: 1, maxLength: 500, description })

/** A date (midnight UTC) or a date-time. */
const Instant = (description: string) => Type.Union([Type.String({ format: 'date' }), Type.String({ format: 'date-time' })], { description })

export const ArticleListQuery = Type.Object(
  {
    ...pageQuery,
    sort: Type.Optional(StringEnum(['publishedAt', '-publishedAt', 'title', '-title'], { default: '-publishedAt', description: 'The order; `-` is descending. Ties go by id.' })),
    technique: Type.Optional({ ...SlugParam, description: 'Only articles that list this technique.' }),
    benefit: Type.Optional({ ...SlugParam, description: 'Only articles that list this benefit.' }),
    publishedAfter: Type.Optional(Instant('Only articles published after this time (a date means its midnight UTC).')),
    publishedBefore: Type.Optional(Instant('Only articles published before this time (a date means its midnight UTC).')),
    include: Type.Optional(FieldList(`Comma-separated: ${INCLUDABLE.join(', ')}. Lists are lean without it.`)),
    fields: Type.Optional(FieldList(`Comma-separated properties to return, of: ${SUMMARY_FIELDS.join(', ')} and the included ones.`)),
  },
  { additionalProperties: false },
)

export const ArticleQuery = Type.Object(
  {
    format: Type.Optional(StringEnum([...FORMATS], { default: 'blocks', description: '`blocks` is the structured body; the others add a rendered `html`, `markdown` or `text` property.' })),
    fields: Type.Optional(FieldList(`Comma-separated properties to return, of: ${Object.keys(Article.properties).join(', ')} and the rendered one.`)),
  },
  { additionalProperties: false },
)

export type ArticleListQuery = Static<typeof ArticleListQuery>
export type ArticleListItem = Static<typeof ArticleListItem>
export type ArticleView = Static<typeof ArticleView>
export type ArticleViewFields = Static<typeof ArticleViewFields>

/** The names in a comma list, each one known; an unknown one is a 400 naming it. */
function names(list: string | undefined, parameter: string, known: readonly string[]): string[] | undefined {
  if (list === undefined) return undefined
  const given = [...new Set(list.split(',').map((name) => name.trim()))]
  const unknown = given.filter((name) => !known.includes(name))
  if (unknown.length > 0) throw invalidParameter('query', parameter, `has unknown names: ${unknown.join(', ')}; known: ${known.join(', ')}`)
  return given
}

function pick<T extends object>(value: T, fields: string[] | undefined): Partial<T> {
  if (!fields) return value
  return Object.fromEntries(Object.entries(value).filter(([name]) => fields.includes(name))) as Partial<T>
}

/** A date as midnight UTC; every time in the canonical form the database compares as text. */
function canonicalInstant(value: string | undefined, parameter: string): string | undefined {
  if (value === undefined) return undefined
  const time = new Date(value.length === 10 ? `${value}T00:00:00Z` : value)
  // The date-time format lets through times JavaScript has no Date for, such as a leap second.
  if (Number.isNaN(time.getTime())) throw invalidParameter('query', parameter, 'is not a date and time that exists')
  return time.toISOString()
}

/** How a list request reads: its filter, what it includes and which fields it keeps. */
export function listView(query: ArticleListQuery) {
  const include = names(query.include, 'include', INCLUDABLE) ?? []
  const fields = names(query.fields, 'fields', [...SUMMARY_FIELDS, ...include])
  const filter: ArticleFilter = {
    sort: query.sort ?? '-publishedAt',
    technique: query.technique,
    benefit: query.benefit,
    publishedAfter: canonicalInstant(query.publishedAfter, 'publishedAfter'),
    publishedBefore: canonicalInstant(query.publishedBefore, 'publishedBefore'),
  }
  return { filter, include, pickFields: <T extends object>(item: T) => pick(item, fields) }
}

/** The article as `format` and `fields` ask for it. */
export function articleView(article: ArticleBody, query: Static<typeof ArticleQuery>): ArticleView | ArticleViewFields {
  const format = query.format ?? 'blocks'
  const rendered = format === 'blocks' ? {} : { [format]: renderBody(article.sections, format as BodyFormat) }
  const fields = names(query.fields, 'fields', [...Object.keys(Article.properties), ...Object.keys(rendered)])
  return pick({ ...article, ...rendered }, fields)
}

/**
 * The ETag of a read of the article: the article's own tag (the one its writes answer with) for the
 * plain view, and for a view narrowed by `format` or `fields` that tag's opaque part followed by a
 * digest of the view. Every tag of the article so begins with the article's own, and `If-Match` takes
 * any of them while the article is unchanged.
 */
export function articleViewTag(article: ArticleBody, view: ArticleView | ArticleViewFields, query: Static<typeof ArticleQuery>): string {
  const own = entityTag(article)
  const plain = (query.format ?? 'blocks') === 'blocks' && query.fields === undefined
  return plain ? own : `${own.slice(0, -1)}.${entityTag(view).slice(1)}`
}

export const viewComponents = [ArticleListItem, ArticleListItemFields, ArticleView, ArticleViewFields]
