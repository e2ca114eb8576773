import { ArticleRepository } from '../articles/repository.js'
import type { CommentStatus } from '../comments/schemas.js'
import { deriveContent } from '../content/derive.js'
import type { Block, ListItem, Section } from '../content/schemas.js'
import { slugify } from '../content/slugify.js'
import type { Queries } from '../db/store.js'
import type { ParsedArticle } from '../parser/parse.js'

/**
 * A deterministic synthetic dataset for benchmarks: articles shaped like the seed (an introduction,
 * headed sections of paragraphs, a techniques list and a benefits list, a conclusion) and reader
 * comments of one to three sentences, some of them replies. The same options give the same rows.
 */
export interface SyntheticOptions {
  articles: number
  comments: number
  /** PRNG seed; the same seed and counts give the same rows. */
  seed?: number
}

export interface SyntheticResult {
  articles: number
  published: number
  comments: number
  approved: number
  replies: number
  /** The article that gets a large share of the comments (the one to page deep into). */
  hotArticleSlug: string | undefined
  hotArticleComments: number
}

/** Share of all comments that go to the newest article, so that one article has deep comment pages. */
export const HOT_ARTICLE_SHARE = 0.05
const REPLY_SHARE = 0.15
const DRAFT_SHARE = 0.02
const FIRST_PUBLICATION = Date.parse('2015-01-01T08:00:00.000Z')
const PUBLICATION_SPAN_MS = 10 * 365 * 24 * 3600 * 1000
const FIRST_COMMENT = Date.parse('2025-01-01T00:00:00.000Z')
const COMMENT_STEP_MS = 7_000

