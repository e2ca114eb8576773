// Fastify, with every request hook timed: those added with addHook (the app's own and its plugins') and
// those given in a route's options (e.g. by @fastify/compress or @fastify/rate-limit from their onRoute
// hooks). Each call's synchronous time is counted: on one thread, the CPU a request pays for the hook.
import fastify from 'fastify'

const REQUEST_HOOKS = ['onRequest', 'preParsing', 'preValidation', 'preHandler', 'preSerialization', 'onSend', 'onResponse', 'onError']
const TIMED = Symbol('timed')

/** @type {{ hook: string, plugin: string, name: string, calls: number, ns: bigint }[]} */
export const hookTimes = []

function timedHook(hook, plugin, fn) {
  if (typeof fn !== 'function' || fn[TIMED]) return fn
  // An anonymous hook is named by the start of its code.
  const name = fn.name || fn.toString().replace(/\s+/g, ' ').slice(0, 80)
  const entry = { hook, plugin, name, calls: 0, ns: 0n }
  hookTimes.push(entry)
  const timed = function (...args) {
    let since = process.hrtime.bigint()
    // A callback hook that calls its `done` at once runs the rest of the request inside its own call:
    // the clock stops while `done` runs, so each hook counts only its own work.
    const done = args.at(-1)
    if (typeof done === 'function' && args.length === fn.length) {
      args[args.length - 1] = function (...results) {
        entry.ns += process.hrtime.bigint() - since
        try {
          return done.apply(this, results)
        } finally {
          since = process.hrtime.bigint()
        }
      }
    }
    try {
      return fn.apply(this, args)
    } finally {
      entry.ns += process.hrtime.bigint() - since
      entry.calls++
    }
  }
  // Fastify tells callback hooks from promise hooks by their parameter count.
  Object.defineProperty(timed, 'length', { value: fn.length })
  timed[TIMED] = true
  return timed
}

/** The package (or dist/ module) whose code is setting a route option: the plugin adding a hook from its onRoute hook. */
function setBy() {
  const frame = new Error().stack?.split('\n').slice(2).find((line) => !line.includes('timed-fastify')) ?? ''
  const where = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame) ?? /dist\/([^:]+)/.exec(frame)
  return where?.[1] ?? 'an onRoute hook'
}

export default function timedFastify(options) {
  const app = fastify(options)
  const addHook = app.addHook
  app.addHook = function timedAddHook(hook, fn) {
    return addHook.call(this, hook, REQUEST_HOOKS.includes(hook) ? timedHook(hook, this.pluginName, fn) : fn)
  }
  // The first onRoute hook: route-option hooks, present now or set by later onRoute hooks, are timed too.
  addHook.call(app, 'onRoute', function timeRouteHooks(route) {
    const on = `${route.method} ${route.url}`
    for (const hook of REQUEST_HOOKS) {
      const wrap = (value, by) => {
        const plugin = `${by}, on ${on}`
        return Array.isArray(value) ? value.map((fn) => timedHook(hook, plugin, fn)) : timedHook(hook, plugin, value)
      }
      let value = wrap(route[hook], "the route's options")
      Object.defineProperty(route, hook, { get: () => value, set: (next) => (value = wrap(next, setBy())), configurable: true, enumerable: true })
    }
  })
  return app
}
