import { createSpaClient, getArticle, listArticleTechniques, ProblemError } from './index.js'

const client = createSpaClient({ baseUrl: process.env.SPA_API_URL ?? 'http://localhost:3000' })
const slug = 'lower-back-pain-deep-tissue-massage'

try {
  const article = await getArticle(client, slug)
  console.log(`${article.title} (${article.readingTimeMinutes} min read)`)
  for (const technique of await listArticleTechniques(client, slug)) {
    console.log(`${technique.position}. ${technique.name}: ${technique.description}`)
  }
} catch (error) {
  if (!(error instanceof ProblemError)) throw error
  console.error(`${error.message} (see ${error.problem.type})`)
  process.exitCode = 1
}
