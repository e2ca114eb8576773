import type { ArticleEntry, ListItem, Section } from './schemas.js'
import { slugify } from './slugify.js'

const WORDS_PER_MINUTE = 200
const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu

export interface DerivedContent {
  summary: string
  wordCount: number
  readingTimeMinutes: number
  techniques: ArticleEntry[]
  benefits: ArticleEntry[]
}

export function countWords(text: string): number {
  return text.match(WORD)?.length ?? 0
}

/** How many list items the sections hold, all lists together. */
export function countListItems(sections: readonly { blocks: readonly ({ type: 'paragraph' } | { type: 'list'; items: readonly unknown[] })[] }[]): number {
  let items = 0
  for (const section of sections) for (const block of section.blocks) if (block.type === 'list') items += block.items.length
  return items
}

/** What an article's body determines by itself: summary, counts and its techniques and benefits. */
export function deriveContent(sections: readonly Section[]): DerivedContent {
  const paragraphs: string[] = []
  const entries = { techniques: [] as ArticleEntry[], benefits: [] as ArticleEntry[] }
  let wordCount = 0
  for (const section of sections) {
    if (section.heading) wordCount += countWords(section.heading)
    for (const block of section.blocks) {
      if (block.type === 'paragraph') {
        paragraphs.push(block.text)
        wordCount += countWords(block.text)
        continue
      }
      for (const item of block.items) {
        wordCount += countWords(`${item.name ?? ''} ${item.description}`)
        if (block.kind === 'other' || !item.name || !item.slug) continue
        const list = entries[block.kind]
        list.push({ position: list.length + 1, name: item.name, slug: item.slug, description: item.description })
      }
    }
  }
  const intro = sections[0] && sections[0].heading === undefined ? sections[0] : undefined
  const introParagraph = intro?.blocks.find((block) => block.type === 'paragraph')
  return {
    summary: introParagraph?.type === 'paragraph' ? introParagraph.text : (paragraphs[0] ?? ''),
    wordCount,
    readingTimeMinutes: Math.max(1, Math.ceil(wordCount / WORDS_PER_MINUTE)),
    ...entries,
  }
}

/** Gives every section a slug unique within the article: its heading's, numbered on repeats. */
export function assignSectionSlugs<S extends Omit<Section, 'slug'>>(sections: S[]): (S & { slug: string })[] {
  const taken = new Set<string>()
  return sections.map((section, index) => {
    const base = section.heading === undefined ? 'introduction' : slugify(section.heading) || `section-${index + 1}`
    let slug = base
    for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`
    taken.add(slug)
    return { ...section, slug }
  })
}

/** List items as written, numbered in order, each named item with the slug of its name. */
export function numberItems(items: readonly { name?: string | undefined; description: string }[]): ListItem[] {
  return items.map(({ name, description }, index) => {
    const slug = name === undefined ? '' : slugify(name)
    return { position: index + 1, ...(name !== undefined && slug ? { name, slug } : {}), description }
  })
}

/**
 * The sections with the article's techniques or benefits replaced by `items`: the first list of that
 * kind takes them and any other list of the kind goes; with none, a section headed `heading` is added.
 * Sections left with nothing in them go too.
 */
export function replaceEntries(sections: readonly Section[], kind: 'techniques' | 'benefits', items: ListItem[], heading: string): Section[] {
  let placed = false
  const replaced = sections.map((section) => ({
    ...section,
    blocks: section.blocks.flatMap((block) => {
      if (block.type !== 'list' || block.kind !== kind) return [block]
      if (placed || items.length === 0) return []
      placed = true
      return [{ ...block, items }]
    }),
  }))
  const kept = replaced.filter((section, index) => section.blocks.length > 0 || sections[index]!.blocks.length === 0)
  if (placed || items.length === 0) return kept
  return assignSectionSlugs<Section>([...kept, { heading, slug: '', blocks: [{ type: 'list', kind, items }] }])
}
