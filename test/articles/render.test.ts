import t from 'tap'
import { renderBody } from '../../src/articles/render.js'
import type { Section } from '../../src/content/schemas.js'

const paragraph = (text: string) => ({ type: 'paragraph' as const, text })
const list = (items: { name?: string; description: string }[], kind: 'techniques' | 'benefits' | 'other' = 'other') => ({
  type: 'list' as const,
  kind,
  items: items.map((item, index) => ({ position: index + 1, ...item })),
})

const HOSTILE = [
  '<script>alert(1)</script>',
  'Fish & chips & "quotes" & \'apostrophes\'',
  '<img src=x onerror="alert(2)">',
  '# not a heading',
  '1. not a list',
  '2) not a list either',
  '- not a bullet',
  '+ not a bullet',
  '> not a quote',
  '*not emphasis* and **not strong**',
  '_not emphasis_ and __not strong__',
  'a `code` span and ```fences```',
  '[a link](javascript:alert(3)) and ![an image](x.png)',
  'a | table | row',
  '~~not struck~~',
  'back\\slash',
]

const hostileSections: Section[] = [
  { slug: 'introduction', blocks: [paragraph(HOSTILE[0]!), paragraph(HOSTILE[1]!)] },
  { heading: '<script>alert("heading")</script> & more', slug: 'one', blocks: HOSTILE.slice(2).map(paragraph) },
  {
    heading: '# Heading with a hash',
    slug: 'two',
    blocks: [
      list([
        { name: '<b>Bold</b> & Co', description: '<script>alert(4)</script> "quoted" \'single\'' },
        { name: '*Star*', description: '1. numbered _under_ `tick` [bracket]' },
      ]),
      list([{ description: '# hash first' }, { description: 'plain & simple' }, { description: '<i>tag</i>' }]),
    ],
  },
]

/** Undoes the five HTML escapes, so a test can compare the text the page would show. */
const unescapeHtml = (html: string) => html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
/** Undoes backslash escapes, as a Markdown renderer does with ASCII punctuation. */
const unescapeMarkdown = (markdown: string) => markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1')

