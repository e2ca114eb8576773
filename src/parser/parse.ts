import { assignSectionSlugs, deriveContent, type DerivedContent } from '../content/derive.js'
import type { Block, ListItem, ListKind, Section } from '../content/schemas.js'
import { slugify } from '../content/slugify.js'
import { readByline, type Byline } from './byline.js'

/** The content model of one article as the importer reads it from plain text. */
export interface ParsedArticle extends DerivedContent {
  title: string
  slug: string
  sections: Section[]
  /** Who wrote it, from a byline under the title. */
  author?: string
  /** When it was published (midnight UTC of the byline's date), from a byline under the title. */
  publishedAt?: string
}

/** A line (or hard-wrapped lines) of the text that the article leaves out, and why. */
export interface ImportNote {
  /** The line it starts on, from 1. */
  line: number
  /** The text as written, whitespace collapsed, cut after 120 characters. */
  text: string
  leftOutAs: 'byline' | 'page-chrome'
  reason: string
}

/** The article and what the parser left out of it. */
export interface ParseReport {
  article: ParsedArticle
  notes: ImportNote[]
}

/** The most an article may hold; beyond it the text is refused as soon as the parser gets there. */
export interface ArticleLimits {
  sections: number
  blocksPerSection: number
  itemsPerList: number
  /** All lists together. */
  itemsPerArticle: number
  paragraphChars: number
  descriptionChars: number
}

/** Text that cannot be an article; the message says why, for a person to fix the file. */
export class ImportError extends Error {
  override name = 'ImportError'
}

interface Unit {
  kind: 'text' | 'item'
  text: string
  line: number
}

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
const NOTE_MAX_CHARS = 120
/** Lines under the title that may form its byline (author, date, "5 min read" on one line or a few). */
const BYLINE_MAX_UNITS = 3

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
 * Reads an article written as a blog page's plain text: a title line, perhaps a byline, an
 * introduction, short stand-alone heading lines, paragraphs, and numbered `Name: description` lists,
 * followed perhaps by the page's own chrome (related posts, the comment form), which is left out.
 */
export function parseArticle(text: string, limits?: ArticleLimits): ParsedArticle {
  return parseArticleWithNotes(text, limits).article
}

/** `parseArticle`, with a note for each line left out of the article (byline, page chrome) saying why. */
export function parseArticleWithNotes(text: string, limits?: ArticleLimits): ParseReport {
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
  const notes: ImportNote[] = []
  const { byline, body } = splitByline(rest, notes)
  const sections = buildSections(withoutPageChrome(body, notes), limits)
  if (!sections.some((section) => section.blocks.length > 0)) {
    throw new ImportError('the text has a title but no paragraphs or lists')
  }
  const article: ParsedArticle = {
    title,
    slug,
    sections,
    ...deriveContent(sections),
    ...(byline.author ? { author: byline.author } : {}),
    ...(byline.date ? { publishedAt: `${byline.date}T00:00:00.000Z` } : {}),
  }
  return { article, notes }
}

/** A unit being read: its lines so far, joined only once it is complete (joining at each line would cost the square of them). */
interface OpenUnit {
  kind: Unit['kind']
  line: number
  lines: string[]
  words: number
}

/** Splits text into paragraphs and list items; a hard-wrapped line continues the unit before it. */
function splitUnits(text: string): Unit[] {
  const units: OpenUnit[] = []
  let previousLineBlank = true
  let lineNumber = 0
  for (const rawLine of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    lineNumber++
    const line = rawLine.trim()
    if (!line) {
      previousLineBlank = true
      continue
    }
    const item = LIST_ITEM.exec(line)
    const last = units.at(-1)
    if (item?.[1]) {
      units.push({ kind: 'item', line: lineNumber, lines: [item[1]], words: wordsIn(item[1]) })
    } else if (last && units.length > 1 /* the title is one line */ && !previousLineBlank && continuesUnit(last, rawLine, line)) {
      last.lines.push(line)
      last.words += wordsIn(line)
    } else {
      units.push({ kind: 'text', line: lineNumber, lines: [line], words: wordsIn(line) })
    }
    previousLineBlank = false
  }
  return units.map(({ kind, line, lines }) => ({ kind, line, text: lines.join(' ') }))
}

/**
 * Whether a line with no blank line before it continues the paragraph (or list item) above it, as
 * hard-wrapped text does. A list item goes on onto an indented line, and onto any line unless the
 * item has ended a sentence and the line could be a heading. A paragraph goes on when it has not
 * ended a sentence, and the line goes on in lower case, or the paragraph broke after a comma or
 * mid-sentence in a line too long for a heading.
 */
function continuesUnit(last: OpenUnit, rawLine: string, line: string): boolean {
  const end = last.lines.at(-1)!
  if (last.kind === 'item') return /^\s/.test(rawLine) || !SENTENCE_END.test(end.replace(TRAILING_CLOSERS, '')) || !isHeading(line)
  if (end.endsWith(',')) return true
  if (SENTENCE_END.test(end)) return false
  const lastWord = end.split(/\s+/u).at(-1) ?? ''
  return /^\p{Ll}/u.test(line) || (/^\p{Ll}/u.test(lastWord) && last.words >= WRAPPED_LINE_MIN_WORDS)
}

