import { createHmac, randomBytes } from 'node:crypto'

const SECRET_PREFIX = 'whsec_'

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes, as Standard Webhooks has it. */
export const newSecret = () => SECRET_PREFIX + randomBytes(32).toString('base64')

/** The message id of an event: the same on every attempt, so a receiver can drop duplicates. */
export const messageId = (eventId: number) => `msg_${eventId}`

/** `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the secret's decoded bytes (Standard Webhooks 1.0). */
export function signature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`
}
