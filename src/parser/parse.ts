import { assignSectionSlugs, deriveContent, type DerivedContent } from '../articles/content.js'
import type { Block, ListItem, ListKind, Section } from '../articles/schemas.js'
import { slugify } from './slugify.js'

/** The content model of one article as the importer reads it from plain text. */
export interface ParsedArticle extends DerivedContent {
  title: string
  slug: string
  sections: Section[]
}

/** Text that cannot be an article; the message says why, for a person to fix the file. */
export class ImportError extends Error {
  override name = 'ImportError'
}

type Unit = { kind: 'text'; text: string } | { kind: 'item'; text: string }

const LIST_ITEM = /^(?:\d{1,3}[.)]|[-*•–])\s+(\S.*)$/su
const BINARY = /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/u
const SENTENCE_END = /[.!?:;,…]$/u
const TRAILING_CLOSERS = /["”’')\]]+$/u
const TITLE_MAX_CHARS = 150
const HEADING_MAX_CHARS = 100
const HEADING_MAX_WORDS = 14
const ITEM_NAME_MAX_CHARS = 80
const ITEM_NAME_MAX_WORDS = 10
const CHROME_TAIL_MAX_CHARS = 120
const WRAPPED_LINE_MIN_WORDS = 8

/**
 * Lines that only the page around a blog post has: from the first of these on, everything is the
 * page's (related posts, reader comments, the comment form), whatever follows.
 */
const PAGE_CHROME_START = [
  /^(recommended|related|popular|recent) (posts?|articles?)$/i,
  /^you (may|might) also like$/i,
  /^no comments? yet\b/i,
  /^(add|leave|post|write) a (comment|reply)$/i,
  /^\d+ (comments?|responses?|replies)$/i,
  /^your email address will not be published\b/i,
]

/** Lines that are page chrome only at the very end, after the article; in the middle they may be content. */
const PAGE_CHROME_TAIL = [
  /^comments?$/i,
  /^required fields are marked\b/i,
  /^(cancel reply|post comment|submit comment)$/i,
  /^(name|email|e-mail|website|comment)\s*\*?$/i,
  /^save my name, email\b/i,
  /^share (this|on)\b/i,
  /^(previous|next) (post|article)\b/i,
  /^(tags|categories|posted in|filed under)\s*:/i,
]

const LIST_KIND_WORDS: [Exclude<ListKind, 'other'>, RegExp][] = [
  ['techniques', /\b(techniques?|methods?|strokes?)\b/i],
  ['benefits', /\b(benefits?|advantages?)\b/i],
]

/** Decodes a file's bytes as UTF-8 text, refusing what is not text. */
export function decodeArticleText(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new ImportError('the file is empty')
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new ImportError('the file is not UTF-8 text')
  }
}

/**
 * Reads an article written as a blog page's plain text: a title line, an introduction, short
 * stand-alone heading lines, paragraphs, and numbered `Name: description` lists, followed perhaps
 * by the page's own chrome (related posts, the comment form), which is left out.
 */
export function parseArticle(text: string): ParsedArticle {
  if (BINARY.test(text)) throw new ImportError('the text is binary: it holds control characters')
  const units = splitUnits(text)
  const [first, ...rest] = units
  if (!first) throw new ImportError('the text is empty')
  const title = collapseWhitespace(first.text)
  if (first.kind !== 'text' || title.length > TITLE_MAX_CHARS || title.endsWith(':') || !/\p{L}/u.test(title)) {
    throw new ImportError(`the text has no title: its first line must be a short title, not "${excerpt(first.text)}"`)
  }
  const slug = slugify(title)
  if (!slug) throw new ImportError(`the title "${excerpt(title)}" has no letters or digits to make a slug from`)
  const sections = buildSections(withoutPageChrome(rest))
  if (!sections.some((section) => section.blocks.length > 0)) {
    throw new ImportError('the text has a title but no paragraphs or lists')
  }
  return { title, slug, sections, ...deriveContent(sections) }
}

/** Splits text into paragraphs and list items; a hard-wrapped line continues the unit before it. */
function splitUnits(text: string): Unit[] {
  const units: Unit[] = []
  let previousLineBlank = true
  for (const rawLine of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    const line = rawLine.trim()
    if (!line) {
      previousLineBlank = true
      continue
    }
    const item = LIST_ITEM.exec(line)
    const last = units.at(-1)
    if (item?.[1]) {
      units.push({ kind: 'item', text: item[1] })
    } else if (last && units.length > 1 /* the title is one line */ && !previousLineBlank && continuesUnit(last, rawLine, line)) {
      last.text = `${last.text} ${line}`
    } else {
      units.push({ kind: 'text', text: line })
    }
    previousLineBlank = false
  }
  return units
}

