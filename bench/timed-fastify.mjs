// Fastify, with every request hook added through addHook (the app's own and its plugins') timed: the
// synchronous time of each call, which on one thread is the CPU a request pays for it.
import fastify from 'fastify'

const REQUEST_HOOKS = new Set(['onRequest', 'preParsing', 'preValidation', 'preHandler', 'preSerialization', 'onSend', 'onResponse', 'onError'])

/** @type {{ hook: string, plugin: string, name: string, calls: number, ns: bigint }[]} */
export const hookTimes = []

export default function timedFastify(options) {
  const app = fastify(options)
  const addHook = app.addHook
  app.addHook = function timedAddHook(hook, fn) {
    if (!REQUEST_HOOKS.has(hook) || typeof fn !== 'function') return addHook.call(this, hook, fn)
    // An anonymous hook is named by the start of its code.
    const name = fn.name || fn.toString().replace(/\s+/g, ' ').slice(0, 80)
    const entry = { hook, plugin: this.pluginName, name, calls: 0, ns: 0n }
    hookTimes.push(entry)
    const timed = function (...args) {
      const start = process.hrtime.bigint()
      try {
        return fn.apply(this, args)
      } finally {
        entry.ns += process.hrtime.bigint() - start
        entry.calls++
      }
    }
    // Fastify tells callback hooks from promise hooks by their parameter count.
    Object.defineProperty(timed, 'length', { value: fn.length })
    return addHook.call(this, hook, timed)
  }
  return app
}
