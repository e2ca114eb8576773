import t from 'tap'
import { calendarDate, readByline } from '../../src/parser/byline.js'
import { ImportError, parseArticle, parseArticleWithNotes, type ParsedArticle } from '../../src/parser/parse.js'

// Texts as editors paste them: wrapped list items, bylines under the title, and what the parser says it left out.

const TITLE = 'Cupping Therapy Explained'
const INTRO = 'Cupping therapy uses glass or silicone cups to create suction on the skin, lifting the tissue underneath and drawing blood to tight muscles.'
const BODY = 'Most clients feel a gentle pulling sensation rather than pain, and the marks the cups leave usually fade within a few days.'

const toCrlf = (text: string) => text.replace(/\n/g, '\r\n')
const headings = (article: ParsedArticle) => article.sections.map((section) => section.heading ?? null)
const paragraphs = (article: ParsedArticle) => article.sections.flatMap((section) => section.blocks.flatMap((block) => (block.type === 'paragraph' ? [block.text] : [])))
const lists = (article: ParsedArticle) =>
  article.sections.flatMap((section) => section.blocks.flatMap((block) => (block.type === 'list' ? [{ kind: block.kind, items: block.items.map(({ name, description }) => ({ name, description })) }] : [])))

t.test('a list item hard-wrapped onto lines that are not indented is one item', async (t) => {
  const cases: [name: string, heading: string, kind: string, lines: string, items: { name?: string; description: string }[]][] = [
    [
      'techniques, wrapped mid-sentence',
      'Techniques Used',
      'techniques',
      '1. Static Cupping: The cups stay on the tight spots for five\nto ten minutes while the suction works.\n2. Moving Cupping: Oiled cups glide\nalong the spine.',
      [
        { name: 'Static Cupping', description: 'The cups stay on the tight spots for five to ten minutes while the suction works.' },
        { name: 'Moving Cupping', description: 'Oiled cups glide along the spine.' },
      ],
    ],
    [
      'benefits, a second sentence on the next line',
      'Benefits of Cupping',
      'benefits',
      '1. Looser Muscles: Knots ease.\nMost clients feel it the same day.\n2. Better Circulation: Blood flows back in.',
      [
        { name: 'Looser Muscles', description: 'Knots ease. Most clients feel it the same day.' },
        { name: 'Better Circulation', description: 'Blood flows back in.' },
      ],
    ],
    [
      'another list of bullets, wrapped after a comma',
      'What to Bring',
      'other',
      '- Loose clothes,\nwhich make the cups easier to place.\n- A bottle of water.',
      [{ description: 'Loose clothes, which make the cups easier to place.' }, { description: 'A bottle of water.' }],
    ],
    [
      'a wrapped item with a no-break space after the colon and in the wrapped line',
      'Techniques Used',
      'techniques',
      '1) Flash Cupping:\u00A0Cups go on and come off\u00A0quickly,\n\u00A0again and again.',
      [{ name: 'Flash Cupping', description: 'Cups go on and come off\u00A0quickly, again and again.' }],
    ],
  ]
  for (const [name, heading, kind, lines, items] of cases) {
    for (const [endings, text] of [
      ['LF', `${TITLE}\n\n${INTRO}\n\n${heading}\n\n${lines}\n\nConclusion\n\n${BODY}\n`],
      ['CRLF', toCrlf(`${TITLE}\n\n${INTRO}\n\n${heading}\n\n${lines}\n\nConclusion\n\n${BODY}\n`)],
    ] as const) {
      const parsed = parseArticle(text)
      t.same(lists(parsed), [{ kind, items }], `${name} (${endings}): one list, the wrapped lines joined onto their items`)
      t.same(paragraphs(parsed), [INTRO, BODY], `${name} (${endings}): no paragraph made of a wrapped line`)
      t.same(headings(parsed), [null, heading, 'Conclusion'], `${name} (${endings}): sections`)
    }
  }
})

