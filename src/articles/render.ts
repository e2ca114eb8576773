import { escapeMarkup } from '../http/markup.js'
import type { Block, ListItem, Section } from '../content/schemas.js'

/** The body formats `GET /v1/articles/{slug}?format=` renders from the blocks. */
export type BodyFormat = 'html' | 'markdown' | 'text'

/**
 * Text that Markdown shows as it is: characters that are markup anywhere are escaped, and so is the
 * first character of every line that could open a block (heading, quote, list, rule, setext underline,
 * code by indentation).
 */
const escapeMarkdown = (text: string) =>
  text
    .replace(/[\\`*_[\]<>|~#]/g, '\\$&')
    .replace(/^[ \t]+/gm, '')
    .replace(/^([-+=])/gm, '\\$1')
    .replace(/^(\d+)([.)])/gm, '$1\\$2')

interface Renderer {
  heading: (text: string) => string
  paragraph: (text: string) => string
  list: (items: ListItem[]) => string
  join: string
}

const renderers: Record<BodyFormat, Renderer> = {
  html: {
    heading: (text) => `<h2>${escapeMarkup(text)}</h2>`,
    paragraph: (text) => `<p>${escapeMarkup(text)}</p>`,
    list: (items) =>
      `<ol>${items.map((item) => `<li>${item.name ? `<strong>${escapeMarkup(item.name)}</strong>: ` : ''}${escapeMarkup(item.description)}</li>`).join('')}</ol>`,
    join: '\n',
  },
  markdown: {
    heading: (text) => `## ${escapeMarkdown(text)}`,
    paragraph: escapeMarkdown,
    list: (items) => items.map((item, index) => `${index + 1}. ${item.name ? `**${escapeMarkdown(item.name)}**: ` : ''}${escapeMarkdown(item.description)}`).join('\n'),
    join: '\n\n',
  },
  text: {
    heading: (text) => text,
    paragraph: (text) => text,
    list: (items) => items.map((item, index) => `${index + 1}. ${item.name ? `${item.name}: ` : ''}${item.description}`).join('\n'),
    join: '\n\n',
  },
}

/**
 * The body rendered from its blocks: section headings as `h2` / `##`, lists as ordered lists. All text
 * is escaped for the format, so the HTML can be inserted into a page as it is.
 */
export function renderBody(sections: readonly Section[], format: BodyFormat): string {
  const renderer = renderers[format]
  const renderBlock = (block: Block) => (block.type === 'paragraph' ? renderer.paragraph(block.text) : renderer.list(block.items))
  return sections
    .flatMap((section) => [...(section.heading === undefined ? [] : [renderer.heading(section.heading)]), ...section.blocks.map(renderBlock)])
    .join(renderer.join)
}