/** sfc32: a small, fast, seedable PRNG; returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = 0x9e3779b9
  let b = 0x243f6a88
  let c = 0xb7e15162
  let d = seed >>> 0
  const next = () => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    let t = (a + b) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    d = (d + 1) | 0
    t = (t + d) | 0
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 12; i++) next()
  return next
}

const TECHNIQUES = [
  'Deep Pressure', 'Friction', 'Stripping', 'Trigger Point Therapy', 'Myofascial Release', 'Cross-Fiber Friction', 'Effleurage', 'Petrissage',
  'Tapotement', 'Compression', 'Kneading', 'Stretching', 'Hot Stone Placement', 'Cupping', 'Acupressure', 'Lymphatic Drainage', 'Reflexology Points',
  'Vibration', 'Rocking', 'Muscle Energy Technique', 'Positional Release', 'Skin Rolling', 'Forearm Gliding', 'Thumb Walking',
]
const BENEFITS = [
  'Pain Relief', 'Improved Blood Circulation', 'Increased Flexibility', 'Stress Reduction', 'Better Posture', 'Faster Recovery', 'Reduced Inflammation',
  'Improved Sleep', 'Muscle Relaxation', 'Scar Tissue Breakdown', 'Lower Blood Pressure', 'Enhanced Mobility', 'Mood Improvement', 'Headache Relief',
  'Reduced Anxiety', 'Stronger Immunity', 'Better Breathing', 'Joint Health',
]
const STYLES = ['Deep Tissue', 'Swedish', 'Hot Stone', 'Sports', 'Aromatherapy', 'Prenatal', 'Thai', 'Shiatsu', 'Reflexology', 'Trigger Point', 'Lymphatic', 'Myofascial']
const AREAS = ['Lower Back', 'Neck', 'Shoulder', 'Hip', 'Knee', 'Upper Back', 'Calf', 'Foot', 'Jaw', 'Hamstring', 'Wrist', 'Sciatic']
const CONCERNS = ['Pain', 'Tension', 'Stiffness', 'Recovery', 'Injuries', 'Strain', 'Soreness', 'Mobility']
const HEADINGS = [
  'Understanding {area} {concern}', 'How {style} Massage Works', 'What to Expect During a Session', 'Who Should Try {style} Massage?',
  'Preparing for Your Appointment', 'Aftercare and Self-Care Tips', 'How Often Should You Book?', 'Risks and Precautions',
  'Combining Massage with Exercise', 'The Science Behind the Touch',
]
const SUBJECTS = [
  'A skilled therapist', 'Regular massage', 'This approach', 'Deep tissue work', 'Gentle pressure', 'Many clients', 'Targeted treatment',
  'Your body', 'Consistent care', 'A tailored session', 'Chronic tension', 'Poor posture', 'Long hours at a desk', 'Stretching at home',
]
const VERBS = [
  'can relieve', 'helps to release', 'gradually reduces', 'often improves', 'may ease', 'works on', 'directly targets', 'supports',
  'breaks down', 'encourages', 'restores', 'calms', 'loosens', 'strengthens',
]
const OBJECTS = [
  'the deeper layers of muscle', 'knots in the connective tissue', 'the tension that builds up over the week', 'blood flow to tired muscles',
  'the range of motion in stiff joints', 'the stress hormones in your body', 'adhesions around old injuries', 'the fascia along the spine',
  'chronic aches and discomfort', 'the muscles that support your posture', 'your overall sense of well-being', 'the pressure on irritated nerves',
]
const TAILS = [
  'over several sessions', 'when combined with rest and hydration', 'for people of all ages', 'without the need for medication',
  'in a calm and quiet setting', 'as part of a wider treatment plan', 'after only a few visits', 'especially after intense exercise',
  'when the pressure is adjusted to your comfort', 'and the effects often last for days',
]
const COMMENT_SENTENCES = [
  'This was really helpful, thank you!', 'I tried this after reading your post and my back feels so much better.', 'Does this also work for sciatica?',
  'How long should a session last for the best results?', 'My therapist uses the stripping technique and it works wonders.',
  'I was sceptical at first, but the difference is real.', 'Is it normal to feel sore the day after a deep tissue massage?',
  'Great explanation of the benefits.', 'I book a session every two weeks and my posture has improved a lot.', 'Could you write more about hot stone massage?',
  'The part about hydration afterwards is so important.', 'I’ve had neck pain for years and this gave me hope.', 'Thanks for sharing your experience.',
  'Would you recommend this during pregnancy?', 'Clear and easy to follow.', 'My physiotherapist said the same thing about trigger points.',
]
const FIRST_NAMES = ['Maya', 'Liam', 'Sofia', 'Noah', 'Aisha', 'Lucas', 'Emma', 'Kenji', 'Olivia', 'Mateo', 'Zara', 'Ethan', 'Chloé', 'Ravi', 'Hannah', 'Omar']
const LAST_INITIALS = 'ABCDEFGHJKLMNPRSTVWZ'

class Text {
  constructor(private readonly random: () => number) {}

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1))
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!
  }

  /** Distinct items, in a random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items]
    const chosen: T[] = []
    while (chosen.length < count && pool.length > 0) chosen.push(pool.splice(Math.floor(this.random() * pool.length), 1)[0]!)
    return chosen
  }

  sentence(): string {
    return `${this.pick(SUBJECTS)} ${this.pick(VERBS)} ${this.pick(OBJECTS)} ${this.pick(TAILS)}.`
  }

  paragraph(min = 3, max = 6): string {
    return Array.from({ length: this.int(min, max) }, () => this.sentence()).join(' ')
  }
}

const paragraph = (text: string): Block => ({ type: 'paragraph', text })

function listBlock(kind: 'techniques' | 'benefits', names: string[], text: Text): Block {
  const items: ListItem[] = names.map((name, index) => ({ position: index + 1, name, slug: slugify(name), description: text.sentence() }))
  return { type: 'list', kind, items }
}

/** One article in the seed's shape; `index` makes its title (and slug) unique. */
export function syntheticArticle(index: number, text: Text): ParsedArticle {
  const style = text.pick(STYLES)
  const area = text.pick(AREAS)
  const concern = text.pick(CONCERNS)
  const title = `${style} Massage for ${area} ${concern}, Part ${index}`
  const fill = (heading: string) => heading.replace('{style}', style).replace('{area}', area).replace('{concern}', concern)
  const sections: Section[] = [{ slug: 'introduction', blocks: [paragraph(text.paragraph(3, 4)), paragraph(text.paragraph(2, 3))] }]
  const headings = text.sample(HEADINGS, text.int(3, 5)).map(fill)
  headings.splice(1, 0, `Techniques Used in ${style} Massage`)
  headings.splice(3, 0, `Benefits of ${style} Massage for ${area} ${concern}`)
  headings.push('Conclusion')
  for (const heading of headings) {
    const blocks: Block[] = []
    if (heading.startsWith('Techniques Used')) {
      blocks.push(paragraph(text.paragraph(1, 2)), listBlock('techniques', text.sample(TECHNIQUES, text.int(4, 7)), text))
    } else if (heading.startsWith('Benefits of')) {
      blocks.push(listBlock('benefits', text.sample(BENEFITS, text.int(4, 7)), text), paragraph(text.paragraph(1, 2)))
    } else {
      for (let p = text.int(1, 3); p > 0; p--) blocks.push(paragraph(text.paragraph()))
    }
    sections.push({ heading, slug: slugify(heading), blocks })
  }
  return { title, slug: slugify(title), sections, ...deriveContent(sections) }
}

function commentStatus(roll: number): CommentStatus {
  if (roll < 0.9) return 'approved'
  if (roll < 0.96) return 'pending'
  return roll < 0.99 ? 'spam' : 'rejected'
}

/** Rows per INSERT: ten parameters each, well under either engine's limit on one statement's parameters. */
const COMMENT_BATCH = 100
const ARTICLE_ID = 'SELECT id FROM articles WHERE slug = ?'
const COMMENT_COLUMNS = '(id, article_id, parent_id, author_name, author_email, author_url, body, status, created_at, updated_at)'

/**
 * Fills a migrated store with the synthetic dataset in one transaction. The store must have no
 * article yet. Articles go through the app's own repository; comments in batches of multi-row
 * inserts with their ids given (replies name their parent's), the comments' triggers set aside: they
 * rewrite the article row (its whole document) for every approved comment, far too slow for a
 * million rows, so the counts are computed once, set-wise, after the load.
 */
