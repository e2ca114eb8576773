import { readdirSync, readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { countWords } from '../../src/content/derive.js'
import type { Block, ListKind } from '../../src/content/schemas.js'
import { slugify } from '../../src/content/slugify.js'
import { decodeArticleText, ImportError, parseArticle, type ParsedArticle } from '../../src/parser/parse.js'

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const SEED = 'seed/lower-back-pain-deep-tissue-massage.txt'
const FIXTURES = 'test/fixtures/articles'

type ListBlock = Extract<Block, { type: 'list' }>
type Entry = [name: string, slug: string]
/** A list as the tests describe it: the slug of its section, its kind and its item names (null: unnamed). */
type ListShape = [section: string, kind: ListKind, names: (string | null)[]]

const readBytes = (path: string): Buffer => readFileSync(new URL(`../../${path}`, import.meta.url))
const readText = (path: string): string => decodeArticleText(readBytes(path))
const toCrlf = (text: string): string => text.replace(/\r\n/g, '\n').replace(/\n/g, '\r\n')
const toLf = (text: string): string => text.replace(/\r\n/g, '\n')
const range = (n: number): number[] => Array.from({ length: n }, (_, index) => index + 1)

const listsOf = (article: ParsedArticle): { section: string; list: ListBlock }[] =>
  article.sections.flatMap((section) =>
    section.blocks.filter((block): block is ListBlock => block.type === 'list').map((list) => ({ section: section.slug, list })),
  )
const listShapes = (article: ParsedArticle): ListShape[] =>
  listsOf(article).map(({ section, list }) => [section, list.kind, list.items.map((item) => item.name ?? null)])
const headingsOf = (article: ParsedArticle): [string | undefined, string][] =>
  article.sections.map((section) => [section.heading, section.slug])
const paragraphsOf = (article: ParsedArticle, sectionSlug: string): string[] =>
  (article.sections.find((section) => section.slug === sectionSlug)?.blocks ?? []).flatMap((block) =>
    block.type === 'paragraph' ? [block.text] : [],
  )
const entriesOf = (entries: ParsedArticle['techniques']): Entry[] => entries.map((entry) => [entry.name, entry.slug])

/** The ImportError that `fn` throws; anything else thrown fails the test, nothing thrown gives undefined. */
function importErrorFrom(fn: () => unknown): ImportError | undefined {
  try {
    fn()
  } catch (error) {
    if (error instanceof ImportError) return error
    throw error
  }
  return undefined
}

const INTRO =
  'Cupping therapy uses glass or silicone cups to create suction on the skin, lifting the tissue underneath and drawing fresh blood to tight, overworked muscles.'
const BODY =
  'Most clients feel a gentle pulling sensation rather than pain, and the round marks the cups leave behind usually fade within a few days of the session.'

/** A small article around `parts`: a title, one intro paragraph, then the parts, blank lines between. */
const article = (...parts: string[]): string => ['Cupping Therapy Explained', INTRO, ...parts].join('\n\n')

/** Whitespace as names and headings must have it: single spaces (no NBSP), none at the ends. */
const normalised = (text: string): string => text.replace(/\s+/g, ' ').trim()

/** What every parsed article must satisfy, whatever its text. */
function checkInvariants(t: Test, parsed: ParsedArticle): void {
  t.equal(parsed.slug, slugify(parsed.title), 'the article slug derives from the title')
  const slugs = parsed.sections.map((section) => section.slug)
  t.equal(new Set(slugs).size, slugs.length, 'section slugs are unique')
  t.ok(slugs.every((slug) => /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug)), 'section slugs are URL-safe')
  t.ok(parsed.sections.slice(1).every((section) => section.heading !== undefined), 'only the first section may lack a heading')
  const intro = parsed.sections[0]?.heading === undefined ? parsed.sections[0] : undefined
  if (intro) t.equal(intro.slug, 'introduction', 'the intro section is the introduction')
  const headings = parsed.sections.flatMap((section) => (section.heading === undefined ? [] : [section.heading]))
  t.same(headings, headings.map(normalised), 'headings have normalised whitespace')
  const paragraphs = parsed.sections.flatMap((section) => section.blocks.flatMap((block) => (block.type === 'paragraph' ? [block.text] : [])))
  t.ok(paragraphs.every((text) => text.length > 0 && text === text.trim() && !/[\r\n]/.test(text)), 'paragraphs are trimmed single lines')

  const lists = listsOf(parsed).map(({ list }) => list)
  t.same(lists.map((list) => list.items.map((item) => item.position)), lists.map((list) => range(list.items.length)), 'list positions run 1..n')
  const items = lists.flatMap((list) => list.items)
  const names = items.flatMap((item) => (item.name === undefined ? [] : [item.name]))
  t.ok(items.every((item) => item.description === item.description.trim()), 'item descriptions are trimmed (NBSP too)')
  t.ok(items.every((item) => item.name !== undefined || item.slug === undefined), 'an unnamed item has no slug')
  t.same(names, names.map(normalised), 'item names have normalised whitespace (NBSP too)')
  t.same(items.flatMap((item) => (item.name === undefined ? [] : [item.slug])), names.map(slugify), 'item slugs derive from their names')

  for (const kind of ['techniques', 'benefits'] as const) {
    const fromLists = lists
      .filter((list) => list.kind === kind)
      .flatMap((list) => list.items.flatMap((item) => (item.name && item.slug ? [[item.name, item.slug] as Entry] : [])))
    t.same(entriesOf(parsed[kind]), fromLists, `the ${kind} are the named items of the ${kind} lists, in order`)
    t.same(parsed[kind].map((entry) => entry.position), range(parsed[kind].length), `${kind} positions run 1..n`)
  }
  const firstIntroParagraph = intro?.blocks.find((block) => block.type === 'paragraph')
  if (firstIntroParagraph?.type === 'paragraph') t.equal(parsed.summary, firstIntroParagraph.text, 'the summary is the first intro paragraph')
  t.ok(parsed.wordCount > 0, 'words are counted')
  t.equal(parsed.readingTimeMinutes, Math.max(1, Math.ceil(parsed.wordCount / 200)), 'reading time is words / 200, rounded up')
}

// ---------------------------------------------------------------------------------------------
// The seed article and the fixture articles
// ---------------------------------------------------------------------------------------------

