import Type, { type Static } from 'typebox'
import { ref, StringEnum } from './schema.js'

export const ValidationIssue = Type.Object(
  {
    in: StringEnum(['body', 'query', 'path', 'header'], { description: 'Where the failing value was sent.' }),
    name: Type.String({ description: 'The failing field or parameter; nested body fields use `/`.', examples: ['limit'] }),
    detail: Type.String({ examples: ['must be <= 100'] }),
  },
  { $id: 'ValidationIssue', additionalProperties: false },
)

export const Problem = Type.Object(
  {
    type: Type.String({ format: 'uri-reference', description: 'Identifies the problem type; `/problems/<type>` on this server is a page that explains it.', examples: ['/problems/not-found'] }),
    title: Type.String({ examples: ['Not Found'] }),
    status: Type.Integer({ minimum: 400, maximum: 599, examples: [404] }),
    detail: Type.String({ examples: ['No published article has the slug "massage-for-necks".'] }),
    requestId: Type.Optional(Type.String({ description: 'Echoes the `x-request-id` of the request, for support.' })),
    errors: Type.Optional(Type.Array(ref(ValidationIssue), { description: 'Present on validation problems.' })),
  },
  {
    $id: 'Problem',
    description: 'An RFC 9457 problem detail, sent as `application/problem+json`.',
  },
)

export type ProblemBody = Static<typeof Problem>
export type ValidationIssueBody = Static<typeof ValidationIssue>

/** The problem types this API sends; each has a page at `/problems/<type>`. */
export const problemTypes = {
  'bad-request': { status: 400, title: 'Bad Request', about: 'The request is malformed: its syntax, encoding or framing cannot be read.' },
  'validation-failed': { status: 400, title: 'Validation Failed', about: 'One or more parameters or body fields are invalid; `errors` lists each one.' },
  unauthorized: { status: 401, title: 'Unauthorized', about: 'The route needs a valid `Authorization: Bearer` token.' },
  forbidden: { status: 403, title: 'Forbidden', about: 'The key is valid but lacks the scope this route needs.' },
  'not-found': { status: 404, title: 'Not Found', about: 'No resource is at this URL, or it is not public.' },
  'method-not-allowed': { status: 405, title: 'Method Not Allowed', about: 'The path exists but does not answer this method; `Allow` lists the methods it answers.' },
  'request-timeout': { status: 408, title: 'Request Timeout', about: 'The request was not received in time; send it again.' },
  conflict: { status: 409, title: 'Conflict', about: 'The request conflicts with what is stored, e.g. the same comment posted twice.' },
  'precondition-failed': { status: 412, title: 'Precondition Failed', about: 'The `If-Match` header names a version that is no longer current: read the resource again and reapply the change.' },
  'precondition-required': { status: 428, title: 'Precondition Required', about: 'The route changes what someone else may have changed: send `If-Match` with the ETag of the version you read.' },
  'payload-too-large': { status: 413, title: 'Payload Too Large', about: 'The request body is larger than this route accepts.' },
  'unsupported-media-type': { status: 415, title: 'Unsupported Media Type', about: 'The request body has a content type this route does not accept.' },
  'unprocessable-content': { status: 422, title: 'Unprocessable Content', about: 'The body is well-formed but cannot be turned into the resource; `detail` says why.' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency Key Reused', about: 'The Idempotency-Key was already used for a different request; use a new key for a new request.' },
  'request-header-fields-too-large': { status: 431, title: 'Request Header Fields Too Large', about: 'The request line and headers together are larger than the server accepts (16 KiB).' },
  'too-many-requests': { status: 429, title: 'Too Many Requests', about: 'The client sent too many requests; retry after the time in `Retry-After`.' },
  'internal-error': { status: 500, title: 'Internal Server Error', about: 'The server failed; the request id in the answer identifies it in the logs.' },
  'service-unavailable': { status: 503, title: 'Service Unavailable', about: 'The service cannot answer now; `/readyz` says why.' },
} as const

export type ProblemType = keyof typeof problemTypes

/** An error that the error handler turns into a problem response as it is. */
export class HttpProblem extends Error {
  readonly status: number
  readonly title: string
  constructor(
    readonly problemType: ProblemType,
    readonly detail: string,
    readonly errors?: ValidationIssueBody[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail)
    this.status = problemTypes[problemType].status
    this.title = problemTypes[problemType].title
  }
}

export const notFound = (detail: string) => new HttpProblem('not-found', detail)

/** The one shape of a validation problem: the detail names the fields `issues` lists and how many more failed (`unlisted`), `errors` says why. */
export const validationFailed = (issues: ValidationIssueBody[], unlisted = 0) =>
  new HttpProblem('validation-failed', `The request is invalid: ${issues.map((issue) => `${issue.in} ${issue.name}`).join(', ')}${unlisted > 0 ? ` and ${unlisted} more` : ''}.`, issues)

export const invalidParameter = (where: ValidationIssueBody['in'], name: string, detail: string) => validationFailed([{ in: where, name, detail }])

export function problemBody(problem: HttpProblem, requestId: string): ProblemBody {
  return {
    type: `/problems/${problem.problemType}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    requestId,
    ...(problem.errors ? { errors: problem.errors } : {}),
  }
}
