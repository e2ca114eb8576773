// Serves this folder's files on their own origin, apart from the API's: `npm run example`.
// A static file server on node:http, nothing else; only the files below are ever sent.
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'

const FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/page.js': ['page.js', 'text/javascript; charset=utf-8'],
  '/api.js': ['api.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
}
// The page may read any API (its address is a query parameter), and nothing else runs in it.
const CSP = "default-src 'self'; connect-src 'self' http: https:; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const host = process.env.EXAMPLE_HOST ?? '127.0.0.1'
const port = Number(process.env.EXAMPLE_PORT ?? 8080)
const api = process.env.EXAMPLE_API ?? 'http://127.0.0.1:3000'

const server = createServer(async (request, response) => {
  const path = new URL(request.url, 'http://localhost').pathname
  const file = Object.hasOwn(FILES, path) ? FILES[path] : undefined
  const headers = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-cache' }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n')
    return
  }
  if (!file) {
    response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n')
    return
  }
  const body = await readFile(new URL(file[0], import.meta.url))
  response.writeHead(200, { ...headers, 'content-type': file[1], 'content-length': body.length })
  response.end(request.method === 'HEAD' ? undefined : body)
})

server.listen(port, host, () => {
  const address = server.address()
  const origin = `http://${host}:${address.port}`
  console.log(`Blog page at ${origin}/?api=${encodeURIComponent(api)} (start the API with CORS_ORIGINS=${origin})`)
})
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)))
