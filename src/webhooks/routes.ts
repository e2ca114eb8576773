import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { authProblemTypes, bearerSecurity, type Access } from '../auth/access.js'
import { NO_STORE } from '../http/caching.js'
import type { CursorCodec } from '../http/cursor.js'
import { ListQuery, Page, respondWithPage, type Listing } from '../http/pagination.js'
import { invalidParameter, notFound } from '../http/problem.js'
import { commonProblems, locationUnder, problemResponses, responseHeaders } from '../http/responses.js'
import { Id, ref } from '../http/schema.js'
import { destinationProblem, urlProblem } from './destination.js'
import type { WebhookRepository } from './repository.js'
import { NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint, WebhookEndpointChanges, WebhookEndpointWithSecret } from './schemas.js'

export interface WebhookRoutesOptions {
  webhooks: WebhookRepository
  access: Access
  cursors: CursorCodec
  allowPrivateNetworks: boolean
  now: () => Date
}

const EndpointParams = Type.Object({ id: Id }, { additionalProperties: false })
const DeliveryParams = Type.Object({ id: Id, deliveryId: Id }, { additionalProperties: false })
const problems = (...types: Parameters<typeof problemResponses>) => problemResponses(...types, ...authProblemTypes, ...commonProblems)
const common = { tags: ['Webhooks'], security: bearerSecurity }