/**
 * Takes the byline off the top of the body: the lines right under the title that read as one (see
 * `readByline`). A line naming only an author counts only right under the title, where a heading
 * such as "By Appointment Only" is least likely.
 */
function splitByline(units: Unit[], notes: ImportNote[]): { byline: Byline; body: Unit[] } {
  const byline: Byline = {}
  let taken = 0
  for (const unit of units.slice(0, BYLINE_MAX_UNITS)) {
    const read = unit.kind === 'text' ? readByline(unit.text) : undefined
    if (!read || (taken > 0 && !read.date)) break
    byline.author ??= read.author
    if (read.date && (!byline.date || (byline.dateIsUpdate && !read.dateIsUpdate))) Object.assign(byline, { date: read.date, dateIsUpdate: read.dateIsUpdate })
    const said = [read.author && `author "${read.author}"`, read.date && `${read.dateIsUpdate ? 'updated' : 'date'} ${read.date}`].filter(Boolean).join(', ')
    notes.push(note(unit, 'byline', `a byline under the title (${said}), not part of the body`))
    taken++
  }
  return { byline, body: units.slice(taken) }
}

/** Cuts the page chrome: from the first line only a page has, or from a tail of chrome and short lines. */
function withoutPageChrome(units: Unit[], notes: ImportNote[]): Unit[] {
  const start = units.findIndex((unit) => isChrome(unit, PAGE_CHROME_START))
  let cut = start >= 0 ? start : units.length
  for (let index = cut - 1; index >= 0; index--) {
    const unit = units[index]!
    if (isChrome(unit, PAGE_CHROME_TAIL)) cut = index
    else if (unit.kind === 'item' || unit.text.length > CHROME_TAIL_MAX_CHARS) break
  }
  units.slice(cut).forEach((unit, index) => {
    const at = cut + index
    const reason =
      at === start
        ? 'a line only the page around an article has (related posts, comments, the comment form): it and everything after it are left out'
        : at > start && start >= 0
          ? `after the page chrome that starts at line ${units[start]!.line}`
          : isChrome(unit, PAGE_CHROME_TAIL)
            ? 'page chrome at the end of the article (share links, tags, the comment form)'
            : 'a short line among the page chrome at the end of the article'
    notes.push(note(unit, 'page-chrome', reason))
  })
  return units.slice(0, cut)
}

function note(unit: Unit, leftOutAs: ImportNote['leftOutAs'], reason: string): ImportNote {
  const text = collapseWhitespace(unit.text)
  return { line: unit.line, text: text.length > NOTE_MAX_CHARS ? `${text.slice(0, NOTE_MAX_CHARS - 1)}…` : text, leftOutAs, reason }
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

function buildSections(units: Unit[], limits: ArticleLimits | undefined): Section[] {
  const sections: Section[] = [{ slug: 'introduction', blocks: [] }]
  let pendingItems: string[] = []
  let items = 0
  const current = () => sections.at(-1)!
  const addBlock = (block: Block, line: number) => {
    const { blocks } = current()
    if (limits && blocks.length >= limits.blocksPerSection) throw limitError(line, `a section may hold at most ${limits.blocksPerSection} paragraphs and lists`)
    blocks.push(block)
  }
  const flushList = (line: number) => {
    if (pendingItems.length === 0) return
    const section = current()
    addBlock(listBlock(pendingItems, section.heading, section.blocks.at(-1)), line)
    pendingItems = []
  }
  for (const unit of units) {
    if (unit.kind === 'item') {
      if (limits && pendingItems.length >= limits.itemsPerList) throw limitError(unit.line, `a list may hold at most ${limits.itemsPerList} items`)
      if (limits && ++items > limits.itemsPerArticle) throw limitError(unit.line, `an article may hold at most ${limits.itemsPerArticle} list items, all its lists together`)
      if (limits && splitNamedItem(unit.text).description.length > limits.descriptionChars) {
        throw limitError(unit.line, `a list item's description may be at most ${limits.descriptionChars} characters long`)
      }
      pendingItems.push(unit.text)
      continue
    }
    flushList(unit.line)
    if (isHeading(unit.text)) {
      // The introduction is a section too, unless it is empty (it is complete by the first heading).
      const counted = sections.length + (sections[0]!.blocks.length > 0 ? 1 : 0)
      if (limits && counted > limits.sections) throw limitError(unit.line, `an article may hold at most ${limits.sections} sections`)
      sections.push({ heading: collapseWhitespace(unit.text), slug: '', blocks: [] })
    } else {
      if (limits && unit.text.length > limits.paragraphChars) throw limitError(unit.line, `a paragraph may be at most ${limits.paragraphChars} characters long`)
      addBlock({ type: 'paragraph', text: unit.text }, unit.line)
    }
  }
  flushList(units.at(-1)?.line ?? 0)
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

function limitError(line: number, limit: string): ImportError {
  return new ImportError(`the text is longer than an article may be: ${limit} (line ${line})`)
}

function excerpt(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
