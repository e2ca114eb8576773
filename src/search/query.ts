import { escapeMarkup } from '../http/markup.js'

/** Put around each matched word by SQLite's snippet(): control characters, which articles' text has no use for. */
export const MATCH_START = '\u0002'
export const MATCH_END = '\u0003'

const MARKERS = /(\u0002|\u0003)/
// FTS5's unicode61 tokenizer keeps letters, digits and private-use characters and cuts at everything else.
const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu
const MARKS = /\p{M}/gu

/**
 * The distinct words of what a reader typed, cut where FTS5's tokenizer cuts (so `deep-pressure` is two
 * words, and `t.t.t` one word said three times), in the order typed. Words that differ only in case or
 * accents are one word, as they are to the index.
 */
export function queryWords(query: string): string[] {
  const distinct = new Map<string, string>()
  for (const word of query.normalize('NFC').match(TOKEN) ?? []) {
    const folded = word.normalize('NFD').replace(MARKS, '').toLowerCase()
    if (!distinct.has(folded)) distinct.set(folded, word)
  }
  return [...distinct.values()]
}

/**
 * The FTS5 query for a reader's words, never the typed text itself: each word is a quoted string
 * (letters and digits only, so FTS5 sees no syntax in it), all of them wanted. A word of two or more
 * characters also finds longer words it starts (`mass` finds "massage"); the index keeps prefixes of 2
 * and 3 characters, and a longer prefix is a short range of terms. A one-character word is matched as
 * a whole word: as a prefix it would merge the postings of every term with that initial.
 */
export function matchExpression(words: string[]): string {
  return words.map((word) => ([...word].length === 1 ? `"${word}"` : `"${word}"*`)).join(' ')
}

/**
 * The same words as a PostgreSQL tsquery (for migrations/postgres 004's spa_search configuration, which
 * folds case and accents as the words above are folded): all wanted, a word of two or more characters
 * also as a prefix. The words hold letters and digits only, so a quoted word carries no tsquery syntax.
 */
export function tsQueryExpression(words: string[]): string {
  return words.map((word) => ([...word].length === 1 ? `'${word}'` : `'${word}':*`)).join(' & ')
}

/** snippet()'s plain text as HTML: escaped, with `<mark>` where it put its markers. */
export function markSnippet(snippet: string): string {
  return snippet
    .split(MARKERS)
    .map((part) => (part === MATCH_START ? '<mark>' : part === MATCH_END ? '</mark>' : escapeMarkup(part)))
    .join('')
}