/** Page chrome that none of the articles may carry into its output. */
const COMMON_CHROME = ['Recommended Posts', 'No comment yet', 'add your voice below', 'Add a Comment', 'Your email address', 'Required fields are marked']

interface ArticleCase {
  file: string
  lineEndings: 'LF' | 'CRLF'
  /** What the raw file shows that the parsed result cannot: proof that the file exercises a variation. */
  exercises: Record<string, RegExp>
  title: string
  slug: string
  summary: string
  sections: [heading: string | undefined, slug: string][]
  lists: ListShape[]
  techniques: Entry[]
  benefits: Entry[]
  /** Chrome strings of this file, on top of COMMON_CHROME. */
  chrome: string[]
  /** Source text that must come through verbatim (spelling, typography, joined hard wraps). */
  verbatim: string[]
}

const cases: ArticleCase[] = [
  {
    file: SEED,
    lineEndings: 'LF',
    exercises: {
      'every item numbered 1.': /^ {2}1\. .*\n {2}1\. .*\n {2}1\. /m,
      'a no-break space after the colon': /^ {2}1\. Deep Pressure:\u00A0The/m,
      'the seed chrome': /Recommended Posts\n\nNo comment yet, add your voice below!\n\n\nAdd a Comment\n/,
    },
    title: 'Lower Back Pain Deep Tissue Massage',
    slug: 'lower-back-pain-deep-tissue-massage',
    summary:
      'Lower back pain can be debilitating, affecting your daily activities and overall quality of life. Lower back deep tissue massage could be the answer if you’re searching for an effective solution to relieve your lower back pain. Deep tissue massage targets the deeper layers of muscles and connective tissues, providing therapeutic benefits and addressing the root causes of back pain.',
    sections: [
      [undefined, 'introduction'],
      ['Understanding Lower Back Pain', 'understanding-lower-back-pain'],
      ['Back Pain Deep Tissue Massage: A Targeted Approach', 'back-pain-deep-tissue-massage-a-targeted-approach'],
      ['Techniques Used in Deep Tissue Massage', 'techniques-used-in-deep-tissue-massage'],
      ['The Science Behind Deep Tissue Massage: How It Works', 'the-science-behind-deep-tissue-massage-how-it-works'],
      ['Benefits of Deep Tissue Massage for Lower Back Pain', 'benefits-of-deep-tissue-massage-for-lower-back-pain'],
      ['Conclusion', 'conclusion'],
    ],
    lists: [
      ['techniques-used-in-deep-tissue-massage', 'techniques', ['Deep Pressure', 'Friction', 'Stripping', 'Trigger Point Therapy']],
      [
        'benefits-of-deep-tissue-massage-for-lower-back-pain',
        'benefits',
        ['Pain Relief', 'Improved Blood Circulation', 'Increased Flexibility and Range of Motion', 'Stress Reduction', 'Injury Rehabilitation'],
      ],
    ],
    techniques: [
      ['Deep Pressure', 'deep-pressure'],
      ['Friction', 'friction'],
      ['Stripping', 'stripping'],
      ['Trigger Point Therapy', 'trigger-point-therapy'],
    ],
    benefits: [
      ['Pain Relief', 'pain-relief'],
      ['Improved Blood Circulation', 'improved-blood-circulation'],
      ['Increased Flexibility and Range of Motion', 'increased-flexibility-and-range-of-motion'],
      ['Stress Reduction', 'stress-reduction'],
      ['Injury Rehabilitation', 'injury-rehabilitation'],
    ],
    chrome: [],
    verbatim: ['adhesion’s', 'you’re searching', 'Deep tissue massage offers several benefits for relieving lower back pain:'],
  },
  {
    file: `${FIXTURES}/hot-stone-massage.txt`,
    lineEndings: 'CRLF',
    exercises: {
      'every item numbered 1.': /^ {2}1\. .*\r\n {2}1\. .*\r\n {2}1\. /m,
      'a no-break space after the colon': /^ {2}1\. Kneading:\u00A0Smaller/m,
      'a doubled space inside an item name': /Gliding {2}Strokes:/,
      'no-break spaces inside an item name': /Hot\u00A0and\u00A0Cold Contrast:/,
      'related post titles after the chrome heading': /Related Posts\r\n\r\nPrenatal Massage: What Every Mother-to-Be Should Know\r\nSports/,
    },
    title: 'Hot Stone Massage: Benefits, Techniques and What to Expect',
    slug: 'hot-stone-massage-benefits-techniques-and-what-to-expect',
    summary:
      'Few spa treatments feel as indulgent as a hot stone massage. Smooth, heated basalt stones glide over tired muscles and melt away tension that ordinary hands-on work can take much longer to reach, leaving you warm, calm and deeply relaxed.',
    sections: [
      [undefined, 'introduction'],
      ['What Is Hot Stone Massage?', 'what-is-hot-stone-massage'],
      ['Hot Stone Massage: How the Heat Helps', 'hot-stone-massage-how-the-heat-helps'],
      ['Techniques Used in Hot Stone Massage', 'techniques-used-in-hot-stone-massage'],
      ['Benefits of Hot Stone Massage', 'benefits-of-hot-stone-massage'],
      ['Is Hot Stone Massage Safe?', 'is-hot-stone-massage-safe'],
      ['Conclusion', 'conclusion'],
    ],
    lists: [
      ['techniques-used-in-hot-stone-massage', 'techniques', ['Stone Placement', 'Gliding Strokes', 'Hot and Cold Contrast', 'Kneading']],
      ['benefits-of-hot-stone-massage', 'benefits', ['Muscle Relaxation', 'Better Sleep', 'Stress and Anxiety Relief', 'Improved Circulation']],
    ],
    techniques: [
      ['Stone Placement', 'stone-placement'],
      ['Gliding Strokes', 'gliding-strokes'],
      ['Hot and Cold Contrast', 'hot-and-cold-contrast'],
      ['Kneading', 'kneading'],
    ],
    benefits: [
      ['Muscle Relaxation', 'muscle-relaxation'],
      ['Better Sleep', 'better-sleep'],
      ['Stress and Anxiety Relief', 'stress-and-anxiety-relief'],
      ['Improved Circulation', 'improved-circulation'],
    ],
    chrome: [
      'Related Posts',
      'Mother-to-Be',
      'Sports Massage for Runners',
      'Leave a Reply',
      'Cancel reply',
      'Comment *',
      'Name *',
      'Email *',
      'Website',
      'Save my name',
      'Post Comment',
    ],
    verbatim: ['we’ll look', '50–55 °C', 'therapist’s hands'],
  },
  {
    file: `${FIXTURES}/prenatal-massage.txt`,
    lineEndings: 'LF',
    exercises: {
      'items numbered 1. 2. 3.': /^ {2}1\. .*\n {2}2\. .*\n {2}3\. /m,
      'a plain space after the colon': /^ {2}1\. Side-Lying Positioning: Instead/m,
      'no no-break space anywhere': /^[^\u00A0]*$/,
      'a title ending in a question and going on': /^Is Prenatal Massage Safe\? A Guide/,
      'reader comments after "3 Comments"': /\n3 Comments\n\nPriya S\.\nMarch 14, 2024 at 9:12 am\n/,
    },
    title: 'Is Prenatal Massage Safe? A Guide for Expectant Mothers',
    slug: 'is-prenatal-massage-safe-a-guide-for-expectant-mothers',
    summary:
      'Pregnancy is an exciting time, but the extra weight, shifting posture and hormonal changes can leave your back, hips and legs aching. Prenatal massage is a gentle, nurturing treatment designed to ease those discomforts and give you an hour that is just for you.',
    sections: [
      [undefined, 'introduction'],
      ['Why Prenatal Massage Matters', 'why-prenatal-massage-matters'],
      ['What Happens During a Session', 'what-happens-during-a-session'],
      ['Benefits for Mother and Baby', 'benefits-for-mother-and-baby'],
      ['When Should You Avoid Prenatal Massage?', 'when-should-you-avoid-prenatal-massage'],
      ['What to Bring', 'what-to-bring'],
      ['Final Thoughts', 'final-thoughts'],
    ],
    lists: [
      // The heading speaks of neither; "…a few gentle techniques…:" decides.
      ['what-happens-during-a-session', 'techniques', ['Side-Lying Positioning', 'Effleurage', 'Gentle Petrissage', 'Lymphatic Drainage']],
      ['benefits-for-mother-and-baby', 'benefits', ['Reduced Back and Hip Pain', 'Less Swelling', 'Better Sleep', 'Lower Stress Hormones']],
      ['what-to-bring', 'other', ['Comfortable Clothing', 'Your Doctor’s Note', 'A Water Bottle']],
    ],
    techniques: [
      ['Side-Lying Positioning', 'side-lying-positioning'],
      ['Effleurage', 'effleurage'],
      ['Gentle Petrissage', 'gentle-petrissage'],
      ['Lymphatic Drainage', 'lymphatic-drainage'],
    ],
    benefits: [
      ['Reduced Back and Hip Pain', 'reduced-back-and-hip-pain'],
      ['Less Swelling', 'less-swelling'],
      ['Better Sleep', 'better-sleep'],
      ['Lower Stress Hormones', 'lower-stress-hormones'],
    ],
    chrome: ['3 Comments', 'Priya S.', 'March 14, 2024', 'booked my first session', 'Danielle', 'comfier', 'Reply'],
    verbatim: [
      'Your therapist will adapt a few gentle techniques to keep you and your baby comfortable:',
      'Pack these few things for your appointment:',
      'when it’s best to wait',
    ],
  },
  {
    file: `${FIXTURES}/sports-massage.txt`,
    lineEndings: 'LF',
    exercises: {
      'an item hard-wrapped onto an indented line': /tired legs\n {5}and reduce/,
      'no chrome: the article ends with its last paragraph': /fits your training calendar\.\n$/,
      'the same heading twice': /\nTechniques\n[^]*\nTechniques\n/,
    },
    title: 'Sports Massage for Runners: Before and After the Race',
    slug: 'sports-massage-for-runners-before-and-after-the-race',
    summary:
      'Whether you are training for your first 5K or your tenth marathon, sports massage can help you run stronger and recover faster. It is not just for elite athletes: anyone who puts their body through regular training can benefit from a therapist who understands how muscles respond to exercise.',
    sections: [
      [undefined, 'introduction'],
      ['Pre-Event Massage', 'pre-event-massage'],
      ['Techniques', 'techniques'],
      ['Post-Event Massage', 'post-event-massage'],
      ['Techniques', 'techniques-2'],
      ['Benefits for Runners', 'benefits-for-runners'],
      ['Aftercare Tips', 'aftercare-tips'],
      ['Final Word', 'final-word'],
    ],
    lists: [
      ['techniques', 'techniques', ['Compression', 'Rapid Effleurage', 'Tapotement']],
      ['techniques-2', 'techniques', ['Flushing Strokes', 'Myofascial Release', 'Assisted Stretching']],
      ['benefits-for-runners', 'benefits', ['Faster Recovery', 'Fewer Injuries', 'Better Range of Motion']],
      ['aftercare-tips', 'other', [null, null, null]],
    ],
    techniques: [
      ['Compression', 'compression'],
      ['Rapid Effleurage', 'rapid-effleurage'],
      ['Tapotement', 'tapotement'],
      ['Flushing Strokes', 'flushing-strokes'],
      ['Myofascial Release', 'myofascial-release'],
      ['Assisted Stretching', 'assisted-stretching'],
    ],
    benefits: [
      ['Faster Recovery', 'faster-recovery'],
      ['Fewer Injuries', 'fewer-injuries'],
      ['Better Range of Motion', 'better-range-of-motion'],
    ],
    chrome: [],
    verbatim: [
      'out of tired legs and reduce the heavy feeling',
      'Drink plenty of water in the hours after your massage.',
      'Talk to our therapists about a plan that fits your training calendar.',
    ],
  },
  {
    file: `${FIXTURES}/reflexology.txt`,
    lineEndings: 'LF',
    exercises: {
      'hard-wrapped paragraphs': /specific points\non the feet, hands and ears\. Practitioners believe these reflex points\ncorrespond/,
      'benefits numbered 1. 2. 3. with a no-break space': /^ {2}1\. Deep Relaxation:\u00A0.*\n {2}2\. Reduced Anxiety:\u00A0/m,
      'techniques all numbered 1. with a plain space': /^ {2}1\. Thumb Walking: .*\n {2}1\. Finger Walking: /m,
      'the chrome split over two lines': /Your email address will not be published\.\nRequired fields are marked \*\n$/,
    },
    title: 'Reflexology: Pressure Points, Benefits and What to Expect',
    slug: 'reflexology-pressure-points-benefits-and-what-to-expect',
    summary:
      'Reflexology is a gentle therapy that applies pressure to specific points on the feet, hands and ears. Practitioners believe these reflex points correspond to organs and systems throughout the body, and that working them can help the whole body relax and rebalance.',
    sections: [
      [undefined, 'introduction'],
      ['How Does Reflexology Work?', 'how-does-reflexology-work'],
      ['Reflexology vs. Massage: What’s the Difference', 'reflexology-vs-massage-whats-the-difference'],
      ['What the Research Says', 'what-the-research-says'],
      ['Techniques Your Reflexologist May Use', 'techniques-your-reflexologist-may-use'],
      ['Tips for Your First Session', 'tips-for-your-first-session'],
      ['Conclusion', 'conclusion'],
    ],
    lists: [
      // The heading speaks of neither; "…point to several benefits:" decides.
      ['what-the-research-says', 'benefits', ['Deep Relaxation', 'Reduced Anxiety', 'Pain Relief', 'Improved Sleep']],
      ['techniques-your-reflexologist-may-use', 'techniques', ['Thumb Walking', 'Finger Walking', 'Hook and Back Up', 'Rotation on a Point']],
    ],
    techniques: [
      ['Thumb Walking', 'thumb-walking'],
      ['Finger Walking', 'finger-walking'],
      ['Hook and Back Up', 'hook-and-back-up'],
      ['Rotation on a Point', 'rotation-on-a-point'],
    ],
    benefits: [
      ['Deep Relaxation', 'deep-relaxation'],
      ['Reduced Anxiety', 'reduced-anxiety'],
      ['Pain Relief', 'pain-relief'],
      ['Improved Sleep', 'improved-sleep'],
    ],
    chrome: ['You May Also Like', 'Hot Stone Massage', 'Aromatherapy Massage and Essential Oils', 'Leave a Comment'],
    verbatim: [
      'Reflexology is based on the idea that the feet and hands hold a map of the body. A trained reflexologist uses their thumbs and fingers to apply pressure to points on that map, aiming to release tension and encourage the body’s natural healing processes.',
      'Small studies and client surveys point to several benefits:',
    ],
  },
  {
    file: `${FIXTURES}/aromatherapy-massage.txt`,
    lineEndings: 'LF',
    exercises: {
      'items numbered 1. 2. 3.': /^ {2}1\. Lavender: .*\n {2}2\. Eucalyptus: .*\n {2}3\. /m,
      'unnamed items': /^ {2}1\. Ask for a patch test/m,
      'sharing links and a comment count as chrome': /Share this:\n\nFacebook\n\nPinterest\n\n0 Comments\n\nLeave a comment\n$/,
    },
    title: 'Aromatherapy Massage and Essential Oils',
    slug: 'aromatherapy-massage-and-essential-oils',
    summary:
      'Aromatherapy massage combines the physical benefits of massage with the soothing scents of essential oils. The result is a treatment that works on body and mind at the same time, easing tight muscles while the aromas lift your mood or help you wind down.',
    sections: [
      [undefined, 'introduction'],
      ['How Does Aromatherapy Massage Work?', 'how-does-aromatherapy-massage-work'],
      ['Popular Essential Oils', 'popular-essential-oils'],
      ['Application Methods', 'application-methods'],
      ['Benefits of Aromatherapy Massage', 'benefits-of-aromatherapy-massage'],
      ['Safety First: Patch Testing and Pregnancy', 'safety-first-patch-testing-and-pregnancy'],
      ['The Final Word', 'the-final-word'],
    ],
    lists: [
      ['popular-essential-oils', 'other', ['Lavender', 'Eucalyptus', 'Peppermint', 'Ylang-Ylang']],
      ['application-methods', 'techniques', ['Swedish Massage Strokes', 'Acupressure', 'Warm Compress']],
      ['benefits-of-aromatherapy-massage', 'benefits', ['Deeper Relaxation', 'Mood Support', 'Headache Relief']],
      ['safety-first-patch-testing-and-pregnancy', 'other', [null, null]],
    ],
    techniques: [
      ['Swedish Massage Strokes', 'swedish-massage-strokes'],
      ['Acupressure', 'acupressure'],
      ['Warm Compress', 'warm-compress'],
    ],
    benefits: [
      ['Deeper Relaxation', 'deeper-relaxation'],
      ['Mood Support', 'mood-support'],
      ['Headache Relief', 'headache-relief'],
    ],
    chrome: ['Popular Posts', 'Share this', 'Facebook', 'Pinterest', '0 Comments', 'Leave a comment'],
    verbatim: ['Each oil has its own character, so your therapist will help you choose a blend:', 'Avoid strong sunlight for twelve hours after citrus oils have been applied.'],
  },
  {
    file: `${FIXTURES}/cupping-therapy.txt`,
    lineEndings: 'LF',
    exercises: {
      'a byline right under the title': /^Cupping Therapy for Tight Shoulders\nPosted on March 3, 2025 by Serenity Spa Team\n\n/,
      'a technique hard-wrapped onto two unindented lines': /across the\nshoulders and leaves them in place for five to ten minutes while the suction\nworks on the muscle\./,
      'a benefit whose second sentence is on the next line': /cannot reach\.\nMost clients/,
      'a bullet of another list wrapped onto an unindented line': /heavy one, and\navoid alcohol/,
      'a no-break space after the colon': /Static Cupping:\u00A0The/,
    },
    title: 'Cupping Therapy for Tight Shoulders',
    slug: 'cupping-therapy-for-tight-shoulders',
    summary:
      'Cupping therapy uses glass or silicone cups to lift the skin and the tissue beneath it, easing tight shoulders that desk work and stress leave behind.',
    sections: [
      [undefined, 'introduction'],
      ['Cupping Techniques We Use', 'cupping-techniques-we-use'],
      ['Benefits of Cupping', 'benefits-of-cupping'],
      ['Before Your Session', 'before-your-session'],
      ['Final Thoughts', 'final-thoughts'],
    ],
    lists: [
      ['cupping-techniques-we-use', 'techniques', ['Static Cupping', 'Moving Cupping', 'Flash Cupping']],
      ['benefits-of-cupping', 'benefits', ['Looser Muscles', 'Better Circulation']],
      ['before-your-session', 'other', [null, null]],
    ],
    techniques: [
      ['Static Cupping', 'static-cupping'],
      ['Moving Cupping', 'moving-cupping'],
      ['Flash Cupping', 'flash-cupping'],
    ],
    benefits: [
      ['Looser Muscles', 'looser-muscles'],
      ['Better Circulation', 'better-circulation'],
    ],
    chrome: ['Posted on', 'March 3', 'Tags:', 'Share this', 'Facebook', 'Pinterest'],
    verbatim: [
      'The therapist places the cups on the tight spots across the shoulders and leaves them in place for five to ten minutes while the suction works on the muscle.',
      'The lift eases knots that pressure alone cannot reach. Most clients feel the difference the same day.',
      'Drink a glass of water an hour before your appointment.',
      'Eat a light meal, not a heavy one, and avoid alcohol for the rest of the day.',
    ],
  },
  {
    file: `${FIXTURES}/lymphatic-drainage.txt`,
    lineEndings: 'CRLF',
    exercises: {
      'a byline with an author, a date and a reading time': /^Lymphatic Drainage Massage After Surgery\r\nBy Dana Lee \| June 2, 2024 \| 6 min read\r\n/,
      'items hard-wrapped onto unindented CRLF lines': /collarbone,\r\nopening the pathways[^]*fade\r\nfaster\./,
      'a no-break space after the colon': /Less Swelling:\u00A0Fluid/,
    },
    title: 'Lymphatic Drainage Massage After Surgery',
    slug: 'lymphatic-drainage-massage-after-surgery',
    summary: 'Lymphatic drainage massage is a light, rhythmic treatment that helps the body move fluid away from swollen tissue after surgery.',
    sections: [
      [undefined, 'introduction'],
      ['How It Works', 'how-it-works'],
      ['Techniques Used', 'techniques-used'],
      ['Benefits After Surgery', 'benefits-after-surgery'],
    ],
    lists: [
      ['techniques-used', 'techniques', ['Stationary Circles', 'Pump Technique']],
      ['benefits-after-surgery', 'benefits', ['Less Swelling', 'Faster Healing']],
    ],
    techniques: [
      ['Stationary Circles', 'stationary-circles'],
      ['Pump Technique', 'pump-technique'],
    ],
    benefits: [
      ['Less Swelling', 'less-swelling'],
      ['Faster Healing', 'faster-healing'],
    ],
    chrome: ['By Dana Lee', '6 min read', 'Leave a Reply'],
    verbatim: [
      'Flat fingers make slow circles on the neck and collarbone, opening the pathways before the swollen area is touched.',
      'Fluid leaves the area sooner, so bruising and tightness fade faster.',
    ],
  },
]

