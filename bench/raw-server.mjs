// The ceiling: a bare node:http server that answers each benchmarked request with the exact bytes
// (status, headers in order and case, body) the app sent for it, captured by the harness.
// usage: node bench/raw-server.mjs <answers.json> <port>
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'

const [file, port] = process.argv.slice(2)
/** @type {{ method: string, url: string, ifNoneMatch?: string, acceptEncoding?: string, status: number, headers: string[], body: string }[]} */
const answers = JSON.parse(readFileSync(file, 'utf8'))
const table = new Map()
for (const answer of answers) {
  table.set(`${answer.method} ${answer.url} ${answer.ifNoneMatch ?? ''} ${answer.acceptEncoding ?? ''}`, { ...answer, body: Buffer.from(answer.body, 'base64') })
}

function send(res, answer) {
  res.sendDate = false
  res.writeHead(answer.status, answer.headers)
  res.end(answer.body)
}

const server = createServer((req, res) => {
  const inm = req.headers['if-none-match'] ?? ''
  const encoding = req.headers['accept-encoding'] ?? ''
  const answer = table.get(`${req.method} ${req.url} ${inm} ${encoding}`) ?? table.get(`${req.method} ${req.url}  ${encoding}`) ?? table.get(`${req.method} ${req.url}  `)
  if (!answer) {
    res.writeHead(404).end()
    return
  }
  if (req.method === 'GET' || req.method === 'HEAD') return send(res, answer)
  // A write: read the whole body first, as the app does.
  req.on('data', () => {})
  req.on('end', () => send(res, answer))
})
// Fastify's defaults, so that connection handling is the same on both sides.
server.keepAliveTimeout = 72_000
server.listen(Number(port), '127.0.0.1', () => process.send?.('ready') ?? console.log('ready'))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
