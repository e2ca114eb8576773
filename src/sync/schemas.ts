import Type, { type Static } from 'typebox'
import { Article } from '../articles/schemas.js'
import { pageQuery } from '../http/pagination.js'
import { responseHeaders } from '../http/responses.js'
import { Id, Nullable, ref, SlugParam, Timestamp } from '../http/schema.js'

export const SyncQuery = Type.Object(
  {
    token: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description: 'The `meta.nextSyncToken` of your last complete sync, as it was given. Without it, the answer is every public article.',
      }),
    ),
    ...pageQuery,
  },
  { additionalProperties: false },
)

export const SyncedArticle = Type.Object(
  { type: Type.Literal('article'), article: ref(Article) },
  { $id: 'SyncedArticle', additionalProperties: false, description: 'A public article, as `GET /v1/articles/{slug}` answers it: store it, replacing the copy with the same `id`.' },
)

export const Tombstone = Type.Object(
  {
    type: Type.Literal('tombstone'),
    id: Id,
    slug: Type.String({ description: 'Its slug when it was last public.', examples: ['lower-back-pain-deep-tissue-massage'] }),
    removedAt: { ...Timestamp, description: 'When the server recorded the change that removed it.' },
  },
  {
    $id: 'Tombstone',
    additionalProperties: false,
    description:
      'An article that is not public any more (deleted, unpublished, or moved to a future time), named only if it was public at the time of your token or since: drop the copy with this `id`. Ignore one whose `id` you do not have (it was public only between two of your syncs).',
  },
)

export const SyncChange = Type.Union([ref(SyncedArticle), ref(Tombstone)], {
  $id: 'SyncChange',
  discriminator: { propertyName: 'type', mapping: { article: '#/components/schemas/SyncedArticle', tombstone: '#/components/schemas/Tombstone' } },
})

export const SyncMeta = Type.Object(
  {
    limit: Type.Integer({ examples: [20] }),
    nextCursor: Nullable(Type.String({ description: 'Opaque; pass it as `cursor` for the next page of this sync. `null` on the last page.' })),
    nextSyncToken: Nullable(
      Type.String({ description: 'On the last page only (`null` before it): keep it, and send it as `token` next time to get what changed since this sync began.' }),
    ),
  },
  { $id: 'SyncMeta', additionalProperties: false },
)

export const SyncPage = Type.Object(
  { data: Type.Array(ref(SyncChange)), meta: ref(SyncMeta) },
  { additionalProperties: false, description: 'A page of articles to store and tombstones to apply, in article id order.', headers: { Link: responseHeaders.link } },
)

export type SyncChange = Static<typeof SyncedArticle> | Static<typeof Tombstone>

export const syncComponents = [SyncedArticle, Tombstone, SyncChange, SyncMeta]
