import { articleView } from '../articles/views.js'
import type { Article } from '../articles/schemas.js'
import type { Queries } from '../db/store.js'
import { PREVIEW_TOKEN_EXAMPLE, PreviewRepository } from './repository.js'

/** The preview routes' answers for the OpenAPI document, made with the real repository on the examples' database. */
export async function previewExamples(db: Queries, draft: Article, at: Date) {
  const previews = new PreviewRepository(db)
  const { preview } = await previews.create(draft.id, at, 3600)
  // A made-up token: a real one is random, and the document must not change from one build to the next.
  const token = PREVIEW_TOKEN_EXAMPLE
  return {
    createPreview: { ...preview, token, url: `https://api.spa.example/v1/previews/${token}` },
    listPreviews: { data: [preview], meta: { limit: 20, nextCursor: null } },
    getPreview: articleView(draft, {}),
  }
}
