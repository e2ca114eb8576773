import t from 'tap'
import { slugify } from '../../src/content/slugify.js'

t.test('slugify folds case, diacritics, apostrophes and punctuation', async (t) => {
  t.equal(slugify('Lower Back Pain Deep Tissue Massage'), 'lower-back-pain-deep-tissue-massage')
  t.equal(slugify('Back Pain Deep Tissue Massage: A Targeted Approach'), 'back-pain-deep-tissue-massage-a-targeted-approach')
  t.equal(slugify('You’re Welcome'), 'youre-welcome')
  t.equal(slugify('Café Crème & Brûlée'), 'cafe-creme-and-brulee')
  t.equal(slugify('  --Hot  Stone!!  '), 'hot-stone')
  t.equal(slugify('★★★'), '')
})

t.test('slugify cuts long titles at a word boundary', async (t) => {
  const slug = slugify('word '.repeat(40))
  t.ok(slug.length <= 80)
  t.notOk(slug.endsWith('-'))
  t.match(slug, /^word(-word)+$/)
  t.equal(slugify('a'.repeat(100)), 'a'.repeat(80))
})
