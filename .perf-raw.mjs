// Raw node:http sending the bytes and headers the app sent for the same request.
import http from 'node:http'
const [target, port, encoding] = process.argv.slice(2)
const res = await fetch(target, { headers: encoding ? { 'accept-encoding': encoding } : { 'accept-encoding': 'identity' } })
const body = Buffer.from(await res.arrayBuffer())
const headers = {}
res.headers.forEach((v, k) => { if (k !== 'date' && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') headers[k] = v })
if (encoding) {
  // fetch decodes; fetch the raw coded bytes with node:http instead
  await new Promise((resolve) => http.get(target, { headers: { 'accept-encoding': encoding } }, (r) => { const c = []; r.on('data', (d) => c.push(d)); r.on('end', () => { global.coded = Buffer.concat(c); Object.assign(headers, { 'content-length': String(global.coded.length) }); resolve() }) }))
}
const bytes = encoding ? global.coded : body
console.log('raw serving', bytes.length, 'bytes', headers['content-encoding'] ?? 'identity')
http.createServer((q, r) => { r.writeHead(200, headers); r.end(bytes) }).listen(Number(port), '127.0.0.1')