t.test('the fixture directory holds an article case for every file', async (t) => {
  const files = readdirSync(new URL(`../../${FIXTURES}/`, import.meta.url)).filter((file) => file.endsWith('.txt'))
  t.ok(files.length >= 5, 'at least five fixture articles')
  t.same(files.map((file) => `${FIXTURES}/${file}`).sort(), cases.map((c) => c.file).filter((file) => file.startsWith(FIXTURES)).sort(), 'every fixture file has a case')
})

for (const c of cases) {
  t.test(c.file, async (t) => {
    const raw = readText(c.file)
    const parsed = parseArticle(raw)

    t.test('the file exercises what it claims to', async (t) => {
      if (c.lineEndings === 'CRLF') t.equal(raw.match(/\r\n/g)?.length, raw.match(/\n/g)?.length, 'every line ends in CRLF')
      else t.notOk(raw.includes('\r'), 'every line ends in LF')
      for (const [variation, pattern] of Object.entries(c.exercises)) t.match(raw, pattern, variation)
    })

    t.test('title, slug and summary', async (t) => {
      t.equal(parsed.title, c.title)
      t.equal(parsed.slug, c.slug)
      t.equal(parsed.summary, c.summary)
    })

    t.test('sections, lists, techniques and benefits', async (t) => {
      t.same(headingsOf(parsed), c.sections, 'section headings and slugs')
      t.same(listShapes(parsed), c.lists, 'lists: section, kind and item names')
      t.same(entriesOf(parsed.techniques), c.techniques, 'techniques')
      t.same(entriesOf(parsed.benefits), c.benefits, 'benefits')
    })

    t.test('the page chrome is left out and the text is kept verbatim', async (t) => {
      const json = JSON.stringify(parsed)
      for (const chrome of [...COMMON_CHROME, ...c.chrome]) t.notOk(json.includes(chrome), `no "${chrome}" in the output`)
      for (const text of c.verbatim) t.ok(json.includes(JSON.stringify(text).slice(1, -1)), `"${text}" is kept verbatim`)
    })

    t.test('invariants', async (t) => checkInvariants(t, parsed))

    t.test('LF and CRLF give the same result', async (t) => {
      t.same(parseArticle(toCrlf(raw)), parsed, 'CRLF')
      t.same(parseArticle(toLf(raw)), parsed, 'LF')
    })
  })
}

