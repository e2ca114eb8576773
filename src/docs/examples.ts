import { readFileSync } from 'node:fs'
import { ArticleRepository, contentOf } from '../articles/repository.js'
import { RelatedArticles } from '../articles/related.js'
import { articleView } from '../articles/views.js'
import { CatalogRepository } from '../catalog/repository.js'
import { CommentRepository } from '../comments/repository.js'
import type { ArticleEntry, Section } from '../content/schemas.js'
import { openDatabase } from '../db/database.js'
import { migrate } from '../db/migrate.js'
import { SqliteStore } from '../db/sqlite.js'
import { API_ROOT, apiCatalog } from '../discovery/routes.js'
import { buildFeed, toAtom, toJsonFeed } from '../feeds/formats.js'
import { FeedRepository } from '../feeds/repository.js'
import { FEED_SIZE } from '../feeds/schemas.js'
import { CursorCodec } from '../http/cursor.js'
import { DEFAULT_PAGE_SIZE } from '../http/pagination.js'
import { HttpProblem, invalidParameter, problemBody, problemTypes, type ProblemType } from '../http/problem.js'
import { importFiles, readArticleFile, seedFiles } from '../importer/files.js'
import { queryWords } from '../search/query.js'
import { previewExamples } from '../previews/examples.js'
import { webhookExamples } from '../webhooks/examples.js'
import { SearchRepository, toSearchHit } from '../search/repository.js'
import { SyncRepository } from '../sync/repository.js'
import { TOKEN_SCOPE } from '../sync/routes.js'
import { problemPage } from './problem-page.js'

const EXAMPLE_TIME = new Date('2026-01-15T09:00:00.000Z')
const EXAMPLE_REQUEST_ID = '5f0c6a2e-8d1b-4b7e-9f3a-2c4d6e8f0a1b'

export interface OperationExamples {
  /** The request body of each operation that takes one, by operationId. */
  requests: Record<string, unknown>
  /** The success answer of each operation, by operationId. */
  responses: Record<string, unknown>
  /** The answer with `fields` of each operation that takes it, by operationId. */
  sparseResponses: Record<string, unknown>
  /** A problem for each status, by status code. */
  problems: Record<number, unknown>
}

/**
 * Examples for the OpenAPI document, made from the seed articles through the real importer and
 * repositories on a throw-away database, so that they are real answers and never go stale.
 */
/** A section as an editor would send it: what the API derives (slugs, positions) left out. */
function sectionInput({ heading, blocks }: Section) {
  return {
    ...(heading === undefined ? {} : { heading }),
    blocks: blocks.map((block) => (block.type === 'paragraph' ? block : { ...block, items: block.items.map(({ name, description }) => ({ ...(name === undefined ? {} : { name }), description })) })),
  }
}

const entryInputs = (entries: ArticleEntry[]) => entries.map(({ name, description }) => ({ name, description }))

