import type { ArticleEntry, Section } from './schemas.js'

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
