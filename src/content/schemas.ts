import Type, { type Static } from 'typebox'
import { ref, StringEnum } from '../http/schema.js'

// The body of an article, as the parser reads it from text and the API serves it. It sits below src/articles/
// and src/parser/ so that the pure parser needs nothing from the feature that stores and serves articles.

export const ListKind = StringEnum(['techniques', 'benefits', 'other'], {
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
export type ArticleEntry = Static<typeof ArticleEntry>
