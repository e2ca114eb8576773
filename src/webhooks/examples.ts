import type { Queries } from '../db/store.js'
import { WebhookRepository } from './repository.js'

// Made-up: a real secret is random, and the document must not change from one build to the next.
const EXAMPLE_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

/** The webhook routes' requests and answers for the OpenAPI document, made with the real repository on the examples' database. */
export async function webhookExamples(db: Queries, at: Date) {
  const webhooks = new WebhookRepository(db)
  const request = { url: 'https://spa.example/api/revalidate', events: ['article.published' as const, 'article.updated' as const], description: 'Rebuild the article pages' }
  const { endpoint } = await webhooks.create(request, at)
  const delivery = await webhooks.sendTest(endpoint.id, at)
  const rotated = { ...endpoint, secretRotatedUntil: new Date(at.getTime() + 24 * 3600_000).toISOString(), secret: EXAMPLE_SECRET }
  const page = <T>(data: T[]) => ({ data, meta: { limit: 20, nextCursor: null } })
  return {
    requests: { createWebhookEndpoint: request, updateWebhookEndpoint: { enabled: true } },
    responses: {
      createWebhookEndpoint: { ...endpoint, secret: EXAMPLE_SECRET },
      listWebhookEndpoints: page([endpoint]),
      getWebhookEndpoint: endpoint,
      updateWebhookEndpoint: endpoint,
      rotateWebhookSecret: rotated,
      testWebhookEndpoint: delivery,
      listWebhookDeliveries: page([delivery]),
      resendWebhookDelivery: { ...delivery, id: delivery.id + 1 },
    },
  }
}