t.test('a heading right under a list item that ended its sentence still heads a section', async (t) => {
  const parsed = parseArticle(`${TITLE}\n\n${INTRO}\n\nTechniques Used\n1. Static Cupping: The cups stay put.\n2. Moving Cupping: The cups glide.\nBenefits of Cupping\n1. Looser Muscles: Knots ease.\n`)
  t.same(headings(parsed), [null, 'Techniques Used', 'Benefits of Cupping'])
  t.same(parsed.techniques.map((entry) => entry.description), ['The cups stay put.', 'The cups glide.'])
  t.same(parsed.benefits.map((entry) => entry.name), ['Looser Muscles'])
})

t.test('a byline under the title is kept out of the body, its author and date kept', async (t) => {
  const forms: [byline: string, author: string | undefined, publishedAt: string | undefined][] = [
    ['Posted on March 3, 2025 by Serenity Spa Team', 'Serenity Spa Team', '2025-03-03T00:00:00.000Z'],
    ['By Dana Lee | June 2, 2024', 'Dana Lee', '2024-06-02T00:00:00.000Z'],
    ['Updated: 2024-06-02', undefined, '2024-06-02T00:00:00.000Z'],
    ['By Dana Lee', 'Dana Lee', undefined],
    ['by the Serenity Spa team', 'the Serenity Spa team', undefined],
    ['Posted by Dana Lee on March 3rd, 2025', 'Dana Lee', '2025-03-03T00:00:00.000Z'],
    ['Written by Dana Lee, 2 June 2024', 'Dana Lee', '2024-06-02T00:00:00.000Z'],
    ['Published on Sept. 14, 2023 · 5 min read', undefined, '2023-09-14T00:00:00.000Z'],
    ['By Dana Lee and Sam Ortiz – Jun 2, 2024 – No Comments', 'Dana Lee and Sam Ortiz', '2024-06-02T00:00:00.000Z'],
    ['June 2, 2024', undefined, '2024-06-02T00:00:00.000Z'],
    ['Author: Dana Lee', 'Dana Lee', undefined],
    ['Last updated on July 1, 2024 by Dr. Dana van Lee', 'Dr. Dana van Lee', '2024-07-01T00:00:00.000Z'],
  ]
  for (const [byline, author, publishedAt] of forms) {
    for (const [layout, text] of [
      ['right under the title', `${TITLE}\n${byline}\n\n${INTRO}\n\nHow It Works\n\n${BODY}`],
      ['after a blank line, CRLF, with no-break spaces', toCrlf(`${TITLE}\n\n${byline.replace(/ /g, '\u00A0')}\n\n${INTRO}\n\nHow It Works\n\n${BODY}`)],
    ] as const) {
      const { article, notes } = parseArticleWithNotes(text)
      const label = `"${byline}" ${layout}`
      t.same(headings(article), [null, 'How It Works'], `${label}: not a heading`)
      t.same(paragraphs(article), [INTRO, BODY], `${label}: not in the body`)
      t.equal(article.summary, INTRO, `${label}: the summary is the introduction`)
      t.equal(article.author, author, `${label}: author`)
      t.equal(article.publishedAt, publishedAt, `${label}: date`)
      t.same(
        notes.map(({ line, leftOutAs }) => ({ line, leftOutAs })),
        [{ line: layout === 'right under the title' ? 2 : 3, leftOutAs: 'byline' }],
        `${label}: a note says the byline was left out`,
      )
      t.equal(notes[0]?.text, byline, `${label}: the note quotes the line`)
    }
  }
})

t.test('a byline on two lines: the author, then the date', async (t) => {
  const { article, notes } = parseArticleWithNotes(`${TITLE}\nBy Dana Lee\nJune 2, 2024\n\n${INTRO}`)
  t.equal(article.author, 'Dana Lee')
  t.equal(article.publishedAt, '2024-06-02T00:00:00.000Z')
  t.same(paragraphs(article), [INTRO])
  t.same(notes.map((note) => note.line), [2, 3])
})

t.test('the publication date wins over the update date', async (t) => {
  t.equal(parseArticle(`${TITLE}\nPublished June 2, 2024 | Updated: 2024-07-01\n\n${INTRO}`).publishedAt, '2024-06-02T00:00:00.000Z')
  t.equal(parseArticle(`${TITLE}\nUpdated: 2024-07-01 | Published June 2, 2024\n\n${INTRO}`).publishedAt, '2024-06-02T00:00:00.000Z')
})

