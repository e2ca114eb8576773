import Type, { type Static } from 'typebox'
import { Id, Nullable, SlugParam, StringEnum, Timestamp } from '../http/schema.js'

export const CommentStatus = StringEnum(['pending', 'approved', 'spam', 'rejected'], {
  description: 'Only `approved` comments are public. New comments are `pending` unless the server auto-approves.',
})

const publicProperties = {
  id: Id,
  parentId: Nullable(Type.Integer({ minimum: 1, description: 'The comment this one replies to; `null` for a top-level comment.' })),
  authorName: Type.String({ examples: ['Maya R.'] }),
  authorUrl: Nullable(Type.String({ format: 'uri', examples: ['https://maya.example'] })),
  body: Type.String({ description: 'Plain text; never HTML. Newlines separate paragraphs.', examples: ['The stripping technique helped my sciatica a lot.'] }),
  createdAt: Timestamp,
  replyCount: Type.Integer({ minimum: 0, description: 'Approved replies.', examples: [0] }),
}

export const PublicComment = Type.Object(publicProperties, {
  $id: 'Comment',
  additionalProperties: false,
  description: 'An approved comment as readers see it: no email, no address, no status.',
})

export const CreatedComment = Type.Object(
  { ...publicProperties, status: CommentStatus },
  { $id: 'CreatedComment', additionalProperties: false, description: 'The comment just posted, with its moderation status.' },
)

export const ModeratedComment = Type.Object(
  {
    ...publicProperties,
    articleSlug: SlugParam,
    authorEmail: Type.String({ format: 'email', examples: ['maya@example.com'] }),
    status: CommentStatus,
    updatedAt: Timestamp,
  },
  { $id: 'ModeratedComment', additionalProperties: false, description: 'A comment as moderators see it, email included.' },
)

/** The field that frontends render hidden; people leave it empty, form-filling bots do not. */
export const HONEYPOT_FIELD = 'website'

export const NewComment = Type.Object(
  {
    authorName: Type.String({ minLength: 1, maxLength: 100, description: 'Trimmed, on one line, then 1 to 100 characters.', examples: ['Maya R.'] }),
    authorEmail: Type.String({ format: 'email', maxLength: 254, description: 'Never published.', examples: ['maya@example.com'] }),
    body: Type.String({
      minLength: 1,
      maxLength: 5000,
      description: 'Plain text, never HTML: trimmed, control characters removed, NFC; then 1 to 5000 characters.',
      examples: ['The stripping technique helped my sciatica a lot.'],
    }),
    parentId: Type.Optional({ ...Id, description: 'An approved comment of the same article to reply to.' }),
    authorUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://[^\\s/?#@]+', maxLength: 2000, description: 'An http(s) URL with a host and no user name or password (`user:password@` is refused), read as browsers read it (WHATWG URL).', examples: ['https://maya.example'] })),
    [HONEYPOT_FIELD]: Type.Optional(
      Type.String({
        maxLength: 2000,
        description: 'Honeypot: render it as a hidden, empty input. A comment that fills it is accepted (201) but stored as spam.',
      }),
    ),
  },
  { additionalProperties: false, $id: 'NewComment' },
)

export type CommentStatus = Static<typeof CommentStatus>
export type PublicComment = Static<typeof PublicComment>
export type CreatedComment = Static<typeof CreatedComment>
export type ModeratedComment = Static<typeof ModeratedComment>
export type NewComment = Static<typeof NewComment>

export const commentComponents = [PublicComment, CreatedComment, ModeratedComment, NewComment]
