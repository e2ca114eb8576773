/** What a byline line under a title says: who wrote the article and when, as far as it says either. */
export interface Byline {
  author?: string
  /** A calendar date, `YYYY-MM-DD`. */
  date?: string
  /** Whether the date is when the article was updated rather than first published. */
  dateIsUpdate?: boolean
}

/** A keyword as a byline writes it: capitalised or not (names are matched case-sensitively, keywords not). */
const keyword = (word: string) => `[${word[0]!.toUpperCase()}${word[0]}]${word.slice(1)}`

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const MONTH = '(?:[Jj]an(?:uary)?|[Ff]eb(?:ruary)?|[Mm]ar(?:ch)?|[Aa]pr(?:il)?|[Mm]ay|[Jj]une?|[Jj]uly?|[Aa]ug(?:ust)?|[Ss]ep(?:t(?:ember)?)?|[Oo]ct(?:ober)?|[Nn]ov(?:ember)?|[Dd]ec(?:ember)?)\\.?'
const DAY = '\\d{1,2}(?:st|nd|rd|th)?'
/** `2024-06-02`, `June 2, 2024`, `Jun 2nd 2024`, `2 June 2024`. */
const DATE = `(?:\\d{4}-\\d{2}-\\d{2}|${MONTH}\\s+${DAY},?\\s+\\d{4}|${DAY}\\s+${MONTH},?\\s+\\d{4})`
const NAME_WORD = "\\p{Lu}[\\p{L}\\p{M}'’.\\-]*"
const NAME_PARTICLE = '(?:de|da|di|del|der|den|van|von|la|le|du|bin|al|and|&)'
/** A person's or a team's name: capitalised words (with particles), or `the … Team`. */
const NAME = `(?:the\\s+)?${NAME_WORD}(?:\\s+(?:${NAME_WORD}|${NAME_PARTICLE}))*(?:\\s+(?:team|staff|editors))?`
const DATE_VERB = `(?:${keyword('posted')}|${keyword('published')}|(?:${keyword('last')}\\s+)?${keyword('updated')}|${keyword('written')}|${keyword('date')})`

/** The shapes one part of a byline takes; a part is what lies between separators such as `|` or `·`. */
const PARTS: { pattern: RegExp; read: (match: RegExpExecArray) => Byline }[] = [
  {
    // "By Dana Lee", "Posted by Dana Lee on March 3, 2025", "Written by Dana Lee, June 2, 2024"
    pattern: new RegExp(`^(?:(?:${keyword('posted')}|${keyword('written')}|${keyword('published')})\\s+)?${keyword('by')}\\s+(${NAME})(?:,?\\s+(?:on\\s+)?(${DATE}))?$`, 'u'),
    read: (match) => ({ author: match[1]!, ...(match[2] ? { date: match[2] } : {}) }),
  },
  {
    // "Posted on March 3, 2025 by Serenity Spa Team", "Updated: 2024-06-02", "Published June 2, 2024"
    pattern: new RegExp(`^(${DATE_VERB})(?:\\s+on)?\\s*:?\\s+(${DATE})(?:,?\\s+${keyword('by')}\\s+(${NAME}))?$`, 'u'),
    read: (match) => ({ date: match[2]!, dateIsUpdate: /updated/i.test(match[1]!), ...(match[3] ? { author: match[3] } : {}) }),
  },
  { pattern: new RegExp(`^(?:${keyword('author')}|${keyword('written')}\\s+by)\\s*:\\s*(${NAME})$`, 'u'), read: (match) => ({ author: match[1]! }) },
  { pattern: new RegExp(`^(${DATE})$`, 'u'), read: (match) => ({ date: match[1]! }) },
]

/** Parts that bylines carry beside the author and date, and that say nothing of either. */
const FILLER_PARTS = [/^\d{1,3} min(?:ute)?s? read$/i, /^(?:no|\d{1,5}) (?:comments?|responses?)$/i, /^(?:posted|filed) (?:in|under):? [^|]{1,60}$/i, /^leave a comment$/i]
const SEPARATOR = /\s+[|·•—–-]\s+/u

/**
 * Reads a line as a byline, or gives undefined when it is not one: every part of it must be an author,
 * a date that exists or a known filler ("5 min read"), and it must name an author or a date. A heading
 * that only starts like a byline ("By the Numbers", "Updated Guidelines for 2024") is not one.
 */
export function readByline(line: string): Byline | undefined {
  const text = line.replace(/\s+/gu, ' ').trim()
  if (text.length > 200) return undefined
  const byline: Byline = {}
  for (const part of text.split(SEPARATOR)) {
    if (FILLER_PARTS.some((filler) => filler.test(part))) continue
    const read = readPart(part)
    if (!read) return undefined
    if (read.author && !byline.author) byline.author = read.author
    if (read.date && (!byline.date || (byline.dateIsUpdate && !read.dateIsUpdate))) {
      byline.date = read.date
      byline.dateIsUpdate = read.dateIsUpdate ?? false
    }
  }
  return byline.author || byline.date ? byline : undefined
}

function readPart(part: string): Byline | undefined {
  for (const { pattern, read } of PARTS) {
    const match = pattern.exec(part)
    if (!match) continue
    const found = read(match)
    const date = found.date === undefined ? undefined : calendarDate(found.date)
    if (found.date !== undefined && !date) return undefined
    if (found.author !== undefined && !isName(found.author)) return undefined
    return { ...found, ...(date ? { date } : {}) }
  }
  return undefined
}

/** `the` opens only a team's name ("the Serenity Spa team"), never a heading's ("the Numbers"); particles never end one. */
function isName(name: string): boolean {
  const words = name.split(' ')
  if (words.length > 8 || name.length > 100) return false
  if (new RegExp(`^${NAME_PARTICLE}$`, 'u').test(words.at(-1)!)) return false
  return words[0] !== 'the' || /^(team|staff|editors)$/i.test(words.at(-1)!)
}

/** A written date as `YYYY-MM-DD`, when that day exists. */
export function calendarDate(text: string): string | undefined {
  let year: number
  let month: number
  let day: number
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (iso) {
    ;[year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])]
  } else {
    const words = text.replace(/[,.]/g, ' ').split(/\s+/).filter(Boolean)
    const monthAt = /^\d/.test(words[0]!) ? 1 : 0
    month = MONTH_NAMES.indexOf(words[monthAt]!.slice(0, 3).toLowerCase()) + 1
    day = Number.parseInt(words[monthAt === 0 ? 1 : 0]!, 10)
    year = Number(words[2])
  }
  const date = new Date(Date.UTC(year, month - 1, day))
  if (month < 1 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined
  return date.toISOString().slice(0, 10)
}
