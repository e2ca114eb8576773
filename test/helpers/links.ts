/** The target of the `Link: <...>; rel="next"` of a response, or undefined on a last page. */
export function nextLink(headers: Record<string, unknown>): string | undefined {
  const link = headers.link
  return typeof link === 'string' ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined
}