/**
 * Whether a line with no blank line before it continues the paragraph (or list item) above it, as
 * hard-wrapped text does: the paragraph has not ended a sentence, and the line goes on in lower
 * case, or the paragraph broke after a comma or mid-sentence in a line too long for a heading.
 */
function continuesUnit(last: Unit, rawLine: string, line: string): boolean {
  if (last.kind === 'item') return /^\s/.test(rawLine)
  if (/,$/.test(last.text)) return true
  if (SENTENCE_END.test(last.text)) return false
  const lastWord = last.text.split(/\s+/u).at(-1) ?? ''
  return /^\p{Ll}/u.test(line) || (/^\p{Ll}/u.test(lastWord) && wordsIn(last.text) >= WRAPPED_LINE_MIN_WORDS)
}

/** Cuts the page chrome: from the first line only a page has, or from a tail of chrome and short lines. */
function withoutPageChrome(units: Unit[]): Unit[] {
  const start = units.findIndex((unit) => isChrome(unit, PAGE_CHROME_START))
  let cut = start >= 0 ? start : units.length
  for (let index = cut - 1; index >= 0; index--) {
    const unit = units[index]!
    if (isChrome(unit, PAGE_CHROME_TAIL)) cut = index
    else if (unit.kind === 'item' || unit.text.length > CHROME_TAIL_MAX_CHARS) break
  }
  return units.slice(0, cut)
}

function isChrome(unit: Unit, patterns: RegExp[]): boolean {
  return unit.kind === 'text' && patterns.some((pattern) => pattern.test(unit.text))
}

function isHeading(text: string): boolean {
  const bare = text.replace(TRAILING_CLOSERS, '')
  return (
    text.length <= HEADING_MAX_CHARS &&
    wordsIn(text) <= HEADING_MAX_WORDS &&
    /\p{L}/u.test(text) &&
    (bare.endsWith('?') || !SENTENCE_END.test(bare))
  )
}

function buildSections(units: Unit[]): Section[] {
  const sections: Section[] = [{ slug: 'introduction', blocks: [] }]
  let pendingItems: string[] = []
  const current = () => sections.at(-1)!
  const flushList = () => {
    if (pendingItems.length === 0) return
    const section = current()
    current().blocks.push(listBlock(pendingItems, section.heading, section.blocks.at(-1)))
    pendingItems = []
  }
  for (const unit of units) {
    if (unit.kind === 'item') {
      pendingItems.push(unit.text)
      continue
    }
    flushList()
    if (isHeading(unit.text)) {
      sections.push({ heading: collapseWhitespace(unit.text), slug: '', blocks: [] })
    } else {
      current().blocks.push({ type: 'paragraph', text: unit.text })
    }
  }
  flushList()
  const withContent = sections[0]!.blocks.length > 0 ? sections : sections.slice(1)
  return assignSectionSlugs(withContent)
}

function listBlock(texts: string[], heading: string | undefined, blockBefore: Block | undefined): Block {
  const items: ListItem[] = texts.map((text, index) => ({ position: index + 1, ...splitNamedItem(text) }))
  const introduction = blockBefore?.type === 'paragraph' && blockBefore.text.endsWith(':') ? blockBefore.text : undefined
  const allNamed = items.every((item) => item.name)
  const kind = (allNamed && (listKindOf(heading) ?? listKindOf(introduction))) || 'other'
  return { type: 'list', kind, items }
}

/** The kind a heading or an introducing sentence speaks of; the earliest word wins when it names both. */
function listKindOf(text: string | undefined): Exclude<ListKind, 'other'> | undefined {
  if (!text) return undefined
  let found: { kind: Exclude<ListKind, 'other'>; at: number } | undefined
  for (const [kind, pattern] of LIST_KIND_WORDS) {
    const at = text.search(pattern)
    if (at >= 0 && (!found || at < found.at)) found = { kind, at }
  }
  return found?.kind
}

function splitNamedItem(text: string): Omit<ListItem, 'position'> {
  const colon = text.indexOf(':')
  const name = colon > 0 ? collapseWhitespace(text.slice(0, colon)) : ''
  const isName = name.length > 0 && name.length <= ITEM_NAME_MAX_CHARS && wordsIn(name) <= ITEM_NAME_MAX_WORDS && !/[.!?]/.test(name)
  const slug = isName ? slugify(name) : ''
  if (!slug) return { description: text }
  return { name, slug, description: text.slice(colon + 1).trim() }
}

function collapseWhitespace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim()
}

function wordsIn(text: string): number {
  return text.split(/\s+/u).filter(Boolean).length
}

function excerpt(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