t.test('the seed article', async (t) => {
  const raw = readText(SEED)
  const parsed = parseArticle(raw)

  t.test('has 6 headed sections after the introduction', async (t) => {
    t.equal(parsed.sections.length, 7)
    t.equal(parsed.sections.filter((section) => section.heading !== undefined).length, 6)
    t.notOk(parsed.sections[0] && 'heading' in parsed.sections[0], 'the intro has no heading')
    t.equal(paragraphsOf(parsed, 'introduction').length, 2, 'two intro paragraphs')
  })

  t.test('keeps the list introduction as a paragraph right before the list', async (t) => {
    const blocks = parsed.sections.find((section) => section.slug === 'benefits-of-deep-tissue-massage-for-lower-back-pain')?.blocks
    t.same(blocks?.map((block) => block.type), ['paragraph', 'list'])
    t.match(blocks?.[0], { type: 'paragraph', text: 'Deep tissue massage offers several benefits for relieving lower back pain:' })
  })

  t.test('strips the no-break space after the colon from descriptions', async (t) => {
    const friction = parsed.techniques.find((entry) => entry.slug === 'friction')
    t.equal(
      friction?.description,
      'Deep tissue massage can break down scar tissue and adhesion’s by applying friction to the affected areas, promoting improved mobility and reducing pain.',
    )
    const descriptions = listsOf(parsed).flatMap(({ list }) => list.items.map((item) => item.description))
    t.ok(descriptions.every((description) => /^\p{Lu}/u.test(description)), 'every description starts with its first word')
  })

  t.test('word count and reading time', async (t) => {
    t.ok(parsed.wordCount > 900, `wordCount ${parsed.wordCount} > 900`)
    t.equal(parsed.readingTimeMinutes, Math.ceil(parsed.wordCount / 200))
    // Independently: the words of the text before the chrome, less the title and the list numbers.
    const body = raw.slice(0, raw.indexOf('Recommended Posts')).replace(/^\s*\d+\.\s/gm, '')
    t.equal(parsed.wordCount, countWords(body) - countWords(parsed.title), 'every word of the body is counted once')
  })

  t.test('a BOM at the start changes nothing', async (t) => {
    t.same(parseArticle(`\uFEFF${raw}`), parsed, 'a BOM in the text')
    t.same(parseArticle(decodeArticleText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readBytes(SEED)]))), parsed, 'a BOM in the bytes')
  })

  t.test('CRLF and LF bytes give deep-equal results', async (t) => {
    t.same(parseArticle(decodeArticleText(Buffer.from(toCrlf(raw), 'utf8'))), parsed)
  })
})

