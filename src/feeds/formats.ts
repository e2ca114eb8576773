import { createHash } from 'node:crypto'
import { renderBody } from '../articles/render.js'
import type { Article } from '../articles/schemas.js'
import { escapeMarkup } from '../http/markup.js'
import type { JsonFeed } from './schemas.js'

export const FEED_TITLE = 'Spa articles'

interface FeedEntry {
  /** Stable: made from the article's id alone, so neither the host a reader used nor a new slug changes it. */
  id: string
  /** The article's page on the website, or its API URL when no website is set. */
  url: string
  /** The article in the API, when `url` is the website's. */
  apiUrl: string | undefined
  title: string
  summary: string
  contentHtml: string
  published: string
  modified: string
}

/** What both formats say, with absolute URLs under `base`. */
export interface Feed {
  homePageUrl: string
  /** Whether `homePageUrl` and the entries' `url` are the website's (HTML) rather than the API's (JSON). */
  onSite: boolean
  jsonUrl: string
  atomUrl: string
  updated: string
  entries: FeedEntry[]
}

/** The ids of feed entries: RFC 9562 name-based (SHA-1) UUIDs in a namespace of this API's own. */
const ENTRY_NAMESPACE = Buffer.from('3b6f0d52c1a84e0f9d7a5e2c8b41f6a9', 'hex')

export function entryId(articleId: number): string {
  const hash = createHash('sha1').update(ENTRY_NAMESPACE).update(`article/${articleId}`).digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/**
 * `articles` newest first and public, so each has a publication time. With `siteArticleUrl` (the
 * website's page of an article, `{slug}` for its slug) entries link to the website, the API second.
 */
export function buildFeed(articles: Article[], base: string, now: Date, siteArticleUrl?: string): Feed {
  const entries = articles.map((article) => ({
    id: entryId(article.id),
    url: siteArticleUrl ? siteArticleUrl.replace('{slug}', article.slug) : `${base}/v1/articles/${article.slug}`,
    apiUrl: siteArticleUrl ? `${base}/v1/articles/${article.slug}` : undefined,
    title: article.title,
    summary: article.summary,
    contentHtml: renderBody(article.sections, 'html'),
    published: article.publishedAt!,
    // A scheduled article is written before its time: to a reader it changed when it appeared.
    modified: article.updatedAt > article.publishedAt! ? article.updatedAt : article.publishedAt!,
  }))
  const updated = entries.map((entry) => entry.modified).sort().at(-1) ?? now.toISOString()
  const homePageUrl = siteArticleUrl ? `${new URL(siteArticleUrl.replace('{slug}', '')).origin}/` : `${base}/v1/articles`
  return { homePageUrl, onSite: siteArticleUrl !== undefined, jsonUrl: `${base}/v1/feed.json`, atomUrl: `${base}/v1/feed.xml`, updated, entries }
}

export function toJsonFeed(feed: Feed): JsonFeed {
  return {
    version: 'https://jsonfeed.org/version/1.1',
    title: FEED_TITLE,
    home_page_url: feed.homePageUrl,
    feed_url: feed.jsonUrl,
    items: feed.entries.map((entry) => ({
      id: entry.id,
      url: entry.url,
      ...(entry.apiUrl === undefined ? {} : { external_url: entry.apiUrl }),
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
      element('id', entry.id),
      element('title', entry.title),
      element('updated', entry.modified),
      element('published', entry.published),
      link('alternate', feed.onSite ? 'text/html' : 'application/json', entry.url),
      ...(entry.apiUrl === undefined ? [] : [link('related', 'application/json', entry.apiUrl)]),
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
    ...(feed.onSite ? [link('alternate', 'text/html', feed.homePageUrl)] : []),
    link('alternate', 'application/feed+json', feed.jsonUrl),
    ...entries,
    '</feed>',
    '',
  ].join('\n')
}
