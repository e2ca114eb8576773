// Module hook for bench/hook-server.mjs: the app's `import Fastify from 'fastify'` gets the timed factory.
export async function resolve(specifier, context, next) {
  if (specifier === 'fastify' && context.parentURL?.endsWith('/dist/app.js')) return { url: new URL('./timed-fastify.mjs', import.meta.url).href, shortCircuit: true }
  return next(specifier, context)
}