// ---------------------------------------------------------------------------------------------
// Inline edge cases
// ---------------------------------------------------------------------------------------------

t.test('text that is not an article is an ImportError with a clear message', async (t) => {
  const rejected: [input: string, text: string, message: RegExp][] = [
    ['an empty string', '', /empty/],
    ['whitespace only', '  \n\t\r\n \u00A0 \n\n', /empty/],
    ['a title only', 'Hot Stone Massage\n\n', /title but no paragraphs or lists/],
    ['a title and headings only', 'Hot Stone Massage\n\nWhat Is It?\n\nConclusion\n', /title but no paragraphs or lists/],
    ['a title followed by page chrome only', 'Hot Stone Massage\n\nRelated Posts\n\nLeave a Reply\n\n3 Comments\n', /title but no paragraphs or lists/],
    ['a list item as the first line', `  1. Deep Pressure: Firm, sustained pressure.\n\n${INTRO}`, /no title.*Deep Pressure/],
    ['a first line over 150 characters', `${'Deep tissue massage '.repeat(8)}for lower back pain\n\n${INTRO}`, /no title/],
    ['a first line ending in a colon', `Here is what you need to know:\n\n${INTRO}`, /no title/],
    ['a first line without letters', `2024\n\n${INTRO}`, /no title/],
    ['a title without letters or digits a slug can use', `指圧マッサージ\n\n${INTRO}`, /slug/],
    ['a NUL character', `Hot Stone Massage\n\nWarm\u0000stones relax the muscles.`, /binary/],
    ['other control characters', `Hot Stone Massage\u0007\n\n${INTRO}`, /binary/],
    ['a U+FFFD left by a lossy decode', `Hot Stone Massage\n\nWarm stones \uFFFD relax the muscles.`, /binary/],
  ]
  for (const [input, text, message] of rejected) {
    const error = importErrorFrom(() => parseArticle(text))
    t.type(error, ImportError, `${input}: an ImportError`)
    t.match(error?.message, message, `${input}: says why`)
    t.equal(error?.name, 'ImportError', `${input}: named ImportError`)
  }
})