t.test('a line that looks like a byline but is a heading stays a heading', async (t) => {
  const lookalikes: [layout: string, text: string, heading: string][] = [
    ['"By the Numbers" under the title', `${TITLE}\n\nBy the Numbers\n\n${INTRO}`, 'By the Numbers'],
    ['"Updated Guidelines for 2024" under the title', `${TITLE}\n\nUpdated Guidelines for 2024\n\n${INTRO}`, 'Updated Guidelines for 2024'],
    ['"Posted on the Wall: Our Prices" under the title', `${TITLE}\n\nPosted on the Wall: Our Prices\n\n${INTRO}`, 'Posted on the Wall: Our Prices'],
    ['"By Appointment Only" after the introduction', `${TITLE}\n\n${INTRO}\n\nBy Appointment Only\n\n${BODY}`, 'By Appointment Only'],
    ['"June 2, 2024" after the introduction', `${TITLE}\n\n${INTRO}\n\nJune 2, 2024\n\n${BODY}`, 'June 2, 2024'],
    ['"February 30, 2024", a day that does not exist', `${TITLE}\n\nFebruary 30, 2024\n\n${INTRO}`, 'February 30, 2024'],
  ]
  for (const [layout, text, heading] of lookalikes) {
    const { article, notes } = parseArticleWithNotes(text)
    t.ok(headings(article).includes(heading), `${layout}: a heading`)
    t.equal(article.author, undefined, `${layout}: no author`)
    t.equal(article.publishedAt, undefined, `${layout}: no date`)
    t.same(notes, [], `${layout}: nothing left out`)
  }
  const second = parseArticleWithNotes(`${TITLE}\nBy Dana Lee\nBy Appointment Only\n\n${INTRO}`)
  t.same(headings(second.article), ['By Appointment Only'], 'a line naming only an author is a byline only right under the title')
  t.same(second.notes.map((note) => note.line), [2], 'only the first line is left out')
})

t.test('readByline and calendarDate', async (t) => {
  t.same(readByline('By Dana Lee | June 2, 2024'), { author: 'Dana Lee', date: '2024-06-02', dateIsUpdate: false })
  t.equal(readByline('5 min read'), undefined, 'a filler alone says nothing of author or date')
  t.equal(readByline(`By ${'Dana '.repeat(50)}Lee`), undefined, 'a name longer than a name')
  t.equal(calendarDate('2024-02-29'), '2024-02-29')
  t.equal(calendarDate('2023-02-29'), undefined)
  t.equal(calendarDate('31 April 2024'), undefined)
  t.equal(calendarDate('Dec 31st, 1999'), '1999-12-31')
})

t.test('notes say which lines were taken as page chrome, and why', async (t) => {
  const text = `${TITLE}\n\n${INTRO}\n\nConclusion\n\n${BODY}\n\nTags: cupping, massage\n\nShare this:\n\nFacebook\n`
  const { notes } = parseArticleWithNotes(text)
  t.same(
    notes.map(({ line, text, leftOutAs }) => [line, text, leftOutAs]),
    [
      [9, 'Tags: cupping, massage', 'page-chrome'],
      [11, 'Share this:', 'page-chrome'],
      [13, 'Facebook', 'page-chrome'],
    ],
  )
  t.match(notes[0]!.reason, /page chrome at the end/)
  t.match(notes[2]!.reason, /short line among the page chrome/)

  const started = parseArticleWithNotes(`${TITLE}\n\n${INTRO}\n\nRelated Posts\n\nCupping for Runners\n\nLeave a Reply\n`).notes
  t.same(started.map((note) => note.line), [5, 7, 9])
  t.match(started[0]!.reason, /only the page around an article has/)
  t.match(started[1]!.reason, /after the page chrome that starts at line 5/)

  const long = parseArticleWithNotes(`${TITLE}\n\n${INTRO}\n\n3 Comments\n\n${'A very long reader comment. '.repeat(20)}\n`).notes
  t.ok(long[1]!.text.length <= 120 && long[1]!.text.endsWith('…'), 'a long line is cut in its note')
  t.same(parseArticleWithNotes(`${TITLE}\n\n${INTRO}`).notes, [], 'nothing left out, no notes')
})

