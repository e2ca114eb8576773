import Type, { type Static } from 'typebox'
import { invalidParameter } from '../http/problem.js'
import { pageQuery } from '../http/pagination.js'
import { ref, SlugParam } from '../http/schema.js'
import type { ArticleFilter } from './repository.js'
import { renderBody, type BodyFormat } from './render.js'
import { Article, ArticleEntry, ArticleSummary, type Article as ArticleBody } from './schemas.js'

/**
 * The shapes articles are read in. `fields` picks properties (sparse fieldsets), `include` adds the
 * body and lists to list items, `format` adds a rendered body to a single article. Every property is
 * optional in these schemas because `fields` may leave any of them out; without it all are present.
 */
const EXTRAS = {
  sections: { ...Article.properties.sections, description: 'With `include=sections`.' },
  techniques: Type.Array(ref(ArticleEntry), { description: 'With `include=techniques`.' }),
  benefits: Type.Array(ref(ArticleEntry), { description: 'With `include=benefits`.' }),
}
const RENDERED = {
  html: Type.String({ description: 'With `format=html`: the body as HTML (`h2`, `p`, `ol`), escaped and safe to insert into a page.' }),
  markdown: Type.String({ description: 'With `format=markdown`: the body as Markdown (`##` headings, `1.` lists).' }),
  text: Type.String({ description: 'With `format=text`: the body as plain text.' }),
}

export const ArticleListItem = Type.Partial(Type.Object({ ...ArticleSummary.properties, ...EXTRAS }), {
  $id: 'ArticleListItem',
  additionalProperties: false,
  description: 'An article as listed: its summary fields, plus what `include` adds, narrowed by `fields`.',
})

export const ArticleView = Type.Partial(Type.Object({ ...Article.properties, ...RENDERED }), {
  $id: 'ArticleView',
  additionalProperties: false,
  description: 'An article with its body as blocks, plus a rendered body with `format`, narrowed by `fields`.',
})

const SUMMARY_FIELDS = Object.keys(ArticleSummary.properties)
const INCLUDABLE = Object.keys(EXTRAS) as (keyof typeof EXTRAS)[]
const FORMATS = ['blocks', 'html', 'markdown', 'text'] as const

const FieldList = (description: string) => Type.String({ minLength: 1, maxLength: 500, description })

/** A date (midnight UTC) or a date-time. */
const Instant = (description: string) => Type.Union([Type.String({ format: 'date' }), Type.String({ format: 'date-time' })], { description })

export const ArticleListQuery = Type.Object(
  {
    ...pageQuery,
    sort: Type.Optional(Type.Enum(['publishedAt', '-publishedAt', 'title', '-title'], { default: '-publishedAt', description: 'The order; `-` is descending. Ties go by id.' })),
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
    format: Type.Optional(Type.Enum([...FORMATS], { default: 'blocks', description: '`blocks` is the structured body; the others add a rendered `html`, `markdown` or `text` property.' })),
    fields: Type.Optional(FieldList(`Comma-separated properties to return, of: ${Object.keys(Article.properties).join(', ')} and the rendered one.`)),
  },
  { additionalProperties: false },
)

export type ArticleListQuery = Static<typeof ArticleListQuery>
export type ArticleListItem = Static<typeof ArticleListItem>
export type ArticleView = Static<typeof ArticleView>

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
export function articleView(article: ArticleBody, query: Static<typeof ArticleQuery>): ArticleView {
  const format = query.format ?? 'blocks'
  const rendered = format === 'blocks' ? {} : { [format]: renderBody(article.sections, format as BodyFormat) }
  const fields = names(query.fields, 'fields', [...Object.keys(Article.properties), ...Object.keys(rendered)])
  return pick({ ...article, ...rendered }, fields)
}

export const viewComponents = [ArticleListItem, ArticleView]
