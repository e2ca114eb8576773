import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { CHROMIUM, CHROMIUM_ARGS, WITHOUT_CHROMIUM } from '../helpers/browser.js'
import { freePort, PROJECT_DIR, SEED_SLUG, startServer } from '../helpers/server.js'

// The example frontend (examples/blog-page) in Debian's Chromium, served on its own origin by
// `npm run example`, reading and writing a live API on another origin through CORS.

const SCREENSHOT = join(PROJECT_DIR, 'test', 'artifacts', 'blog-page.png')
const ADMIN_TOKEN = 'blog-page-test-admin-token-0123456789'
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
// The machine running the tests may be busy: waits are generous, assertions exact.
const WAIT_MS = 90_000

const MODERATION_MESSAGE = 'Thank you! Your comment is awaiting moderation and will appear here once it is approved.'
const FORM_NOTE = 'Your email address will not be published. Required fields are marked *'
// What the source page had around the article, which the importer leaves out.
const CHROME = ['Recommended Posts', 'No comment yet', 'Add a Comment', 'Your email address will not be published', 'Required fields are marked']

interface Item {
  name: string
  description: string
}
interface Article {
  title: string
  sections: { heading?: string; blocks: ({ type: 'paragraph'; text: string } | { type: 'list'; kind: string; items: Item[] })[] }[]
}
interface ListPage {
  data: { id: number; slug: string; title: string; body?: string }[]
}

/** Two more articles in the seed's plain-text style, sharing techniques and benefits with it. */
const RELATED_TEXTS = [
  'Neck Tension and Deep Tissue Massage\n\nNeck tension builds up over long days at a desk, and deep tissue massage can release it.\n\nTechniques for the Neck\n\n  1. Deep Pressure: Firm, sustained pressure on the neck and shoulder muscles.\n  1. Stripping: Long strokes along the trapezius.\n\nBenefits for the Neck\n\n  1. Pain Relief: Less aching at the end of the day.\n',
  'Sports Massage After a Marathon\n\nA marathon leaves the legs tight for days; massage helps them recover.\n\nTechniques After the Race\n\n  1. Friction: Quick strokes across the calf muscles.\n\nBenefits After the Race\n\n  1. Improved Blood Circulation: Fresh blood reaches the tired muscles sooner.\n',
]

/** `npm run example`'s server on a free port; resolves with its origin once it says where it listens. */
async function startExample(t: Test, apiUrl: string, port: number): Promise<{ origin: string; banner: string }> {
  const child = spawn(process.execPath, [join(PROJECT_DIR, 'examples', 'blog-page', 'serve.mjs')], {
    cwd: PROJECT_DIR,
    env: { ...process.env, EXAMPLE_PORT: String(port), EXAMPLE_API: apiUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  t.teardown(() => {
    process.off('exit', killOnExit)
    child.kill('SIGTERM')
  })
  const banner = await new Promise<string>((resolve, reject) => {
    let output = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
      if (output.includes('\n')) resolve(output.trim())
    })
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.once('exit', (code) => reject(new Error(`the example server exited (${code}): ${output}`)))
  })
  return { origin: `http://127.0.0.1:${port}`, banner }
}

async function asAdmin(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...init.headers } })
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`)
  return response
}

/** Approves, as a moderator, the pending comment with this body; its id. */
async function approve(apiUrl: string, body: string): Promise<number> {
  const pending = (await (await asAdmin(`${apiUrl}/v1/comments?status=pending&limit=100`)).json()) as ListPage
  const comment = pending.data.find((candidate) => candidate.body === body)
  if (!comment) throw new Error(`no pending comment "${body}"`)
  await asAdmin(`${apiUrl}/v1/comments/${comment.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'approved' }) })
  return comment.id
}

/** axe-core run in the page: the serious and critical violations (rule, and where). */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof axe !== "undefined"'))) await page.evaluate(AXE_SOURCE)
  // Runs in the page (as text: this project's TypeScript has no DOM types).
  return (await page.evaluate(
    `axe.run(document).then((results) => results.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => violation.id + ': ' + violation.help + ' at ' + violation.nodes.map((node) => node.target.join(' ')).join(', ')))`,
  )) as string[]
}

/** The levels of the headings people can see, in document order. */
async function headingLevels(page: Page): Promise<number[]> {
  return (await page.evaluate(
    "[...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].filter((heading) => heading.getClientRects().length > 0).map((heading) => Number(heading.tagName[1]))",
  )) as number[]
}

/** A form field by its accessible name (its label, without the required mark, which is hidden from assistive technology). */
function field(page: Page, name: string) {
  return page.getByRole('textbox', { name, exact: true })
}

async function submitComment(page: Page, fields: { body: string; name: string; email?: string }) {
  await field(page, 'Comment').fill(fields.body)
  await field(page, 'Name').fill(fields.name)
  await field(page, 'Email').fill(fields.email ?? '')
  await page.getByRole('button', { name: 'Post Comment' }).click()
}