t.test('limits: a text longer than an article may be is refused where it goes over', async (t) => {
  const limits = { sections: 3, blocksPerSection: 2, itemsPerList: 4, itemsPerArticle: 6, paragraphChars: 200, descriptionChars: 50 }
  const items = (n: number) => Array.from({ length: n }, (_, index) => `${index + 1}. Item ${index + 1}: What it does.`).join('\n')
  t.equal(parseArticle(`${TITLE}\n\n${INTRO}\n\nTechniques\n\n${items(4)}`, limits).techniques.length, 4, 'at the limit: parsed')
  t.equal(parseArticle(`${TITLE}\n\n${'a'.repeat(200)}\n\nTechniques\n\n1. Name: ${'d'.repeat(50)}`, limits).techniques.length, 1, 'a paragraph and a description at their limits: parsed')
  const refused: [name: string, text: string, message: RegExp][] = [
    ['a list of 5 items', `${TITLE}\n\n${INTRO}\n\nTechniques\n\n${items(5)}`, /a list may hold at most 4 items \(line 11\)/],
    ['80,000 items', `${TITLE}\n\n${INTRO}\n\nTechniques\n\n${'1. Item: What it does.\n'.repeat(80_000)}`, /a list may hold at most 4 items \(line 11\)/],
    ['two lists of 4 items', `${TITLE}\n\n${INTRO}\n\nTechniques\n\n${items(4)}\n\nBenefits\n\n${items(4)}`, /at most 6 list items, all its lists together \(line 16\)/],
    ['the introduction and 3 headed sections', `${TITLE}\n\n${INTRO}\n\nA\n\n${BODY}\n\nB\n\n${BODY}\n\nC\n\n${BODY}`, /at most 3 sections \(line 13\)/],
    ['4 headed sections', `${TITLE}\n\nA\n\n${BODY}\n\nB\n\n${BODY}\n\nC\n\n${BODY}\n\nD\n\n${BODY}`, /at most 3 sections \(line 15\)/],
    ['3 paragraphs in a section', `${TITLE}\n\n${INTRO}\n\n${BODY}\n\n${INTRO}`, /at most 2 paragraphs and lists \(line 7\)/],
    ['a paragraph of 201 characters, hard-wrapped', `${TITLE}\n\n${INTRO}\n\n${'a'.repeat(100)}\n${'b'.repeat(100)}`, /a paragraph may be at most 200 characters long \(line 5\)/],
    ['a description of 51 characters', `${TITLE}\n\n${INTRO}\n\nTechniques\n\n1. Name: ${'d'.repeat(51)}`, /description may be at most 50 characters long \(line 7\)/],
  ]
  for (const [name, text, message] of refused) {
    let error: unknown
    try {
      parseArticle(text, limits)
    } catch (caught) {
      error = caught
    }
    t.ok(error instanceof ImportError, `${name}: an ImportError`)
    t.match((error as Error).message, message, `${name}: it says which limit, and where`)
  }
  const atArticleLimit = parseArticle(`${TITLE}\n\n${INTRO}\n\nTechniques\n\n${items(4)}\n\nBenefits\n\n${items(2)}`, limits)
  t.equal(atArticleLimit.techniques.length + atArticleLimit.benefits.length, 6, 'two lists of 6 items in all, at the limit: parsed')
  t.equal(parseArticle(`${TITLE}\n\n${INTRO}\n\nA\n\n${BODY}\n\nB\n\n${BODY}`, limits).sections.length, 3, 'the introduction and 2 headed sections: parsed')
  t.equal(parseArticle(`${TITLE}\n\nA\n\n${BODY}\n\nB\n\n${BODY}\n\nC\n\n${BODY}`, limits).sections.length, 3, '3 headed sections and no introduction: parsed')
})
