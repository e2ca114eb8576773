import Type, { type Static } from 'typebox'
import { ref, Timestamp } from '../http/schema.js'

/** Articles in a feed: the newest, as feed readers poll for what is new rather than page back. */
export const FEED_SIZE = 50

const Url = Type.String({ format: 'uri', examples: ['https://api.spa.example/v1/articles/lower-back-pain-deep-tissue-massage'] })

export const JsonFeedItem = Type.Object(
  {
    id: Type.String({ description: 'Stable: a `urn:uuid:` made from the article\'s id, whatever the host or the slug.' }),
    url: { ...Url, description: 'The article\'s page on the website when the server sets `SITE_ARTICLE_URL`; its API URL otherwise.' },
    external_url: Type.Optional({ ...Url, description: 'The article in the API, when `url` is the website\'s page.' }),
    title: Type.String({ examples: ['Lower Back Pain Deep Tissue Massage'] }),
    summary: Type.String({ description: 'The first paragraph, plain text.' }),
    content_html: Type.String({ description: 'The whole body as HTML (`h2` headings, `p`, `ol`); all text escaped.' }),
    date_published: Timestamp,
    date_modified: Timestamp,
  },
  { $id: 'JsonFeedItem', additionalProperties: false },
)

export const JsonFeed = Type.Object(
  {
    version: Type.Literal('https://jsonfeed.org/version/1.1'),
    title: Type.String(),
    home_page_url: Url,
    feed_url: Url,
    items: Type.Array(ref(JsonFeedItem), { maxItems: FEED_SIZE }),
  },
  {
    $id: 'JsonFeed',
    additionalProperties: false,
    description: `A JSON Feed 1.1 (https://jsonfeed.org/version/1.1) of the ${FEED_SIZE} newest public articles, newest first. Its member names are the format's own (snake_case).`,
  },
)

export type JsonFeedItem = Static<typeof JsonFeedItem>
export type JsonFeed = Static<typeof JsonFeed>

export const feedComponents = [JsonFeedItem, JsonFeed]