t.test('bytes that are not UTF-8 text are an ImportError', async (t) => {
  const rejected: [input: string, bytes: Uint8Array, message: RegExp][] = [
    ['empty bytes', new Uint8Array(0), /empty/],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x00]), /not UTF-8/],
    ['a truncated multi-byte character', Buffer.from([0x48, 0x6f, 0x74, 0xe2, 0x80]), /not UTF-8/],
    ['Latin-1 text', Buffer.from('Café Crème Massage', 'latin1'), /not UTF-8/],
    ['a PNG image', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]), /not UTF-8/],
    ['valid UTF-8 holding NUL bytes', Buffer.from('Hot Stone Massage\n\n\u0000\u0000\u0001 binary', 'utf8'), /binary/],
  ]
  for (const [input, bytes, message] of rejected) {
    const error = importErrorFrom(() => parseArticle(decodeArticleText(bytes)))
    t.type(error, ImportError, `${input}: an ImportError`)
    t.match(error?.message, message, `${input}: says why`)
  }
  t.equal(decodeArticleText(Buffer.from('Café ’quotes’ — dash', 'utf8')), 'Café ’quotes’ — dash', 'UTF-8 text decodes as is')
  t.equal(decodeArticleText(Buffer.from('\uFEFFHot Stone', 'utf8')), 'Hot Stone', 'a UTF-8 BOM is dropped')
})

t.test('the title is the first non-empty line', async (t) => {
  const accepted: [input: string, text: string, title: string][] = [
    ['after blank lines', `\n\n  \nHot Stone Massage\n\n${INTRO}`, 'Hot Stone Massage'],
    ['with whitespace normalised', `  Hot  Stone\u00A0Massage \t\n\n${INTRO}`, 'Hot Stone Massage'],
    ['ending in a question mark', `Is Hot Stone Massage Safe?\n\n${INTRO}`, 'Is Hot Stone Massage Safe?'],
    ['with a colon inside', `Hot Stone Massage: A Guide\n\n${INTRO}`, 'Hot Stone Massage: A Guide'],
    ['of exactly 150 characters', `${'a'.repeat(150)}\n\n${INTRO}`, 'a'.repeat(150)],
    ['after a BOM', `\uFEFFHot Stone Massage\n\n${INTRO}`, 'Hot Stone Massage'],
  ]
  for (const [input, text, title] of accepted) {
    const parsed = parseArticle(text)
    t.equal(parsed.title, title, input)
    t.same(paragraphsOf(parsed, 'introduction'), [INTRO], `${input}: the title is not part of the body`)
  }
})

