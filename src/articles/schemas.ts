import Type, { type Static } from 'typebox'
import { ArticleEntry, Block, ListBlock, ListItem, ListKind, ParagraphBlock, Section } from '../content/schemas.js'
import { Nullable, ref, SlugParam, StringEnum, Timestamp } from '../http/schema.js'

export const ArticleStatus = StringEnum(['draft', 'scheduled', 'published'], {
  description: '`draft` is seen only by editors; `scheduled` becomes `published`, and public, by itself at `publishedAt`.',
})

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
  { ...summaryProperties, author: Nullable(Type.String({ description: 'Who wrote it, as the byline of an imported text names them; `null` when unknown.', examples: ['Dana Lee'] })), sections: Type.Array(ref(Section)) },
  { $id: 'Article', additionalProperties: false },
)

/** Text that must say something (blank strings are refused like empty ones) and holds no control characters but line breaks and tabs. */
const Written = (maxLength: number, options: { description?: string; examples?: string[] } = {}) =>
  Type.String({ minLength: 1, maxLength, pattern: '^(?=[\\s\\S]*\\S)[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$', ...options })

export const ItemInput = Type.Object(
  {
    name: Type.Optional(Written(200, { description: 'The item\'s name; its slug is derived from it.', examples: ['Deep Pressure'] })),
    description: Written(5000),
  },
  { $id: 'ItemInput', additionalProperties: false, description: 'A list item as an editor writes it; its position follows its place in the list.' },
)

export const ParagraphInput = Type.Object({ type: Type.Literal('paragraph'), text: Written(20000) }, { $id: 'ParagraphInput', additionalProperties: false })

export const ListInput = Type.Object(
  { type: Type.Literal('list'), kind: ListKind, items: Type.Array(ref(ItemInput), { minItems: 1, maxItems: 200 }) },
  { $id: 'ListInput', additionalProperties: false },
)

export const BlockInput = Type.Union([ref(ParagraphInput), ref(ListInput)], {
  $id: 'BlockInput',
  discriminator: { propertyName: 'type', mapping: { paragraph: '#/components/schemas/ParagraphInput', list: '#/components/schemas/ListInput' } },
})

export const SectionInput = Type.Object(
  {
    heading: Type.Optional(Written(200, { description: 'Leave it out on the introduction.', examples: ['Understanding Lower Back Pain'] })),
    blocks: Type.Array(ref(BlockInput), { maxItems: 500 }),
  },
  { $id: 'SectionInput', additionalProperties: false, description: 'A section as an editor writes it; its slug is derived from its heading.' },
)

/**
 * The most list items one article may hold, all its lists together, whether sent as JSON or imported.
 * Every item of a technique or benefit list is a row of its own in the catalog and the search index,
 * kept by triggers in the write's transaction: 500 items are written in ~20-40 ms on a loaded 2-core
 * machine; the 4,000 the JSON body limit let through held the event loop for ~0.4-1 s.
 */
export const MAX_ARTICLE_LIST_ITEMS = 500

const writableProperties = {
  title: Written(150, { examples: ['Hot Stone Massage for Stiff Shoulders'] }),
  slug: Type.Optional({ ...SlugParam, description: 'The URL slug; derived from the title when left out.' }),
  status: Type.Optional(ArticleStatus),
  publishedAt: Type.Optional({
    ...Timestamp,
    description: 'When the article is (or was) published: in the future for `scheduled`, now or earlier for `published` (default: now); drafts have none.',
  }),
  sections: Type.Array(ref(SectionInput), { maxItems: 200, description: `The body; summary, counts, techniques and benefits are derived from it. At most ${MAX_ARTICLE_LIST_ITEMS} list items in all its lists together (400 problem).` }),
}

export const NewArticle = Type.Object(
  { ...writableProperties, status: Type.Optional({ ...ArticleStatus, default: 'draft' }), sections: Type.Optional({ ...writableProperties.sections, default: [] }) },
  { $id: 'NewArticle', additionalProperties: false, description: 'A new article; a `draft` unless `status` says otherwise.' },
)

export const ArticleChanges = Type.Partial(Type.Object(writableProperties), {
  $id: 'ArticleChanges',
  additionalProperties: false,
  minProperties: 1,
  description: 'The fields to change; the others keep their values. `sections` replaces the whole body.',
})

export const EntryInput = Type.Object(
  { name: Written(200, { examples: ['Deep Pressure'] }), description: Written(5000) },
  { $id: 'EntryInput', additionalProperties: false, description: 'A technique or benefit to list; its position and slug are derived.' },
)

const revisionProperties = {
  id: Type.Integer({ minimum: 1, examples: [3] }),
  version: Type.Integer({ minimum: 1, description: 'The article\'s version this revision was.', examples: [2] }),
  slug: { ...SlugParam, description: 'The slug the article had then; a restore keeps the current one.' },
  title: Type.String(),
  status: ArticleStatus,
  publishedAt: Nullable(Timestamp),
  savedAt: { ...Timestamp, description: 'When this version was saved.' },
  replacedAt: { ...Timestamp, description: 'When the next version replaced it.' },
}

export const RevisionSummary = Type.Object(revisionProperties, {
  $id: 'RevisionSummary',
  additionalProperties: false,
  description: 'A version an article had before a change, without its body.',
})

export const Revision = Type.Object(
  { ...revisionProperties, sections: Type.Array(ref(Section)) },
  { $id: 'Revision', additionalProperties: false, description: 'A version an article had before a change.' },
)

export type ArticleStatus = Static<typeof ArticleStatus>
export type ArticleSummary = Static<typeof ArticleSummary>
export type Article = Static<typeof Article>
export type NewArticle = Static<typeof NewArticle>
export type ArticleChanges = Static<typeof ArticleChanges>
export type SectionInput = Static<typeof SectionInput>
export type Revision = Static<typeof Revision>
export type RevisionSummary = Static<typeof RevisionSummary>

export const articleComponents = [
  ArticleSummary,
  ListItem,
  ParagraphBlock,
  ListBlock,
  Block,
  Section,
  Article,
  ArticleEntry,
  ItemInput,
  ParagraphInput,
  ListInput,
  BlockInput,
  SectionInput,
  NewArticle,
  ArticleChanges,
  EntryInput,
  RevisionSummary,
  Revision,
]
