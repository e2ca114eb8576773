import { escapeMarkup } from '../http/markup.js'

/** Put around each matched word by SQLite's snippet(): control characters, which articles' text has no use for. */
export const MATCH_START = '\u0002'
export const MATCH_END = '\u0003'

const MARKERS = /(\u0002|\u0003)/
const CONTROL = /\p{Cc}/gu
const WORD_CHARACTER = /[\p{L}\p{N}]/u

/**
 * The FTS5 query for what a reader typed, never the typed text itself: each word becomes a quoted
 * string (inside quotes FTS5 has no syntax but the doubled quote) matched as a prefix, and FTS5 wants
 * all of them. `OR`, `NEAR(`, `-` and `*` are thereby words like any other. Control characters are
 * dropped (a NUL ends FTS5's string early), and so are words with no letter or digit, which the
 * tokenizer would make nothing of; with no word left the expression is empty.
 */
export function matchExpression(query: string): string {
  return query
    .normalize('NFC')
    .replace(CONTROL, ' ')
    .split(/\s+/u)
    .filter((word) => WORD_CHARACTER.test(word))
    .map((word) => `"${word.replaceAll('"', '""')}"*`)
    .join(' ')
}

/** snippet()'s plain text as HTML: escaped, with `<mark>` where it put its markers. */
export function markSnippet(snippet: string): string {
  return snippet
    .split(MARKERS)
    .map((part) => (part === MATCH_START ? '<mark>' : part === MATCH_END ? '</mark>' : escapeMarkup(part)))
    .join('')
}
