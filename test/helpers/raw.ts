import { connect } from 'node:net'
import type { Answer } from './problems.js'

/**
 * Writes `request` as it is to 127.0.0.1:`port` and reads the answer until the server closes the
 * connection (the request should say `Connection: close`); for what fetch and inject cannot send.
 */
export function rawRequest(port: number, request: string | Buffer): Promise<Answer & { raw: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const [head = '', ...rest] = raw.split('\r\n\r\n')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
      const contentType = /^content-type: *(.*)$/im.exec(head)?.[1]?.trim()
      resolve({ status, contentType, body: rest.join('\r\n\r\n'), raw })
    })
    socket.end(request)
  })
}
