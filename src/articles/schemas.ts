import Type, { type Static } from 'typebox'
import { Nullable, ref, SlugParam, Timestamp } from '../http/schema.js'

export const ListKind = Type.Enum(['techniques', 'benefits', 'other'], {
  description: 'What a list enumerates: the article\'s techniques, its benefits, or anything else.',
})

export const ListItem = Type.Object(
  {
    position: Type.Integer({ minimum: 1, examples: [1] }),
    name: Type.Optional(Type.String({ minLength: 1, description: 'The item\'s name, when it is written `Name: description`.', examples: ['Deep Pressure'] })),
    slug: Type.Optional(Type.String({ description: 'Derived from the name; the catalog key for techniques and benefits.', examples: ['deep-pressure'] })),
    description: Type.String({ description: 'The text after the name, or the whole item when it has no name.' }),
  },
  { $id: 'ListItem', additionalProperties: false },
)

export const ParagraphBlock = Type.Object(
  {
    type: Type.Literal('paragraph'),
    text: Type.String({ minLength: 1 }),
  },
  { $id: 'ParagraphBlock', additionalProperties: false },
)

export const ListBlock = Type.Object(
  {
    type: Type.Literal('list'),
    kind: ListKind,
    items: Type.Array(ref(ListItem), { minItems: 1 }),
  },
  { $id: 'ListBlock', additionalProperties: false },
)

export const Block = Type.Union([ref(ParagraphBlock), ref(ListBlock)], {
  $id: 'Block',
  discriminator: { propertyName: 'type', mapping: { paragraph: '#/components/schemas/ParagraphBlock', list: '#/components/schemas/ListBlock' } },
})

export const Section = Type.Object(
  {
    heading: Type.Optional(Type.String({ minLength: 1, description: 'Absent on the introduction.', examples: ['Understanding Lower Back Pain'] })),
    slug: Type.String({ description: 'Anchor for the section, unique within the article.', examples: ['understanding-lower-back-pain'] }),
    blocks: Type.Array(ref(Block)),
  },
  { $id: 'Section', additionalProperties: false },
)

export const ArticleStatus = Type.Enum(['draft', 'published'])

const summaryProperties = {
  id: Type.Integer({ minimum: 1, examples: [1] }),
  slug: SlugParam,
  title: Type.String({ examples: ['Lower Back Pain Deep Tissue Massage'] }),
  summary: Type.String({ description: 'The first paragraph of the introduction.' }),
  status: ArticleStatus,
  publishedAt: Nullable(Timestamp),
  updatedAt: Timestamp,
  wordCount: Type.Integer({ minimum: 0, examples: [1042] }),
  readingTimeMinutes: Type.Integer({ minimum: 1, examples: [6] }),
  commentCount: Type.Integer({ minimum: 0, description: 'Approved reader comments.', examples: [2] }),
}

export const ArticleSummary = Type.Object(summaryProperties, {
  $id: 'ArticleSummary',
  additionalProperties: false,
  description: 'An article without its body, as listed.',
})

export const Article = Type.Object(
  { ...summaryProperties, sections: Type.Array(ref(Section)) },
  { $id: 'Article', additionalProperties: false },
)

export const ArticleEntry = Type.Object(
  {
    position: Type.Integer({ minimum: 1, examples: [1] }),
    name: Type.String({ examples: ['Deep Pressure'] }),
    slug: Type.String({ examples: ['deep-pressure'] }),
    description: Type.String(),
  },
  { $id: 'ArticleEntry', additionalProperties: false, description: 'A technique or benefit as one article lists it.' },
)

export type ListKind = Static<typeof ListKind>
export type ListItem = Static<typeof ListItem>
export type Block = Static<typeof ParagraphBlock> | Static<typeof ListBlock>
export type Section = Static<typeof Section>
export type ArticleStatus = Static<typeof ArticleStatus>
export type ArticleSummary = Static<typeof ArticleSummary>
export type Article = Static<typeof Article>
export type ArticleEntry = Static<typeof ArticleEntry>

export const articleComponents = [ListItem, ParagraphBlock, ListBlock, Block, Section, ArticleSummary, Article, ArticleEntry]
