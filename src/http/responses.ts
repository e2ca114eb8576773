import { Problem, problemTypes, type ProblemType } from './problem.js'
import { ref } from './schema.js'

const ProblemRef = ref(Problem)

/** Response schemas for the problems a route can answer with, sent as `application/problem+json`. */
export function problemResponses(...types: ProblemType[]) {
  const responses: Record<number, { description: string; content: { 'application/problem+json': { schema: typeof ProblemRef } } }> = {}
  for (const type of types) {
    const { status, about } = problemTypes[type]
    const description = responses[status] ? `${responses[status].description} Or: ${about}` : about
    responses[status] = { description, content: { 'application/problem+json': { schema: ProblemRef } } }
  }
  return responses
}

/** Every route can be sent a malformed request and can fail; these apply to all of them. */
export const commonProblems: ProblemType[] = ['validation-failed', 'internal-error']
