import type { OpenAPIV3_2 } from '@fastify/swagger'
import Type, { type TSchema } from 'typebox'
import { Nullable, SlugParam, Timestamp } from '../http/schema.js'

export const ARTICLE_EVENTS = ['article.published', 'article.updated', 'article.unpublished', 'article.deleted'] as const
export const COMMENT_EVENTS = ['comment.created', 'comment.approved', 'comment.deleted'] as const
/** The events an endpoint can listen to. */
export const EVENT_TYPES = [...ARTICLE_EVENTS, ...COMMENT_EVENTS] as const
/** Sent to one endpoint on request, to try it out; no endpoint listens to it otherwise. */
export const TEST_EVENT = 'webhook.test'
export type EventType = (typeof EVENT_TYPES)[number] | typeof TEST_EVENT

const ABOUT: Record<EventType, string> = {
  'article.published': 'An article became public: published now, or a scheduled article whose time came (noticed within seconds by the server\'s scheduler).',
  'article.updated': 'A public article\'s title, slug, body or publication time changed. `previousSlug` is set when the slug changed.',
  'article.unpublished': 'A public article went back to draft, or was rescheduled to a later time.',
  'article.deleted': 'A public article was deleted (its comments with it).',
  'comment.created': 'A reader posted a comment (for moderators: usually `pending`). Never carries the commenter\'s email.',
  'comment.approved': 'A comment was approved (by a moderator, or at once when moderation is automatic) and is now public.',
  'comment.deleted': 'A comment was deleted.',
  'webhook.test': 'Sent on request (`POST /v1/webhooks/endpoints/{id}/test`) to try an endpoint.',
}

/** The stored event, as the triggers of migration 008 write it. */
export interface EventRow {
  id: number
  type: EventType
  article_id: number | null
  article_slug: string | null
  previous_slug: string | null
  comment_id: number | null
  occurred_at: string
}

/** Where an event's links point: the API (`PUBLIC_URL`, else a path) and the website's article page. */
export interface EventLinks {
  publicUrl: string | undefined
  /** A URL with `{slug}`, e.g. `https://spa.example/blog/{slug}`. */
  siteArticleUrl: string | undefined
}

const url = Type.String({ description: 'The resource on the API: absolute when the server has `PUBLIC_URL`, else a path.', examples: ['https://api.spa.example/v1/articles/lower-back-pain-deep-tissue-massage'] })
const siteUrl = Nullable(Type.String({ description: 'The article\'s page on the website (`SITE_ARTICLE_URL`); `null` when the server has no such setting.', examples: ['https://spa.example/blog/lower-back-pain-deep-tissue-massage'] }))

const ArticleEventData = Type.Object(
  {
    articleId: Type.Integer({ minimum: 1, examples: [1] }),
    slug: SlugParam,
    previousSlug: Type.Optional({ ...SlugParam, description: 'The slug before this change, when it changed.' }),
    url,
    siteUrl,
  },
  { additionalProperties: false },
)

const CommentEventData = Type.Object(
  {
    commentId: Type.Integer({ minimum: 1, examples: [1] }),
    articleId: Type.Integer({ minimum: 1, examples: [1] }),
    articleSlug: SlugParam,
    url: { ...url, description: 'The comment on the API (public once approved): absolute when the server has `PUBLIC_URL`, else a path.' },
    siteUrl,
  },
  { additionalProperties: false },
)

const TestEventData = Type.Object({ endpointId: Type.Integer({ minimum: 1, examples: [1] }) }, { additionalProperties: false })

const schemaName = (type: EventType) => `${type.split('.').map((word) => word[0]!.toUpperCase() + word.slice(1)).join('')}Event`
const dataOf = (type: EventType): TSchema => (type === TEST_EVENT ? TestEventData : type.startsWith('article.') ? ArticleEventData : CommentEventData)
const ALL_TYPES: EventType[] = [...EVENT_TYPES, TEST_EVENT]

/** The payload of each event type, as a named schema: `components.schemas` of the OpenAPI document. */
export const eventComponents = ALL_TYPES.map((type) =>
  Type.Object(
    {
      type: Type.Literal(type),
      timestamp: { ...Timestamp, description: 'When the change happened.' },
      data: dataOf(type),
    },
    { $id: schemaName(type), additionalProperties: false, description: ABOUT[type] },
  ),
)

const signatureHeaders = [
  { name: 'webhook-id', description: 'The message id (`msg_…`): the same on every attempt and re-send of the event; use it to drop duplicates.' },
  { name: 'webhook-timestamp', description: 'When this attempt was sent, in seconds since the epoch; refuse one more than 5 minutes off.' },
  { name: 'webhook-signature', description: '`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with the endpoint\'s secret; several, space-separated, while a rotated secret still signs.' },
].map((header) => ({ in: 'header', required: true, schema: { type: 'string' as const }, ...header }))

/**
 * The OpenAPI 3.1 `webhooks` section: one operation per event, the requests this server sends to an
 * endpoint, signed per Standard Webhooks 1.0.
 */
export function webhookDocument(): Record<string, OpenAPIV3_2.PathItemObject> {
  return Object.fromEntries(
    ALL_TYPES.map((type) => [
      type,
      {
        post: {
          operationId: `on${schemaName(type)}`,
          summary: type,
          description: `${ABOUT[type]} Signed per Standard Webhooks 1.0: verify it with a Standard Webhooks library and the endpoint's \`whsec_\` secret. Delivered at least once, in order per endpoint.`,
          tags: ['Webhooks'],
          parameters: signatureHeaders,
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(type)}` }, example: exampleOf(type) } } },
          responses: {
            '2XX': { description: 'Received. Answer within 10 s; anything else is retried on the schedule.' },
            '410': { description: 'Gone: the endpoint is disabled and receives nothing more.' },
          },
        },
      },
    ]),
  )
}

function exampleOf(type: EventType) {
  const links: EventLinks = { publicUrl: 'https://api.spa.example', siteArticleUrl: 'https://spa.example/blog/{slug}' }
  const row: EventRow = {
    id: 1,
    type,
    article_id: 1,
    article_slug: 'lower-back-pain-deep-tissue-massage',
    previous_slug: null,
    comment_id: type.startsWith('comment.') ? 1 : null,
    occurred_at: '2026-01-15T09:00:00.000Z',
  }
  return eventPayload(row, links, 1)
}

/** The JSON body of an event, the same on every attempt. */
export function eventPayload(event: EventRow, links: EventLinks, endpointId: number) {
  const base = links.publicUrl ?? ''
  const slug = event.article_slug ?? ''
  const site = links.siteArticleUrl === undefined ? null : links.siteArticleUrl.replaceAll('{slug}', slug)
  const data =
    event.type === TEST_EVENT
      ? { endpointId }
      : event.type.startsWith('article.')
        ? {
            articleId: event.article_id,
            slug,
            ...(event.previous_slug === null ? {} : { previousSlug: event.previous_slug }),
            url: `${base}/v1/articles/${slug}`,
            siteUrl: site,
          }
        : {
            commentId: event.comment_id,
            articleId: event.article_id,
            articleSlug: slug,
            url: `${base}/v1/articles/${slug}/comments/${event.comment_id}`,
            siteUrl: site,
          }
  return { type: event.type, timestamp: event.occurred_at, data }
}
