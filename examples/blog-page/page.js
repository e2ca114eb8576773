// Renders one article of the API, its recommended posts and comments, and posts new comments.
// Text from the API only ever goes through textContent: nothing it sends is parsed as HTML.
import { ApiError, createApi } from './api.js'

const DEFAULT_API = 'http://127.0.0.1:3000'
const DEFAULT_SLUG = 'lower-back-pain-deep-tissue-massage'
const RELATED_LIMIT = 4
const COMMENTS_PAGE = 100
const DEFAULT_WAIT_SECONDS = 60

/** The API's field names and the inputs (and labels) that hold them, in the form's order. */
const FIELDS = [
  { name: 'body', input: 'comment-body', label: 'Comment' },
  { name: 'authorName', input: 'comment-name', label: 'Name' },
  { name: 'authorEmail', input: 'comment-email', label: 'Email' },
  { name: 'authorUrl', input: 'comment-url', label: 'Website' },
]
const HONEYPOT = 'comment-website'

const params = new URLSearchParams(location.search)
const apiBase = params.get('api') ?? DEFAULT_API
const slug = params.get('slug') ?? DEFAULT_SLUG
const api = createApi(apiBase)
const byId = (id) => document.getElementById(id)

function element(tag, properties = {}, children = []) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(properties)) {
    if (key === 'text') node.textContent = value
    else if (key === 'className') node.className = value
    else node.setAttribute(key, value)
  }
  node.append(...children)
  return node
}

/** A link to another article of this page, keeping the API's address. */
function articleHref(otherSlug) {
  const query = new URLSearchParams({ api: apiBase, slug: otherSlug })
  return `?${query}`
}

const dateFormat = new Intl.DateTimeFormat('en', { dateStyle: 'long' })
const time = (iso) => element('time', { datetime: iso, text: dateFormat.format(new Date(iso)) })

function renderBlock(block) {
  if (block.type === 'paragraph') return element('p', { text: block.text })
  // Techniques, benefits and other lists: numbered, each item its name, then its description.
  return element(
    'ol',
    { className: 'items', 'data-kind': block.kind },
    block.items.map((item) => element('li', {}, [element('span', { className: 'item-name', text: `${item.name}:` }), ` ${item.description}`])),
  )
}

function renderArticle(article) {
  document.title = article.title
  const container = byId('article')
  const minutes = `${article.readingTimeMinutes} min read`
  container.replaceChildren(
    element('header', {}, [element('h1', { text: article.title }), element('p', { className: 'byline' }, [time(article.publishedAt), ` · ${minutes}`])]),
    ...article.sections.map((section) => {
      const blocks = section.blocks.map(renderBlock)
      // The introduction is the one section without a heading.
      if (!section.heading) return element('div', { className: 'introduction' }, blocks)
      const headingId = `section-${section.slug}`
      return element('section', { 'aria-labelledby': headingId }, [element('h2', { id: headingId, text: section.heading }), ...blocks])
    }),
  )
  container.hidden = false
}

function renderRelated(related) {
  // No block at all when the route failed or found nothing to recommend.
  if (!related || related.data.length === 0) return
  byId('recommended-list').replaceChildren(
    ...related.data.map((item) => element('li', {}, [element('a', { href: articleHref(item.slug), text: item.title })])),
  )
  byId('recommended').hidden = false
}

function commentCountText(count) {
  if (count === 0) return 'No comments yet'
  return count === 1 ? '1 Comment' : `${count} Comments`
}

function renderComment(node) {
  const { comment } = node
  const author = /^https?:\/\//i.test(comment.authorUrl ?? '')
    ? element('a', { className: 'comment-author', href: comment.authorUrl, rel: 'nofollow ugc noopener noreferrer', text: comment.authorName })
    : element('span', { className: 'comment-author', text: comment.authorName })
  const reply = element('button', { type: 'button', className: 'reply-button', text: `Reply to ${comment.authorName}` })
  reply.addEventListener('click', () => startReply(comment))
  const item = element('li', { className: 'comment', id: `comment-${comment.id}` }, [
    element('p', { className: 'comment-meta' }, [author, ' · ', time(comment.createdAt)]),
    element('div', { className: 'comment-body' }, comment.body.split(/\n+/).map((text) => element('p', { text }))),
    reply,
  ])
  if (node.replies.length > 0) item.append(element('ol', { className: 'replies', 'aria-label': `Replies to ${comment.authorName}` }, node.replies.map(renderComment)))
  return item
}

/** Replies under their parent; a reply whose parent is not shown stands on its own. */
function commentTree(comments) {
  const nodes = new Map(comments.map((comment) => [comment.id, { comment, replies: [] }]))
  const roots = []
  for (const node of nodes.values()) {
    const parent = node.comment.parentId === null ? undefined : nodes.get(node.comment.parentId)
    ;(parent ? parent.replies : roots).push(node)
  }
  return roots
}

