import type { FastifyInstance } from 'fastify'

/**
 * The methods each route path answers, so that a request with another method on a path that exists
 * is told which ones do (405 with `Allow`) instead of "nothing is here". Fed by `onRoute`; the
 * wildcard OPTIONS route of CORS is no path of its own.
 */
export class AllowedMethods {
  readonly #paths = new Map<string, { pattern: RegExp; methods: Set<string> }>()

  constructor(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      if (route.url === '*' || route.url === '/*') return
      let entry = this.#paths.get(route.url)
      if (!entry) {
        entry = { pattern: patternOf(route.url), methods: new Set() }
        this.#paths.set(route.url, entry)
      }
      for (const method of [route.method].flat()) if (method !== 'OPTIONS') entry.methods.add(method)
    })
  }

  /** The methods `path` answers, in a stable order; empty when no route has that path. */
  of(path: string): string[] {
    const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path
    const methods = new Set<string>()
    for (const { pattern, methods: answered } of this.#paths.values()) if (pattern.test(trimmed)) for (const method of answered) methods.add(method)
    return [...methods].sort()
  }
}

/** A route path (`/v1/articles/:slug`, `/docs/static/*`) as a regular expression for concrete paths. */
function patternOf(url: string): RegExp {
  const trimmed = url.length > 1 ? url.replace(/\/+$/, '') : url
  const source = trimmed
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/')
  return new RegExp(`^${source}$`)
}