t.test('HTML: every text is escaped; only the renderer\'s own tags are markup', async (t) => {
  const html = renderBody(hostileSections, 'html')
  t.notMatch(html, /<script/i, 'no raw script tag')
  t.notMatch(html, /<img/i, 'no raw img tag')
  t.notMatch(html, /<b>|<i>/, 'no tag from the text')
  const tags = html.match(/<[^>]*>/g) ?? []
  t.ok(tags.length > 0)
  t.same([...new Set(tags)].sort(), ['</h2>', '</li>', '</ol>', '</p>', '</strong>', '<h2>', '<li>', '<ol>', '<p>', '<strong>'], 'the renderer\'s tags and no others')
  t.notMatch(html.replace(/&(amp|lt|gt|quot|#39);/g, ''), /&/, 'every & is the start of one of the five escapes')
  t.notMatch(html.replace(/<\/?(h2|p|ol|li|strong)>/g, ''), /["'<>]/, 'no quote or angle bracket is left raw outside the tags')
  t.ok(html.includes('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>'), 'the script is text')
  t.ok(html.includes('<p>Fish &amp; chips &amp; &quot;quotes&quot; &amp; &#39;apostrophes&#39;</p>'))
  t.ok(html.includes('<h2>&lt;script&gt;alert(&quot;heading&quot;)&lt;/script&gt; &amp; more</h2>'), 'headings are escaped')
  t.ok(html.includes('<li><strong>&lt;b&gt;Bold&lt;/b&gt; &amp; Co</strong>: &lt;script&gt;alert(4)&lt;/script&gt; &quot;quoted&quot; &#39;single&#39;</li>'), 'item names and descriptions are escaped')
  t.ok(html.includes('<p># not a heading</p>'), 'Markdown specials are left alone in HTML')
  // Escaping loses nothing: the text the page shows is the text of the blocks.
  const shown = html.split('\n').map((line) => unescapeHtml(line.replace(/<\/?(h2|p|ol|strong)>/g, '').replace(/<\/li><li>/g, '\n').replace(/<\/?li>/g, '')))
  t.same(shown.slice(0, 2), HOSTILE.slice(0, 2))
  t.equal(shown[2], '<script>alert("heading")</script> & more')
  t.same(shown.slice(3, 3 + HOSTILE.length - 2), HOSTILE.slice(2))
})

t.test('HTML structure: h2 per headed section, p per paragraph, ol per list, strong for names', async (t) => {
  const sections: Section[] = [
    { slug: 'introduction', blocks: [paragraph('Intro one.'), paragraph('Intro two.')] },
    { heading: 'Named', slug: 'named', blocks: [list([{ name: 'Alpha', description: 'First.' }, { name: 'Beta', description: 'Second.' }], 'techniques')] },
    { heading: 'Unnamed', slug: 'unnamed', blocks: [list([{ description: 'Just this.' }, { description: 'And this.' }]), paragraph('After.')] },
    { heading: 'Empty', slug: 'empty', blocks: [] },
  ]
  t.equal(
    renderBody(sections, 'html'),
    [
      '<p>Intro one.</p>',
      '<p>Intro two.</p>',
      '<h2>Named</h2>',
      '<ol><li><strong>Alpha</strong>: First.</li><li><strong>Beta</strong>: Second.</li></ol>',
      '<h2>Unnamed</h2>',
      '<ol><li>Just this.</li><li>And this.</li></ol>',
      '<p>After.</p>',
      '<h2>Empty</h2>',
    ].join('\n'),
  )
  t.equal(renderBody([], 'html'), '', 'no sections, no body')
  t.equal(renderBody([{ slug: 'introduction', blocks: [paragraph('Only.')] }], 'html'), '<p>Only.</p>', 'a section without a heading has no h2')
})

t.test('Markdown structure: ## headings, 1. lists, bold names, blank lines between blocks', async (t) => {
  const sections: Section[] = [
    { slug: 'introduction', blocks: [paragraph('Intro one.'), paragraph('Intro two.')] },
    { heading: 'Named', slug: 'named', blocks: [list([{ name: 'Alpha', description: 'First.' }, { name: 'Beta', description: 'Second.' }], 'benefits')] },
    { heading: 'Unnamed', slug: 'unnamed', blocks: [list([{ description: 'Just this.' }, { description: 'And this.' }, { description: 'And a third.' }])] },
  ]
  t.equal(
    renderBody(sections, 'markdown'),
    [
      'Intro one.',
      '',
      'Intro two.',
      '',
      '## Named',
      '',
      '1. **Alpha**: First.',
      '2. **Beta**: Second.',
      '',
      '## Unnamed',
      '',
      '1. Just this.',
      '2. And this.',
      '3. And a third.',
    ].join('\n'),
  )
})

t.test('Markdown: specials in the text are escaped so that they stay text', async (t) => {
  const markdown = renderBody(hostileSections, 'markdown')
  const blocks = markdown.split('\n\n')
  // The introduction's two paragraphs, the heading, the fourteen hostile paragraphs, the next heading, two lists
  t.equal(blocks.length, 2 + 1 + (HOSTILE.length - 2) + 1 + 2, 'one block per heading, paragraph and list')
  const lines = markdown.split('\n')
  t.same(lines.filter((line) => /^#/.test(line)), ['## \\<script\\>alert("heading")\\</script\\> & more', '## \\# Heading with a hash'], 'the only headings are the sections\'')
  t.same(
    lines.filter((line) => /^\d+[.)]\s/.test(line)),
    ['1. **\\<b\\>Bold\\</b\\> & Co**: \\<script\\>alert(4)\\</script\\> "quoted" \'single\'', '2. **\\*Star\\***: 1\\. numbered \\_under\\_ \\`tick\\` \\[bracket\\]', '1. \\# hash first', '2. plain & simple', '3. \\<i\\>tag\\</i\\>'],
    'the only list items are the lists\'',
  )
  t.notOk(lines.some((line) => /^([-+*>]|\s{4})/.test(line)), 'no line starts a bullet, a quote or indented code')
  t.notMatch(markdown, /(?<!\\)[<>`[\]_~|]/, 'every <, >, backtick, [, ], _, ~ and | is escaped')
  t.notMatch(markdown.replace(/\*\*(?!\*)/g, ''), /(?<!\\)\*/, 'every * is escaped, except the renderer\'s own bold')
  t.notMatch(markdown, /(?<!\\)<script/, 'no raw script tag')
  t.same(blocks.slice(3, 3 + HOSTILE.length - 2).map(unescapeMarkdown), HOSTILE.slice(2), 'each text reads back as it was, once its escapes are undone')
  t.equal(blocks[0], '\\<script\\>alert(1)\\</script\\>')
  t.equal(blocks[4], '\\# not a heading')
  t.equal(blocks[5], '1\\. not a list')
  t.equal(blocks[6], '2\\) not a list either')
  t.equal(blocks[7], '\\- not a bullet')
  t.equal(blocks[8], '\\+ not a bullet')
  t.equal(blocks[9], '\\> not a quote')
})

t.test('Markdown escapes every line start, so a newline in a paragraph or item makes no markup', async (t) => {
  // Paragraph text may contain newlines (the editorial API's ParagraphInput only requires a non-space
  // character), but escapeMarkdown in src/articles/render.ts anchors its line-start rule with ^ and no m flag.
  const sections: Section[] = [
    { slug: 'introduction', blocks: [paragraph('First line\n# Injected heading\n1. injected item\n- injected bullet\n> injected quote')] },
    { heading: 'List', slug: 'list', blocks: [list([{ name: 'Name', description: 'text\n# injected from an item' }])] },
  ]
  const lines = renderBody(sections, 'markdown').split('\n')
  t.same(lines.filter((line) => line.startsWith('#')), ['## List'], 'the only heading is the section\'s')
  t.same(lines.filter((line) => /^\d+[.)]\s/.test(line)), ['1. **Name**: text'], 'the only list item is the list\'s')
  t.notOk(lines.some((line) => /^[-+*]\s|^>/.test(line)), 'no bullet or quote is made')
})

t.test('a Markdown thematic break or setext underline in the text is escaped', async (t) => {
  // "---" alone is a thematic break (<hr>); "Title\n===" is a setext heading. escapeMarkdown in
  // src/articles/render.ts escapes neither.
  for (const text of ['---', '-----', ' - - -', 'Title\n===', 'Title\n---']) {
    const lines = renderBody([{ slug: 'introduction', blocks: [paragraph(text)] }], 'markdown').split('\n')
    const markup = lines.some((line, index) => /^ {0,3}(-[ \t]*){3,}$/.test(line) || (index > 0 && lines[index - 1] !== '' && /^ {0,3}(=+|-+)[ \t]*$/.test(line)))
    t.notOk(markup, `${JSON.stringify(text)} stays text: ${JSON.stringify(lines.join('\n'))}`)
  }
})

t.test('text: plain, nothing escaped, headings as lines and lists numbered', async (t) => {
  const text = renderBody(hostileSections, 'text')
  const blocks = text.split('\n\n')
  t.same(blocks.slice(0, 2), HOSTILE.slice(0, 2), 'paragraphs as they are, <script> and & included')
  t.equal(blocks[2], '<script>alert("heading")</script> & more', 'a heading is its text')
  t.same(blocks.slice(3, 3 + HOSTILE.length - 2), HOSTILE.slice(2), 'no Markdown escapes in plain text')
  t.equal(blocks.at(-2), '1. <b>Bold</b> & Co: <script>alert(4)</script> "quoted" \'single\'\n2. *Star*: 1. numbered _under_ `tick` [bracket]', 'named items read "name: description"')
  t.equal(blocks.at(-1), '1. # hash first\n2. plain & simple\n3. <i>tag</i>', 'unnamed items are just numbered')
  t.notMatch(text, /&(amp|lt|gt|quot|#39);/, 'no HTML entities')
  t.notMatch(text, /<\/?(p|h2|ol|li|strong)>|^## /m, 'no HTML or Markdown markup of the renderer')
})

t.test('a section without a heading, and an empty body, in every format', async (t) => {
  const intro: Section[] = [{ slug: 'introduction', blocks: [paragraph('Alone.')] }]
  t.equal(renderBody(intro, 'html'), '<p>Alone.</p>')
  t.equal(renderBody(intro, 'markdown'), 'Alone.')
  t.equal(renderBody(intro, 'text'), 'Alone.')
  for (const format of ['html', 'markdown', 'text'] as const) t.equal(renderBody([], format), '', `${format}: empty`)
  const headedOnly: Section[] = [{ heading: 'Just A Heading', slug: 'just-a-heading', blocks: [] }]
  t.equal(renderBody(headedOnly, 'html'), '<h2>Just A Heading</h2>')
  t.equal(renderBody(headedOnly, 'markdown'), '## Just A Heading')
  t.equal(renderBody(headedOnly, 'text'), 'Just A Heading')
})