function renderComments(count, comments) {
  byId('comments-heading').textContent = commentCountText(count)
  byId('comment-list').replaceChildren(...commentTree(comments).map(renderComment))
  byId('comments').hidden = false
}

// The comment form.

let replyTo = null
/** The key of the submission being attempted, kept for a retry of the same comment after a network failure. */
let pending = null

function startReply(comment) {
  replyTo = comment
  byId('replying-to').textContent = `Replying to ${comment.authorName}.`
  byId('replying').hidden = false
  byId('comment-body').focus()
}

function cancelReply() {
  replyTo = null
  byId('replying').hidden = true
}

function newIdempotencyKey() {
  // getRandomValues, unlike randomUUID, also works on a plain-HTTP origin that is not localhost.
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

function say(text, isProblem = false) {
  const message = byId('form-message')
  message.textContent = text
  message.classList.toggle('problem', isProblem)
}

function clearFieldProblems() {
  for (const field of FIELDS) {
    const input = byId(field.input)
    input.removeAttribute('aria-invalid')
    byId(`${field.input}-error`).textContent = ''
  }
}

/** Each field's problem next to it; the first invalid field (in the form's order) gets the focus. */
function showFieldProblems(issues) {
  const unplaced = []
  for (const issue of issues) {
    const field = issue.in === 'body' ? FIELDS.find((candidate) => candidate.name === issue.name) : undefined
    if (!field) {
      unplaced.push(issue.detail)
      continue
    }
    byId(field.input).setAttribute('aria-invalid', 'true')
    const error = byId(`${field.input}-error`)
    error.textContent = `${error.textContent} ${field.label} ${issue.detail}.`.trim()
  }
  say(['Please correct the marked fields.', ...unplaced].join(' '), true)
  FIELDS.map((field) => byId(field.input))
    .find((input) => input.getAttribute('aria-invalid') === 'true')
    ?.focus()
}

function collectComment() {
  const comment = {}
  // Empty fields are left out, so the API names a missing required one ("is required").
  for (const field of FIELDS) {
    const value = byId(field.input).value.trim()
    if (value) comment[field.name] = value
  }
  const honeypot = byId(HONEYPOT).value
  if (honeypot) comment.website = honeypot
  if (replyTo) comment.parentId = replyTo.id
  return comment
}

function holdSubmit(seconds) {
  const button = byId('comment-submit')
  button.disabled = true
  setTimeout(() => (button.disabled = false), seconds * 1000)
}

async function submitComment(event) {
  event.preventDefault()
  clearFieldProblems()
  const comment = collectComment()
  const fingerprint = JSON.stringify(comment)
  if (pending?.fingerprint !== fingerprint) pending = { fingerprint, key: newIdempotencyKey() }
  const button = byId('comment-submit')
  button.disabled = true
  say('Sending your comment…')
  try {
    const created = await api.postComment(slug, comment, pending.key)
    pending = null
    byId('comment-form').reset()
    cancelReply()
    if (created.status === 'approved') {
      say('Thank you! Your comment is published.')
      await loadComments()
    } else {
      say('Thank you! Your comment is awaiting moderation and will appear here once it is approved.')
    }
    button.disabled = false
  } catch (error) {
    button.disabled = false
    if (!(error instanceof ApiError)) {
      say('The comment could not be sent: the server did not answer. Please try again; it will not be posted twice.', true)
      return
    }
    pending = null
    if (error.status === 429) {
      const seconds = error.retryAfter ?? DEFAULT_WAIT_SECONDS
      say(`You have posted several comments in a short time. Please wait ${seconds} seconds before posting again.`, true)
      holdSubmit(seconds)
    } else if (Array.isArray(error.problem?.errors) && error.problem.errors.length > 0) {
      showFieldProblems(error.problem.errors)
    } else {
      say(`The comment could not be posted: ${error.message}`, true)
    }
  }
}

// Loading.

async function loadComments() {
  const path = `/v1/articles/${encodeURIComponent(slug)}`
  const [article, comments] = await Promise.all([api.read(path), api.readAll(`${path}/comments?limit=${COMMENTS_PAGE}`)])
  renderComments(article.commentCount, comments)
}

async function load() {
  const path = `/v1/articles/${encodeURIComponent(slug)}`
  const status = byId('page-status')
  try {
    const [article, related, comments] = await Promise.all([
      api.read(path),
      api.read(`${path}/related?limit=${RELATED_LIMIT}`).catch(() => null),
      api.readAll(`${path}/comments?limit=${COMMENTS_PAGE}`),
    ])
    renderArticle(article)
    renderRelated(related)
    renderComments(article.commentCount, comments)
    byId('respond').hidden = false
    status.remove()
  } catch (error) {
    status.textContent =
      error instanceof ApiError && error.status === 404 ? 'There is no article at this address.' : `The article could not be loaded from ${apiBase}: ${error.message}`
  } finally {
    byId('main').setAttribute('aria-busy', 'false')
  }
}

byId('comment-form').addEventListener('submit', submitComment)
byId('cancel-reply').addEventListener('click', cancelReply)
load()