export async function generateSynthetic(store: Queries, options: SyntheticOptions): Promise<SyntheticResult> {
  if (!(await new ArticleRepository(store).isEmpty())) throw new Error('the database already has articles; synthetic data goes into an empty database')
  const text = new Text(prng(options.seed ?? 1))
  const result: SyntheticResult = { articles: options.articles, published: 0, comments: options.comments, approved: 0, replies: 0, hotArticleSlug: undefined, hotArticleComments: 0 }
  await store.transaction(async (tx) => {
    const articles = new ArticleRepository(tx)
    const restoreTriggers = await setCommentTriggersAside(tx)
    // Publication times grow with the index: the last article is the newest, the list's first item.
    const step = options.articles > 1 ? PUBLICATION_SPAN_MS / (options.articles - 1) : 0
    const articleIds: number[] = []
    for (let index = 1; index <= options.articles; index++) {
      const article = syntheticArticle(index, text)
      const publish = index === options.articles || text.int(0, 999) >= DRAFT_SHARE * 1000
      if (publish) result.published++
      await articles.save(article, { publish, now: new Date(FIRST_PUBLICATION + Math.round((index - 1) * step)) })
      articleIds.push((await tx.get<{ id: number }>(ARTICLE_ID, [article.slug]))!.id)
      if (index === options.articles) result.hotArticleSlug = article.slug
    }
    // Ids continue after any comment a deleted article took with it; the rows are made in memory first.
    const firstId = ((await tx.get<{ last: number | null }>('SELECT max(id) AS last FROM comments'))?.last ?? 0) + 1
    const lastApproved = new Map<number, number>()
    let batch: unknown[] = []
    const flush = async () => {
      const rows = batch.length / 10
      await tx.run(`INSERT INTO comments ${COMMENT_COLUMNS} VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, batch)
      batch = []
    }
    for (let n = 1; n <= options.comments; n++) {
      const hot = text.int(0, 9999) < HOT_ARTICLE_SHARE * 10000
      const articleIndex = hot ? options.articles : text.int(1, options.articles)
      if (articleIndex === options.articles) result.hotArticleComments++
      const articleId = articleIds[articleIndex - 1]!
      const status = commentStatus(text.int(0, 99) / 100)
      const parent = lastApproved.get(articleId)
      const parentId = parent !== undefined && text.int(0, 99) < REPLY_SHARE * 100 ? parent : null
      const first = text.pick(FIRST_NAMES)
      const name = `${first} ${text.pick([...LAST_INITIALS])}.`
      const url = text.int(0, 9) === 0 ? `https://${first.toLowerCase().normalize('NFKD').replace(/[^a-z]/g, '')}${n}.example` : null
      const body = Array.from({ length: text.int(1, 3) }, () => text.pick(COMMENT_SENTENCES)).join(' ')
      const at = new Date(FIRST_COMMENT + n * COMMENT_STEP_MS).toISOString()
      const id = firstId + n - 1
      batch.push(id, articleId, parentId, name, `reader${n}@example.com`, url, body, status, at, at)
      if (batch.length === COMMENT_BATCH * 10) await flush()
      if (status === 'approved') {
        result.approved++
        lastApproved.set(articleId, id)
        if (parentId !== null) result.replies++
      }
    }
    if (batch.length > 0) await flush()
    await tx.run("UPDATE articles SET comment_count = (SELECT count(*) FROM comments WHERE article_id = articles.id AND status = 'approved')")
    await tx.run(`UPDATE comments SET reply_count = (SELECT count(*) FROM comments AS r WHERE r.parent_id = comments.id AND r.status = 'approved')
        WHERE id IN (SELECT parent_id FROM comments WHERE parent_id IS NOT NULL AND status = 'approved')`)
    await restoreTriggers()
  })
  return result
}

/**
 * Sets the comments' triggers aside for the rest of the transaction; resolves with what puts them
 * back. SQLite drops them and creates them again from their own text; PostgreSQL disables them (a
 * table lock until the commit: nothing else writes comments meanwhile) and moves the comments'
 * identity past the ids given.
 */
async function setCommentTriggersAside(tx: Queries): Promise<() => Promise<void>> {
  if (tx.dialect === 'postgres') {
    await tx.run('ALTER TABLE comments DISABLE TRIGGER USER')
    return async () => {
      await tx.run('ALTER TABLE comments ENABLE TRIGGER USER')
      await tx.run("SELECT setval(pg_get_serial_sequence('comments', 'id'), coalesce((SELECT max(id) FROM comments), 0) + 1, false)")
    }
  }
  const triggers = await tx.all<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'comments' ORDER BY name")
  for (const trigger of triggers) await tx.run(`DROP TRIGGER "${trigger.name}"`)
  return async () => {
    for (const trigger of triggers) await tx.run(trigger.sql)
  }
}
