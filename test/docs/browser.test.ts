import { mkdirSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import t from 'tap'
import { CHROMIUM, CHROMIUM_ARGS, WITHOUT_CHROMIUM } from '../helpers/browser.js'
import { PROJECT_DIR, SEED_SLUG, startServer } from '../helpers/server.js'

// Swagger UI at /docs in a real browser, under the CSP the server sends: every operation of the
// document is listed, and "Try it out" on getArticle shows the live seeded article.

const SCREENSHOT = join(PROJECT_DIR, 'test', 'artifacts', 'docs.png')
const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'])

interface Document {
  paths: Record<string, Record<string, { operationId: string; tags?: string[] }>>
  webhooks?: Record<string, Record<string, unknown>>
}

/**
 * A non-loopback IPv4 address of this machine, when it has one: the docs are then read over plain
 * HTTP from an origin that is not "potentially trustworthy", as in a container with `HOST=0.0.0.0`,
 * where the browser is strictest (e.g. `upgrade-insecure-requests` would break the page).
 */
function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address
}

t.setTimeout(180_000)

t.test('Swagger UI lists every operation and runs getArticle against the live server', { skip: WITHOUT_CHROMIUM }, async (t) => {
  const server = await startServer(t, {}, lanAddress() ?? '127.0.0.1')
  t.comment(`docs at ${server.url}/docs`)
  const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as Document
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, operation]) => ({ id: operation.operationId, tag: operation.tags?.[0] ?? 'default', method: method.toUpperCase(), path })),
  )

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } })
  const problems: string[] = []
  // Runs in the page (as text: this project's TypeScript has no DOM types).
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`))",
  })
  page.on('console', (message) => {
    if (message.text().startsWith('CSP violation')) problems.push(message.text())
    else if (message.type() === 'error') t.comment(`browser console: ${message.text().slice(0, 200)}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`))
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`)
  })

  try {
    await page.goto(`${server.url}/docs`)
    await page.waitForSelector('.opblock', { timeout: 30_000 })
    const listed = await page.$$eval('.opblock', (blocks) =>
      blocks.map((block) => ({
        id: block.id,
        method: block.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '',
        path: block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '',
      })),
    )
    // Swagger UI lists each event of the document's `webhooks` section as an operation block too.
    const events = Object.values(document.webhooks ?? {}).flatMap((item) => Object.keys(item).filter((method) => METHODS.has(method)))
    t.ok(events.length > 0, 'the document describes its webhook events')
    t.equal(listed.length, operations.length + events.length, `${operations.length} operations and ${events.length} webhook events listed`)
    for (const operation of operations) {
      const found = listed.find((block) => block.method === operation.method && block.path === operation.path)
      t.ok(found, `${operation.method} ${operation.path} is listed`)
      t.equal(found?.id, `operations-${operation.tag}-${operation.id}`, `as ${operation.id}`)
    }

    const getArticle = operations.find((operation) => operation.id === 'getArticle')!
    const block = page.locator(`#operations-${getArticle.tag}-getArticle`)
    await block.locator('.opblock-summary').first().click()
    await block.locator('button.try-out__btn').click()
    await block.locator('input[placeholder="slug"]').fill(SEED_SLUG)
    await block.locator('button.execute').click()
    const status = block.locator('.live-responses-table tbody .response-col_status').first()
    await status.waitFor({ timeout: 30_000 })
    t.equal((await status.textContent())?.trim(), '200', 'the live response is a 200')
    // Swagger UI sends the documented defaults of the query parameters too.
    t.equal((await block.locator('.request-url pre').textContent())?.trim(), `${server.url}/v1/articles/${SEED_SLUG}?format=blocks`, 'to the server that serves the docs')
    const body = (await block.locator('.live-responses-table tbody .response-col_description pre').first().textContent()) ?? ''
    t.match(JSON.parse(body), { slug: SEED_SLUG, title: 'Lower Back Pain Deep Tissue Massage', status: 'published' }, 'the response body is the seeded article')
    await block.scrollIntoViewIfNeeded()
  } finally {
    // A screenshot whatever happened, and what went wrong in the browser, if anything.
    mkdirSync(join(PROJECT_DIR, 'test', 'artifacts'), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: false }).then(
      () => t.comment(`screenshot: ${SCREENSHOT}`),
      (error: Error) => t.comment(`no screenshot: ${error.message}`),
    )
    t.same(problems, [], 'no CSP violation, page error, failed request or error status in the browser')
  }
})
