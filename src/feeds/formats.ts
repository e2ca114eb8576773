import { renderBody } from '../articles/render.js'
import type { Article } from '../articles/schemas.js'
import { escapeMarkup } from '../http/markup.js'
import type { JsonFeed } from './schemas.js'

export const FEED_TITLE = 'Spa articles'

interface FeedEntry {
  url: string
  title: string
  summary: string
  contentHtml: string
  published: string
  modified: string
}

/** What both formats say, with absolute URLs under `base`. */
export interface Feed {
  homePageUrl: string
  jsonUrl: string
  atomUrl: string
  updated: string
  entries: FeedEntry[]
}

/** `articles` newest first and public, so each has a publication time. */
export function buildFeed(articles: Article[], base: string, now: Date): Feed {
  const entries = articles.map((article) => ({
    url: `${base}/v1/articles/${article.slug}`,
    title: article.title,
    summary: article.summary,
    contentHtml: renderBody(article.sections, 'html'),
    published: article.publishedAt!,
    // A scheduled article is written before its time: to a reader it changed when it appeared.
    modified: article.updatedAt > article.publishedAt! ? article.updatedAt : article.publishedAt!,
  }))
  const updated = entries.map((entry) => entry.modified).sort().at(-1) ?? now.toISOString()
  return { homePageUrl: `${base}/v1/articles`, jsonUrl: `${base}/v1/feed.json`, atomUrl: `${base}/v1/feed.xml`, updated, entries }
}

export function toJsonFeed(feed: Feed): JsonFeed {
  return {
    version: 'https://jsonfeed.org/version/1.1',
    title: FEED_TITLE,
    home_page_url: feed.homePageUrl,
    feed_url: feed.jsonUrl,
    items: feed.entries.map((entry) => ({
      id: entry.url,
      url: entry.url,
      title: entry.title,
      summary: entry.summary,
      content_html: entry.contentHtml,
      date_published: entry.published,
      date_modified: entry.modified,
    })),
  }
}

const element = (name: string, text: string, attributes = '') => `<${name}${attributes}>${escapeMarkup(text)}</${name}>`
const link = (rel: string, type: string, href: string) => `<link rel="${rel}" type="${type}" href="${escapeMarkup(href)}"/>`

/** RFC 4287 Atom. The feed names an author because the entries do not. */
export function toAtom(feed: Feed): string {
  const entries = feed.entries.map((entry) =>
    [
      '<entry>',
      element('id', entry.url),
      element('title', entry.title),
      element('updated', entry.modified),
      element('published', entry.published),
      link('alternate', 'application/json', entry.url),
      element('summary', entry.summary, ' type="text"'),
      element('content', entry.contentHtml, ' type="html"'),
      '</entry>',
    ].join(''),
  )
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    element('id', feed.atomUrl),
    element('title', FEED_TITLE),
    element('updated', feed.updated),
    `<author>${element('name', FEED_TITLE)}</author>`,
    link('self', 'application/atom+xml', feed.atomUrl),
    link('alternate', 'application/feed+json', feed.jsonUrl),
    ...entries,
    '</feed>',
    '',
  ].join('\n')
}