t.test('a heading is a short stand-alone line', async (t) => {
  const lines: [line: string, heading: string | undefined][] = [
    ['Understanding Lower Back Pain', 'Understanding Lower Back Pain'],
    ['Cupping: What to Expect', 'Cupping: What to Expect'],
    ['Is Cupping Safe?', 'Is Cupping Safe?'],
    ['“Does Cupping Hurt?”', '“Does Cupping Hurt?”'],
    ['Reflexology vs. Massage', 'Reflexology vs. Massage'],
    ['  What  to\u00A0Bring \t', 'What to Bring'],
    ['Cups are left in place for five to ten minutes.', undefined],
    ['Here is what happens during a session:', undefined],
    ['Cupping is an ancient practice found in traditional Chinese Egyptian and Middle Eastern medicine and still popular with athletes today', undefined],
  ]
  for (const [line, heading] of lines) {
    const parsed = parseArticle(article(line, BODY))
    if (heading === undefined) {
      t.same(headingsOf(parsed), [[undefined, 'introduction']], `"${line}" is no heading`)
      t.same(paragraphsOf(parsed, 'introduction'), [INTRO, line.trim(), BODY], `"${line}" stays a paragraph`)
    } else {
      t.same(headingsOf(parsed), [[undefined, 'introduction'], [heading, slugify(heading)]], `"${line}" is a heading`)
      t.same(paragraphsOf(parsed, slugify(heading)), [BODY], `"${line}" heads the paragraph after it`)
    }
  }
})

t.test('the list kind comes from the heading, else from the sentence that introduces the list', async (t) => {
  const ITEMS = '  1. Static Cupping: The cups stay in one place.\n  1. Moving Cupping:\u00A0Oiled cups glide over the skin.'
  const kinds: [heading: string, introduction: string | undefined, kind: ListKind][] = [
    ['Techniques Used in Cupping', undefined, 'techniques'],
    ['Our Cupping Methods', undefined, 'techniques'],
    ['Key Strokes', undefined, 'techniques'],
    ['Benefits of Cupping', undefined, 'benefits'],
    ['Advantages of Regular Sessions', undefined, 'benefits'],
    ['What to Bring', undefined, 'other'],
    ['What to Expect', 'Your therapist may use either of these techniques:', 'techniques'],
    ['What to Expect', 'Clients often notice these benefits:', 'benefits'],
    ['What to Expect', 'Here is what happens next:', 'other'],
    ['What to Expect', 'Techniques vary from one therapist to the next.', 'other'],
    ['Benefits of Cupping', 'Both of these techniques help:', 'benefits'],
    ['Techniques Used in Cupping', 'Each one brings its own benefits:', 'techniques'],
  ]
  for (const [heading, introduction, kind] of kinds) {
    const parsed = parseArticle(article(heading, ...(introduction ? [introduction] : []), ITEMS))
    const label = `"${heading}"${introduction ? ` + "${introduction}"` : ''}`
    t.same(listShapes(parsed), [[slugify(heading), kind, ['Static Cupping', 'Moving Cupping']]], `${label}: ${kind}`)
    t.same(paragraphsOf(parsed, slugify(heading)), introduction ? [introduction] : [], `${label}: the introduction stays a paragraph`)
    t.equal(parsed.techniques.length, kind === 'techniques' ? 2 : 0, `${label}: techniques`)
    t.equal(parsed.benefits.length, kind === 'benefits' ? 2 : 0, `${label}: benefits`)
  }
})

t.test('a list item is `Name: description` or a bare description', async (t) => {
  const items: [line: string, item: { name?: string; slug?: string; description: string }][] = [
    ['  1. Deep Pressure:\u00A0Firm, sustained pressure.', { name: 'Deep Pressure', slug: 'deep-pressure', description: 'Firm, sustained pressure.' }],
    ['  2. Deep   Pressure : Firm  pressure.', { name: 'Deep Pressure', slug: 'deep-pressure', description: 'Firm  pressure.' }],
    ['1. Hot\u00A0Stone\u00A0Placement:\u00A0\u00A0Warm stones.', { name: 'Hot Stone Placement', slug: 'hot-stone-placement', description: 'Warm stones.' }],
    ['1. Mixing Ratio: 3:1 oil to lotion.', { name: 'Mixing Ratio', slug: 'mixing-ratio', description: '3:1 oil to lotion.' }],
    ['1. Doctor’s Note: Bring one.', { name: 'Doctor’s Note', slug: 'doctors-note', description: 'Bring one.' }],
    ['1. Drink plenty of water afterwards.', { description: 'Drink plenty of water afterwards.' }],
    ['1. Arrive early. Bring this form: it saves time.', { description: 'Arrive early. Bring this form: it saves time.' }],
    ['1. : a colon first', { description: ': a colon first' }],
  ]
  for (const [line, item] of items) {
    const parsed = parseArticle(article('What to Bring', line))
    t.same(listsOf(parsed)[0]?.list.items, [{ position: 1, ...item }], JSON.stringify(line))
  }
})

t.test('hard-wrapped lines', async (t) => {
  t.test('a paragraph wrapped onto lower-case lines is one paragraph', async (t) => {
    const parsed = parseArticle(article('History', 'Cupping has been used for thousands of years\nin China, Egypt and the Middle East\nand is popular with athletes today.'))
    t.same(paragraphsOf(parsed, 'history'), ['Cupping has been used for thousands of years in China, Egypt and the Middle East and is popular with athletes today.'])
  })
  t.test('an item wrapped onto an indented line is one item', async (t) => {
    const parsed = parseArticle(article('Techniques', '  1. Moving Cupping: Oiled cups glide over the\n     skin along the muscle.\n  2. Static Cupping: Cups stay put.'))
    t.same(listShapes(parsed), [['techniques', 'techniques', ['Moving Cupping', 'Static Cupping']]])
    t.equal(parsed.techniques[0]?.description, 'Oiled cups glide over the skin along the muscle.')
  })
  t.test('a wrapped line starting with a capital letter continues the paragraph', async (t) => {
    const parsed = parseArticle(article('History', 'Cupping was popularised in the West in the 2000s and combines the\nChinese technique with modern silicone cups placed along the spine.'))
    t.same(headingsOf(parsed), [[undefined, 'introduction'], ['History', 'history']], 'no heading made from half a sentence')
    t.same(paragraphsOf(parsed, 'history'), ['Cupping was popularised in the West in the 2000s and combines the Chinese technique with modern silicone cups placed along the spine.'], 'one paragraph')
  })
  t.test('a line wrapped after a comma continues the paragraph', async (t) => {
    const parsed = parseArticle(article('History', 'Suction lifts the tissue away from the muscle underneath,\nso blood flows back into the area once the cups come off.'))
    t.same(paragraphsOf(parsed, 'history'), ['Suction lifts the tissue away from the muscle underneath, so blood flows back into the area once the cups come off.'], 'one paragraph')
  })
  t.test('a lower-case line right under the title is not part of the title', async (t) => {
    const parsed = parseArticle(`Cupping Therapy Explained\nby the Serenity Spa team\n\n${INTRO}`)
    t.equal(parsed.title, 'Cupping Therapy Explained', 'the title is the first line')
    t.equal(parsed.slug, 'cupping-therapy-explained', 'the slug comes from the first line')
  })
})

