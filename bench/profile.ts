import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface CpuProfile {
  startTime: number
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  totalMs: number
  /** Whether only the samples inside the given window (the load, not the start) were counted. */
  windowed: boolean
  /** Self time by package (node_modules/<name>), `app (dist)`, `node: <module>` or a V8 pseudo-frame. */
  byCategory: { category: string; ms: number; percent: number }[]
  topFunctions: { fn: string; ms: number; percent: number }[]
}

function category(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : 'native / V8 builtins'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]!
  if (url.includes('/dist/')) return 'app (dist)'
  if (url.startsWith('node:internal/modules') || url.startsWith('node:internal/vm')) return 'node: module loader'
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/').slice(0, 2).join('/')}`
  return url
}

/**
 * Self time per category and per function of a V8 .cpuprofile (from `node --cpu-prof`). With `window`
 * (CLOCK_MONOTONIC microseconds, as `process.hrtime.bigint() / 1000n` gives and V8 stamps samples),
 * only the samples taken inside it count.
 */
export function summarizeProfile(file: string, top = 15, window?: { from: number; to: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const categories = new Map<string, number>()
  const functions = new Map<string, number>()
  let total = 0
  let at = profile.startTime
  const inWindow = window ? profile.samples.filter((_, index) => ((at += profile.timeDeltas[index] ?? 0), at >= window.from && at <= window.to)).length > 0 : false
  at = profile.startTime
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0
    at += micros
    if (inWindow && window && (at < window.from || at > window.to)) return
    const node = byId.get(id)
    if (!node) return
    const { functionName, url, lineNumber } = node.callFrame
    const cat = category(url, functionName)
    if (cat === '(idle)') return
    total += micros
    categories.set(cat, (categories.get(cat) ?? 0) + micros)
    const fn = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}` : ''}`.trim()
    functions.set(fn, (functions.get(fn) ?? 0) + micros)
  })
  const rank = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([name, micros]) => ({ name, ms: micros / 1000, percent: (100 * micros) / Math.max(total, 1) }))
  return {
    totalMs: total / 1000,
    windowed: inWindow,
    byCategory: rank(categories).slice(0, top).map(({ name, ms, percent }) => ({ category: name, ms, percent })),
    topFunctions: rank(functions).slice(0, top).map(({ name, ms, percent }) => ({ fn: name, ms, percent })),
  }
}
