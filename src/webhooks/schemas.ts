import Type, { type Static } from 'typebox'
import { Nullable, Timestamp } from '../http/schema.js'
import { EVENT_TYPES, TEST_EVENT } from './events.js'

export const EventType = Type.Enum([...EVENT_TYPES], { description: 'An event an endpoint can listen to.' })

const endpointProperties = {
  id: Type.Integer({ minimum: 1, examples: [1] }),
  url: Type.String({ description: 'Where events are POSTed: http or https.', examples: ['https://spa.example/api/revalidate'] }),
  description: Type.String({ maxLength: 500 }),
  events: Type.Array(EventType, { minItems: 1, uniqueItems: true }),
  enabled: Type.Boolean({ description: 'Disabled endpoints receive nothing; their pending deliveries wait until the endpoint is enabled again.' }),
  disabledReason: Nullable(Type.String({ description: 'Why the server disabled the endpoint (it answered 410, or failed every attempt of the retry schedule); `null` otherwise.' })),
  secretRotatedUntil: Nullable({ ...Timestamp, description: 'After a rotation: until when the previous secret also signs each delivery (a time past once it stopped); `null` before any rotation.' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
}

export const WebhookEndpoint = Type.Object(endpointProperties, { $id: 'WebhookEndpoint', additionalProperties: false, description: 'Where events are sent.' })

export const WebhookEndpointWithSecret = Type.Object(
  {
    ...endpointProperties,
    secret: Type.String({ pattern: '^whsec_[A-Za-z0-9+/=]+$', description: 'Shown once, here: the key that signs deliveries (Standard Webhooks `whsec_` + base64).' }),
  },
  { $id: 'WebhookEndpointWithSecret', additionalProperties: false, description: 'An endpoint with its new secret.' },
)

export const NewWebhookEndpoint = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'http or https; not a private, loopback or link-local address unless the server allows private networks.' }),
    events: Type.Array(EventType, { minItems: 1, maxItems: EVENT_TYPES.length, uniqueItems: true }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { $id: 'NewWebhookEndpoint', additionalProperties: false },
)

export const WebhookEndpointChanges = Type.Object(
  {
    url: Type.Optional(NewWebhookEndpoint.properties.url),
    events: Type.Optional(NewWebhookEndpoint.properties.events),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    enabled: Type.Optional(Type.Boolean({ description: '`true` enables a disabled endpoint again (its pending deliveries resume in order).' })),
  },
  { $id: 'WebhookEndpointChanges', additionalProperties: false, minProperties: 1 },
)

export const WebhookDelivery = Type.Object(
  {
    id: Type.Integer({ minimum: 1, examples: [1] }),
    eventId: Type.Integer({ minimum: 1 }),
    webhookId: Type.String({ description: 'The `webhook-id` header it is sent with.', examples: ['msg_1'] }),
    type: Type.Enum([...EVENT_TYPES, TEST_EVENT]),
    status: Type.Enum(['pending', 'succeeded', 'failed'], { description: '`pending` until an attempt succeeds or the retry schedule ends.' }),
    attempts: Type.Integer({ minimum: 0 }),
    createdAt: Timestamp,
    lastAttemptAt: Nullable(Timestamp),
    lastStatusCode: Nullable(Type.Integer({ description: 'The HTTP status of the last attempt; `null` when none came (refused, timed out).' })),
    lastDurationMs: Nullable(Type.Integer({ minimum: 0 })),
    lastError: Nullable(Type.String({ description: 'What went wrong on the last attempt, with the start of the answer\'s body (at most 200 characters).' })),
    nextAttemptAt: Nullable({ ...Timestamp, description: 'When the next attempt is due; `null` unless pending.' }),
  },
  { $id: 'WebhookDelivery', additionalProperties: false, description: 'One event sent to one endpoint, with how its attempts went.' },
)

export type WebhookEndpoint = Static<typeof WebhookEndpoint>
export type WebhookDelivery = Static<typeof WebhookDelivery>
export type NewWebhookEndpoint = Static<typeof NewWebhookEndpoint>
export type WebhookEndpointChanges = Static<typeof WebhookEndpointChanges>

export const webhookSchemas = [WebhookEndpoint, WebhookEndpointWithSecret, NewWebhookEndpoint, WebhookEndpointChanges, WebhookDelivery]