/** Endpoint management, for keys with `webhooks:manage` (or `admin`); never cached. */
export const webhookRoutes: FastifyPluginAsyncTypebox<WebhookRoutesOptions> = async (app, { webhooks, access, cursors, allowPrivateNetworks, now }) => {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', NO_STORE)
  })
  app.addHook('onRequest', access.require('webhooks:manage'))

  const endpointOr404 = async (id: number) => {
    const endpoint = await webhooks.find(id)
    if (!endpoint) throw notFound(`There is no webhook endpoint ${id}.`)
    return endpoint
  }
  /** A 400 naming `url` when it is not http(s) or leads into a private network the server may not reach. */
  const checkUrl = async (url: string) => {
    const problem = urlProblem(url) ?? (await destinationProblem(url, allowPrivateNetworks))
    if (problem) throw invalidParameter('body', 'url', problem)
  }

  app.post(
    '/webhooks/endpoints',
    {
      schema: {
        ...common,
        operationId: 'createWebhookEndpoint',
        summary: 'Add a webhook endpoint',
        description:
          'Events of the listed types are POSTed to `url`, signed per Standard Webhooks 1.0 with the `secret` shown here once. The URL must be http(s) and, unless the server allows private networks, resolve to a public address.',
        body: ref(NewWebhookEndpoint),
        response: { 201: { ...ref(WebhookEndpointWithSecret, { description: 'The endpoint, with its secret.' }), headers: { Location: responseHeaders.location } }, ...problems() },
      },
    },
    async (request, reply) => {
      await checkUrl(request.body.url)
      const { endpoint, secret } = await webhooks.create(request.body, now())
      reply.code(201).header('location', locationUnder(request.url, endpoint.id))
      return { ...endpoint, secret }
    },
  )

  app.get(
    '/webhooks/endpoints',
    {
      schema: {
        ...common,
        operationId: 'listWebhookEndpoints',
        summary: 'List webhook endpoints',
        description: 'Every endpoint, oldest first, without secrets.',
        querystring: ListQuery,
        response: { 200: Page(ref(WebhookEndpoint), 'A page of endpoints.'), ...problems() },
      },
    },
    async (request, reply) => {
      const listing: Listing<typeof Id> = { scope: 'webhooks/endpoints', position: Id }
      return respondWithPage(request, reply, cursors, listing, { fetch: (after, limit) => webhooks.list(after ?? 0, limit), positionOf: (endpoint) => endpoint.id })
    },
  )

  app.get(
    '/webhooks/endpoints/:id',
    {
      schema: {
        ...common,
        operationId: 'getWebhookEndpoint',
        summary: 'Get a webhook endpoint',
        description: 'The endpoint, without its secret; `disabledReason` says why the server disabled it, if it did.',
        params: EndpointParams,
        response: { 200: ref(WebhookEndpoint, { description: 'The endpoint.' }), ...problems('not-found') },
      },
    },
    async (request) => endpointOr404(request.params.id),
  )

  app.patch(
    '/webhooks/endpoints/:id',
    {
      schema: {
        ...common,
        operationId: 'updateWebhookEndpoint',
        summary: 'Change a webhook endpoint',
        description: 'Changes the given fields. `enabled: true` enables a disabled endpoint again: its pending deliveries resume, in order.',
        params: EndpointParams,
        body: ref(WebhookEndpointChanges),
        response: { 200: ref(WebhookEndpoint, { description: 'The endpoint as it now is.' }), ...problems('not-found') },
      },
    },
    async (request) => {
      await endpointOr404(request.params.id)
      if (request.body.url !== undefined) await checkUrl(request.body.url)
      return (await webhooks.update(request.params.id, request.body, now())) ?? endpointOr404(request.params.id)
    },
  )

  app.delete(
    '/webhooks/endpoints/:id',
    {
      schema: {
        ...common,
        operationId: 'deleteWebhookEndpoint',
        summary: 'Delete a webhook endpoint',
        description: 'The endpoint and its deliveries, pending ones included.',
        params: EndpointParams,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...problems('not-found') },
      },
    },
    async (request, reply) => {
      if (!(await webhooks.remove(request.params.id))) throw notFound(`There is no webhook endpoint ${request.params.id}.`)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/webhooks/endpoints/:id/rotate-secret',
    {
      schema: {
        ...common,
        operationId: 'rotateWebhookSecret',
        summary: 'Rotate a webhook endpoint\'s secret',
        description: 'A new secret, shown once. For 24 hours the previous one keeps signing beside it (two `v1,` signatures per delivery), so the receiver can switch without losing a delivery.',
        params: EndpointParams,
        response: { 200: ref(WebhookEndpointWithSecret, { description: 'The endpoint, with its new secret.' }), ...problems('not-found') },
      },
    },
    async (request) => {
      const rotated = await webhooks.rotate(request.params.id, now())
      if (!rotated) throw notFound(`There is no webhook endpoint ${request.params.id}.`)
      return { ...rotated.endpoint, secret: rotated.secret }
    },
  )

  app.post(
    '/webhooks/endpoints/:id/test',
    {
      schema: {
        ...common,
        operationId: 'testWebhookEndpoint',
        summary: 'Send a test event',
        description: 'Queues a `webhook.test` event for this endpoint alone; follow it in the endpoint\'s deliveries.',
        params: EndpointParams,
        response: { 202: ref(WebhookDelivery, { description: 'The queued delivery.' }), ...problems('not-found') },
      },
    },
    async (request, reply) => {
      await endpointOr404(request.params.id)
      return reply.code(202).send(await webhooks.sendTest(request.params.id, now()))
    },
  )

  app.get(
    '/webhooks/endpoints/:id/deliveries',
    {
      schema: {
        ...common,
        operationId: 'listWebhookDeliveries',
        summary: 'List an endpoint\'s deliveries',
        description: 'The endpoint\'s deliveries, newest first: the event, how many attempts were made, the last one\'s status code, duration and error, and when the next is due.',
        params: EndpointParams,
        querystring: ListQuery,
        response: { 200: Page(ref(WebhookDelivery), 'A page of deliveries.'), ...problems('not-found') },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      await endpointOr404(id)
      const listing: Listing<typeof Id> = { scope: `webhooks/endpoints/${id}/deliveries`, position: Id }
      return respondWithPage(request, reply, cursors, listing, { fetch: (before, limit) => webhooks.deliveries(id, before, limit), positionOf: (delivery) => delivery.id })
    },
  )

  app.post(
    '/webhooks/endpoints/:id/deliveries/:deliveryId/resend',
    {
      schema: {
        ...common,
        operationId: 'resendWebhookDelivery',
        summary: 'Send a delivery again',
        description: 'Queues the same event (same `webhook-id`, so a receiver can tell) as a new delivery at the end of the endpoint\'s queue.',
        params: DeliveryParams,
        response: { 202: ref(WebhookDelivery, { description: 'The new delivery.' }), ...problems('not-found') },
      },
    },
    async (request, reply) => {
      const { id, deliveryId } = request.params
      const delivery = await webhooks.resend(id, deliveryId, now())
      if (!delivery) throw notFound(`Webhook endpoint ${id} has no delivery ${deliveryId}.`)
      return reply.code(202).send(delivery)
    },
  )
}
