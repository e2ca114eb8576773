import { Writable } from 'node:stream'

/** A stream for the service's logger that keeps every line it is given, for a test to read. */
export function captureLogs(): { lines: string[]; stream: Writable } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).trim().split('\n'))
      done()
    },
  })
  return { lines, stream }
}