export async function buildExamples(): Promise<OperationExamples> {
  const db = openDatabase(':memory:')
  migrate(db)
  // The same examples whatever store the server runs on: they are the document's, made on a throw-away SQLite database.
  const store = new SqliteStore(db)
  try {
    const articles = new ArticleRepository(store)
    const catalog = new CatalogRepository(store)
    // The seed goes through an editor's day: imported as a draft, then published, which keeps the draft as a revision.
    const [first] = await importFiles(articles, seedFiles(), { publish: false, now: EXAMPLE_TIME })
    const draft = (await articles.find(first!.slug))!
    await articles.update(draft.id, { ...contentOf(draft), status: 'published', publishedAt: EXAMPLE_TIME.toISOString() }, EXAMPLE_TIME)
    const article = (await articles.findPublished(first!.slug))!
    const [revision] = await articles.revisions(article.id, undefined, DEFAULT_PAGE_SIZE)
    const comments = new CommentRepository(store)
    const comment = (fields: { parentId: number | null; authorName: string; body: string }) =>
      comments.create({ ...fields, articleId: article.id, authorEmail: 'reader@example.com', authorUrl: null, status: 'approved', now: EXAMPLE_TIME.toISOString() })
    const asked = { parentId: null, authorName: 'Maya R.', body: 'Does deep tissue massage help with sciatica as well?' }
    const question = await comment(asked)
    await comment({ parentId: question.id, authorName: 'SPA 56 NYC', body: 'It often does: tell your therapist where the pain runs so they can work on the piriformis too.' })
    const { articleSlug: _slug, authorEmail: _email, updatedAt: _updated, status: _status, ...publicQuestion } = (await comments.find(question.id))!
    const moderated = (await comments.find(question.id))!
    const page = <T>(data: T[]) => ({ data: data.slice(0, DEFAULT_PAGE_SIZE), meta: { limit: DEFAULT_PAGE_SIZE, nextCursor: null } })
    const entryPage = async (kind: 'techniques' | 'benefits') => page(await articles.entries(article.id, kind, 0, DEFAULT_PAGE_SIZE))
    const catalogPage = async (kind: 'techniques' | 'benefits') => page(await catalog.list(kind, undefined, DEFAULT_PAGE_SIZE))
    const catalogDetail = async (kind: 'techniques' | 'benefits') => catalog.find(kind, (await catalog.list(kind, undefined, 1))[0]!.slug)
    const catalogArticles = async (kind: 'techniques' | 'benefits') => page((await catalogDetail(kind))!.articles)
    const search = new SearchRepository(store, () => EXAMPLE_TIME)
    const sync = new SyncRepository(store, () => EXAMPLE_TIME)
    const syncedAt = await sync.point()
    const { notes } = readArticleFile(seedFiles()[0]!)
    const webhooks = await webhookExamples(store, EXAMPLE_TIME)
    const feed = buildFeed(await new FeedRepository(store, () => EXAMPLE_TIME).latest(FEED_SIZE), 'https://api.spa.example', EXAMPLE_TIME, 'https://spa.example/blog/{slug}')
    return {
      requests: {
        createArticle: { title: article.title, sections: article.sections.map(sectionInput) },
        updateArticle: { status: 'published' },
        replaceArticleTechniques: entryInputs(await articles.entries(article.id, 'techniques', 0, DEFAULT_PAGE_SIZE)),
        replaceArticleBenefits: entryInputs(await articles.entries(article.id, 'benefits', 0, DEFAULT_PAGE_SIZE)),
        importArticle: readFileSync(seedFiles()[0]!, 'utf8'),
        replaceArticleFromText: readFileSync(seedFiles()[0]!, 'utf8'),
        createComment: { authorName: asked.authorName, authorEmail: moderated.authorEmail, body: asked.body },
        moderateComment: { status: moderated.status },
        createPreview: { expiresInSeconds: 3600 },
        ...webhooks.requests,
      },
      responses: {
        listArticles: page((await articles.listPublished({ sort: '-publishedAt' }, undefined, DEFAULT_PAGE_SIZE)).map(({ article }) => article)),
        getArticle: await articles.findPublished(article.slug),
        listAllArticles: page((await articles.listAll(undefined, undefined, DEFAULT_PAGE_SIZE)).map(({ article }) => article)),
        listArticleTechniques: await entryPage('techniques'),
        listArticleBenefits: await entryPage('benefits'),
        listTechniques: await catalogPage('techniques'),
        listBenefits: await catalogPage('benefits'),
        getTechnique: await catalogDetail('techniques'),
        getBenefit: await catalogDetail('benefits'),
        listTechniqueArticles: await catalogArticles('techniques'),
        listBenefitArticles: await catalogArticles('benefits'),
        createComment: { ...publicQuestion, replyCount: 0, status: 'pending' },
        listComments: page(await comments.listApproved(article.id, 0, DEFAULT_PAGE_SIZE)),
        getComment: publicQuestion,
        listCommentsForModeration: page([{ ...moderated, status: 'pending', replyCount: 0 }]),
        moderateComment: moderated,
        createArticle: draft,
        importArticle: { ...draft, notes },
        replaceArticleFromText: { ...article, notes },
        updateArticle: article,
        replaceArticleTechniques: article,
        replaceArticleBenefits: article,
        listArticleRevisions: page([revision]),
        getArticleRevision: await articles.revision(article.id, revision!.version),
        restoreArticleRevision: article,
        getApiCatalog: apiCatalog('http://localhost:3000'),
        getApiRoot: API_ROOT,
        search: (({ hits, truncated }) => ({ ...page(hits.map(toSearchHit)), meta: { limit: DEFAULT_PAGE_SIZE, nextCursor: null, truncated } }))(
          await search.find(queryWords('deep press'), undefined, DEFAULT_PAGE_SIZE),
        ),
        getJsonFeed: toJsonFeed(feed),
        getAtomFeed: toAtom(feed),
        sync: {
          data: (await sync.changes({ since: null, until: syncedAt, after: 0 }, DEFAULT_PAGE_SIZE)).map((row) => row.change),
          // Signed with a made-up secret: a real token is signed with the database's.
          meta: { limit: DEFAULT_PAGE_SIZE, nextCursor: null, nextSyncToken: new CursorCodec('example').encode(TOKEN_SCOPE, syncedAt) },
        },
        getHealth: { status: 'ok' },
        getReadiness: { status: 'ok' },
        getProblemType: problemPage('not-found'),
        listRelatedArticles: page((await new RelatedArticles(store, () => EXAMPLE_TIME).of(article.slug, 4))!),
        ...(await previewExamples(store, draft, EXAMPLE_TIME)),
        ...webhooks.responses,
      },
      sparseResponses: {
        listArticles: page((await articles.listPublished({ sort: '-publishedAt' }, undefined, DEFAULT_PAGE_SIZE)).map(({ article }) => ({ slug: article.slug, title: article.title }))),
        getArticle: articleView((await articles.findPublished(article.slug))!, { fields: 'title,summary,readingTimeMinutes' }),
        getPreview: articleView(draft, { fields: 'title,status,sections' }),
      },
      problems: {
        ...Object.fromEntries(
          (Object.keys(problemTypes) as ProblemType[]).map((type) => [problemTypes[type].status, problemBody(new HttpProblem(type, problemTypes[type].about), EXAMPLE_REQUEST_ID)]),
        ),
        400: problemBody(invalidParameter('query', 'limit', 'must be <= 100'), EXAMPLE_REQUEST_ID),
        404: problemBody(new HttpProblem('not-found', 'No published article has the slug "hot-stone-massage".'), EXAMPLE_REQUEST_ID),
      },
    }
  } finally {
    await store.close()
  }
}