t.setTimeout(900_000)

t.test('the example blog page renders the seed article, its recommended posts and comments, and posts comments', { skip: WITHOUT_CHROMIUM }, async (t) => {
  const examplePort = await freePort()
  const exampleOrigin = `http://127.0.0.1:${examplePort}`
  const api = await startServer(t, { ADMIN_TOKEN, CORS_ORIGINS: exampleOrigin })
  const example = await startExample(t, api.url, examplePort)
  t.equal(example.banner, `Blog page at ${exampleOrigin}/?api=${encodeURIComponent(api.url)} (start the API with CORS_ORIGINS=${exampleOrigin})`, 'npm run example says where the page is and which CORS_ORIGINS the API needs')
  t.equal((await fetch(`${exampleOrigin}/../package.json`)).status, 404, 'the example server sends only the page’s own files')
  t.equal((await fetch(`${exampleOrigin}/`, { method: 'POST' })).status, 405, 'and only for GET and HEAD')
  t.equal((await fetch(`${exampleOrigin}/page.js`, { method: 'HEAD' })).headers.get('content-type'), 'text/javascript; charset=utf-8', 'modules as JavaScript')

  for (const text of RELATED_TEXTS) {
    await asAdmin(`${api.url}/v1/imports?publish=true`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: text })
  }
  const articleUrl = `${api.url}/v1/articles/${SEED_SLUG}`
  const article = (await (await fetch(articleUrl)).json()) as Article
  const related = (await (await fetch(`${articleUrl}/related?limit=4`)).json()) as ListPage
  t.equal(related.data.length, 2, 'the API recommends the two articles that share techniques or benefits')
  const headed = article.sections.filter((section) => section.heading)
  const listItems = (kind: string) =>
    article.sections.flatMap((section) => section.blocks.flatMap((block) => (block.type === 'list' && block.kind === kind ? block.items.map((item) => `${item.name}: ${item.description}`) : [])))

  rmSync(SCREENSHOT, { force: true })
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: WAIT_MS })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } })
  page.setDefaultTimeout(WAIT_MS)
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('requestfailed', async (request) => {
    // Chromium reports a 304 that a fetch with `cache: 'no-store'` hands to the page as an aborted load.
    if ((await request.response())?.status() === 304) return
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`)
  })
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy') || message.text().includes('CORS')) problems.push(`console: ${message.text()}`)
  })
  const exchanges: { method: string; url: string; status: number; ifNoneMatch?: string; idempotencyKey?: string }[] = []
  page.on('response', async (response) => {
    const request = response.request()
    if (!request.url().startsWith(api.url)) return
    const headers = await request.allHeaders()
    exchanges.push({ method: request.method(), url: request.url(), status: response.status(), ifNoneMatch: headers['if-none-match'], idempotencyKey: headers['idempotency-key'] })
  })

  const pageUrl = `${exampleOrigin}/?api=${encodeURIComponent(api.url)}&slug=${SEED_SLUG}`
  try {
    await page.goto(pageUrl)
    await page.locator('#article h1').waitFor()

    await t.test('the article as the API has it, without the source page’s chrome', async (t) => {
      t.equal(await page.title(), article.title, 'the document is titled after the article')
      t.same(await page.locator('h1').allTextContents(), [article.title], 'one h1: the title')
      t.same(await page.locator('#article .introduction p').allTextContents(), article.sections[0]!.blocks.map((block) => (block.type === 'paragraph' ? block.text : '')), 'the introduction')
      t.same(await page.locator('#article section > h2').allTextContents(), headed.map((section) => section.heading), 'the 6 headed sections, in order')
      t.equal(headed.length, 6, 'six of them')
      t.same(await page.locator('#article ol[data-kind="techniques"] > li').allTextContents(), listItems('techniques'), 'the 4 techniques as a numbered list: name, then description')
      t.equal(listItems('techniques').length, 4, 'four of them')
      t.same(await page.locator('#article ol[data-kind="benefits"] > li').allTextContents(), listItems('benefits'), 'the 5 benefits likewise')
      t.equal(listItems('benefits').length, 5, 'five of them')
      const articleText = (await page.locator('#article').textContent()) ?? ''
      for (const chrome of CHROME) t.notOk(articleText.includes(chrome), `the article has no "${chrome}"`)
      t.same(await page.locator('.form-note').allTextContents(), [FORM_NOTE], 'the form says it once, itself')
      t.same(await page.locator('#recommended h2').allTextContents(), ['Recommended Posts'], 'a Recommended Posts block')
      t.same(await page.locator('#recommended li a').allTextContents(), related.data.map((item) => item.title), 'listing what the related route recommends, in its order')
      t.equal(await page.locator('#recommended li a').first().getAttribute('href'), `?api=${encodeURIComponent(api.url)}&slug=${related.data[0]!.slug}`, 'each a link to that article on this page')
      t.equal(await page.locator('#comments-heading').textContent(), 'No comments yet', 'the comment count')
      t.equal(await page.locator('#comment-list > li').count(), 0, 'and no comment')
    })

    await t.test('the form: labelled fields, a honeypot hidden from people', async (t) => {
      const fields = { Comment: 'body', Name: 'authorName', Email: 'authorEmail', Website: 'authorUrl' }
      for (const [label, name] of Object.entries(fields)) t.equal(await field(page, label).getAttribute('name'), name, `the field labelled "${label}" holds ${name}`)
      t.same(
        await Promise.all(Object.keys(fields).map((label) => field(page, label).getAttribute('required'))),
        ['', '', '', null],
        'comment, name and email are required; the website is optional',
      )
      t.same(await page.locator('label .required').allTextContents(), ['*', '*', '*'], 'required fields are marked *')
      t.equal(await page.locator('input[name="website"]').count(), 1, 'the honeypot is in the form')
      t.notOk(await page.locator('input[name="website"]').isVisible(), 'but not shown')
      t.equal(await page.getByRole('textbox', { name: 'Leave this field empty' }).count(), 0, 'nor in the accessibility tree')
      const levels = await headingLevels(page)
      t.equal(levels[0], 1, 'headings start with the h1')
      t.ok(levels.every((level, index) => index === 0 || level <= levels[index - 1]! + 1), `headings never skip a level: ${levels.join(' ')}`)
    })

    const author = 'Maya R.'
    const commentBody = 'Deep pressure helped my back after two sessions.'
    await t.test('a comment with a missing email: the problem next to the field, which gets the focus', async (t) => {
      await submitComment(page, { body: commentBody, name: author })
      await page.locator('#comment-email-error:not(:empty)').waitFor()
      t.equal(await page.locator('#comment-email-error').textContent(), 'Email is required.', 'the API’s message for the field, next to it')
      t.equal(await field(page, 'Email').getAttribute('aria-invalid'), 'true', 'the field is marked invalid')
      t.equal(await page.evaluate('document.activeElement.id'), 'comment-email', 'and focused')
      t.same(await page.locator('.field-error:not(:empty)').count(), 1, 'no other field has a problem')
      t.same(await axeViolations(page), [], 'axe-core: no serious or critical violation with a problem shown')
    })

    await t.test('a valid comment: awaiting moderation', async (t) => {
      await field(page, 'Email').fill('maya@example.com')
      await page.getByRole('button', { name: 'Post Comment' }).click()
      await page.locator('#form-message', { hasText: MODERATION_MESSAGE }).waitFor()
      t.equal(await page.locator('#form-message').textContent(), MODERATION_MESSAGE, 'the comment awaits moderation')
      t.equal(await page.locator('.field-error:not(:empty)').count(), 0, 'the field’s problem is gone')
      t.equal(await field(page, 'Comment').inputValue(), '', 'the form is emptied')
      const posts = exchanges.filter((exchange) => exchange.method === 'POST')
      t.same(posts.map((post) => post.status), [400, 201], 'two posts: refused, then created')
      t.ok(posts.every((post) => /^[0-9a-f]{32}$/.test(post.idempotencyKey ?? '')), 'each with an Idempotency-Key')
      t.not(posts[0]!.idempotencyKey, posts[1]!.idempotencyKey, 'a new one per submission')
    })

    let parentId = 0
    await t.test('approved by a moderator, the comment shows after a reload, and the count goes up', async (t) => {
      parentId = await approve(api.url, commentBody)
      exchanges.length = 0
      await page.reload()
      await page.locator('#comments-heading', { hasText: '1 Comment' }).waitFor()
      t.equal(await page.locator('#comments-heading').textContent(), '1 Comment', 'the count went up')
      const comment = page.locator(`#comment-list > li#comment-${parentId}`)
      t.equal(await comment.locator('.comment-author').textContent(), author, 'the comment is shown: its author')
      t.equal(await comment.locator('.comment-body').textContent(), commentBody, 'and its text')
      const reads = exchanges.filter((exchange) => exchange.method === 'GET')
      const relatedRead = reads.find((exchange) => exchange.url.includes('/related'))
      t.ok(relatedRead?.ifNoneMatch, 'the reload revalidates with the kept ETag')
      t.equal(relatedRead?.status, 304, 'unchanged recommendations: 304')
      t.same(await page.locator('#recommended li a').allTextContents(), related.data.map((item) => item.title), 'rendered from the kept body')
      const articleRead = reads.find((exchange) => exchange.url === articleUrl)
      t.ok(articleRead?.ifNoneMatch, 'the article too is revalidated')
      t.equal(articleRead?.status, 200, 'and, its comment count changed, sent again')
    })

    await t.test('a reply appears under its parent', async (t) => {
      const replyBody = 'Same here: stripping worked best for me.'
      await page.getByRole('button', { name: `Reply to ${author}` }).click()
      t.equal(await page.locator('#replying-to').textContent(), `Replying to ${author}.`, 'the form says whom it replies to')
      t.equal(await page.evaluate('document.activeElement.id'), 'comment-body', 'the comment field gets the focus')
      await submitComment(page, { body: replyBody, name: 'Sam', email: 'sam@example.com' })
      await page.locator('#form-message', { hasText: MODERATION_MESSAGE }).waitFor()
      t.ok(await page.locator('#replying').isHidden(), 'the reply is sent; the form is for a new comment again')
      const replyId = await approve(api.url, replyBody)
      await page.reload()
      await page.locator('#comments-heading', { hasText: '2 Comments' }).waitFor()
      t.equal(await page.locator('#comments-heading').textContent(), '2 Comments', 'the count went up again')
      t.equal(await page.locator('#comment-list > li').count(), 1, 'one top-level comment')
      const reply = page.locator(`#comment-list > li#comment-${parentId} > ol.replies > li#comment-${replyId}`)
      t.equal(await reply.locator('.comment-body').textContent(), replyBody, 'the reply nested under its parent')
      t.equal(await reply.locator('.comment-author').textContent(), 'Sam', 'by its author')
      t.same(await axeViolations(page), [], 'axe-core: no serious or critical violation on the page with comments and replies')
      const levels = await headingLevels(page)
      t.ok(levels.every((level, index) => index === 0 || level <= levels[index - 1]! + 1), `headings still in order: ${levels.join(' ')}`)
      mkdirSync(join(PROJECT_DIR, 'test', 'artifacts'), { recursive: true })
      await page.screenshot({ path: SCREENSHOT, fullPage: true })
      t.comment(`screenshot: ${SCREENSHOT}`)
    })

    await t.test('a 429 shows how long to wait', async (t) => {
      // This client (loopback, as the browser) uses up the comment rate limit.
      let status = 0
      for (let attempt = 0; attempt < 20 && status !== 429; attempt++) {
        const response = await fetch(`${articleUrl}/comments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ authorName: 'Burst', authorEmail: 'burst@example.com', body: `Burst ${attempt}` }),
        })
        status = response.status
      }
      t.equal(status, 429, 'the API limits this client now')
      await submitComment(page, { body: 'One more.', name: author, email: 'maya@example.com' })
      const message = page.locator('#form-message', { hasText: 'Please wait' })
      await message.waitFor()
      const wait = /^You have posted several comments in a short time\. Please wait (\d+) seconds before posting again\.$/.exec((await message.textContent()) ?? '')
      t.ok(wait, 'the wait is said')
      const seconds = Number(wait?.[1])
      t.ok(seconds >= 1 && seconds <= 60, `from Retry-After: ${seconds} seconds`)
      t.equal(exchanges.filter((exchange) => exchange.method === 'POST').at(-1)?.status, 429, 'the page’s post was answered 429')
      t.ok(await page.getByRole('button', { name: 'Post Comment' }).isDisabled(), 'posting waits meanwhile')
    })

    await t.test('when the related route answers an error, no Recommended Posts block, and the rest of the page', async (t) => {
      const failing = `${articleUrl}/related?limit=4`
      await page.route(failing, (route) =>
        route.fulfill({
          status: 503,
          headers: { 'content-type': 'application/problem+json', 'access-control-allow-origin': exampleOrigin },
          body: JSON.stringify({ type: '/problems/service-unavailable', title: 'Service Unavailable', status: 503, detail: 'Try again.' }),
        }),
      )
      exchanges.length = 0
      await page.reload()
      await page.locator('#comments-heading', { hasText: '2 Comments' }).waitFor()
      t.equal(exchanges.find((exchange) => exchange.url === failing)?.status, 503, 'the related route failed')
      t.ok(await page.locator('#recommended').isHidden(), 'no Recommended Posts block')
      t.equal(await page.locator('#article section > h2').count(), 6, 'the article is there')
      t.equal(await page.locator('#comment-list li.comment').count(), 2, 'and its comments')
      await page.unroute(failing)
    })
  } finally {
    if (!existsSync(SCREENSHOT)) {
      mkdirSync(join(PROJECT_DIR, 'test', 'artifacts'), { recursive: true })
      await page.screenshot({ path: SCREENSHOT, fullPage: true }).then(
        () => t.comment(`screenshot (of a failure): ${SCREENSHOT}`),
        (error: Error) => t.comment(`no screenshot: ${error.message}`),
      )
    }
    t.same(problems, [], 'no page error, failed request, CSP or CORS complaint in the browser')
  }
})