t.test('page chrome', async (t) => {
  const CONCLUSION = `Conclusion\n\n${BODY}`
  const chromeTails: [name: string, tail: string, absent: string[]][] = [
    ['the seed chrome', 'Recommended Posts\n\nNo comment yet, add your voice below!\n\n\nAdd a Comment\n\nYour email address will not be published. Required fields are marked *', ['Recommended Posts', 'Add a Comment']],
    ['related posts and a reply form', 'Related Posts\n\nCupping for Runners\n\nLeave a Reply\n\nCancel reply\n\nName *\n\nEmail *\n\nPost Comment', ['Related Posts', 'Cupping for Runners', 'Leave a Reply', 'Name *']],
    ['a comment count with short comments', '3 Comments\n\nAnna\n\nMay 2, 2024 at 9:15 am\n\nLoved it!\n\nLeave a Reply', ['3 Comments', 'Anna', 'Loved it']],
    ['a single chrome line without a newline at the end', 'Related Articles', ['Related Articles']],
  ]
  for (const [name, tail, absent] of chromeTails) {
    const parsed = parseArticle(article(CONCLUSION, tail))
    t.same(headingsOf(parsed), [[undefined, 'introduction'], ['Conclusion', 'conclusion']], `${name}: no chrome section`)
    t.same(paragraphsOf(parsed, 'conclusion'), [BODY], `${name}: the last paragraph is kept`)
    const json = JSON.stringify(parsed)
    t.ok(absent.every((text) => !json.includes(text)), `${name}: no chrome text in the output`)
  }

  t.test('a mid-article "Comments" heading followed by long paragraphs is not cut', async (t) => {
    const LONG = `${BODY} ${INTRO}`
    for (const [name, tail] of [['before more content and chrome', `${CONCLUSION}\n\nRelated Posts`], ['at the end of the article', '']] as const) {
      const parsed = parseArticle(article('Comments', LONG, BODY, tail))
      const expected: [string | undefined, string][] = [[undefined, 'introduction'], ['Comments', 'comments']]
      t.same(headingsOf(parsed), tail ? [...expected, ['Conclusion', 'conclusion']] : expected, `${name}: sections`)
      t.same(paragraphsOf(parsed, 'comments'), [LONG, BODY], `${name}: its paragraphs are kept`)
    }
  })

  t.test('an article without chrome keeps its short last paragraph', async (t) => {
    const parsed = parseArticle(article(CONCLUSION, 'Book your session today.'))
    t.same(paragraphsOf(parsed, 'conclusion'), [BODY, 'Book your session today.'])
  })

  t.test('a long reader comment after "3 Comments" is chrome too', async (t) => {
    const comment = 'I tried cupping for the first time last month after reading this and my shoulders have never felt so loose. Thank you for the clear explanation!'
    const parsed = parseArticle(article(CONCLUSION, `3 Comments\n\nMaria\n\nMay 2, 2024 at 9:15 am\n\n${comment}\n\nReply\n\nLeave a Reply`))
    t.same(headingsOf(parsed), [[undefined, 'introduction'], ['Conclusion', 'conclusion']], 'no section made of the comments')
    t.notOk(JSON.stringify(parsed).includes('3 Comments'), 'no "3 Comments" in the output')
  })

  t.test('related posts given as a bullet list are chrome too', async (t) => {
    const parsed = parseArticle(article(CONCLUSION, 'Related Posts\n\n- Cupping for Runners\n- Hot Stone Massage\n\nLeave a Reply'))
    t.same(headingsOf(parsed), [[undefined, 'introduction'], ['Conclusion', 'conclusion']], 'no section made of the related posts')
    t.notOk(JSON.stringify(parsed).includes('Related Posts'), 'no "Related Posts" in the output')
  })
})

t.test('section slugs', async (t) => {
  const parsed = parseArticle(article('Introduction', BODY, 'Tips', BODY, 'Tips', BODY, 'Tips', BODY))
  t.same(headingsOf(parsed), [
    [undefined, 'introduction'],
    ['Introduction', 'introduction-2'],
    ['Tips', 'tips'],
    ['Tips', 'tips-2'],
    ['Tips', 'tips-3'],
  ])
  const noIntro = parseArticle(`Cupping Therapy Explained\n\nWhat Is Cupping?\n\n${BODY}`)
  t.same(headingsOf(noIntro), [['What Is Cupping?', 'what-is-cupping']], 'no empty introduction section when the body opens with a heading')
  t.equal(noIntro.summary, BODY, 'the summary falls back to the first paragraph')
})

t.test('a line of only no-break spaces separates paragraphs like a blank line', async (t) => {
  const parsed = parseArticle(`Cupping Therapy Explained\n\u00A0\n${INTRO}\n\u00A0\u00A0\nWhat Is Cupping?\n\u00A0\n${BODY}`)
  t.same(headingsOf(parsed), [[undefined, 'introduction'], ['What Is Cupping?', 'what-is-cupping']])
  t.same(paragraphsOf(parsed, 'what-is-cupping'), [BODY])
})

t.test('word count and reading time of a short article', async (t) => {
  const parsed = parseArticle('Cupping\n\nCups lift the skin’s surface gently.')
  t.equal(parsed.wordCount, 6)
  t.equal(parsed.readingTimeMinutes, 1)
  const long = parseArticle(`Cupping\n\n${'word '.repeat(401).trim()}.`)
  t.equal(long.wordCount, 401)
  t.equal(long.readingTimeMinutes, 3)
})
