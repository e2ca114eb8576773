import { createHmac } from 'node:crypto'
import t from 'tap'
import Type from 'typebox'
import { CursorCodec } from '../../src/http/cursor.js'

const SECRET = 'a3f1'.repeat(16)
const Position = Type.Tuple([Type.String(), Type.Integer()])
const position: [string, number] = ['2026-01-15T09:00:00.000Z', 42]

const codec = new CursorCodec(SECRET)

const parts = (cursor: string) => {
  const [payload, mac, ...rest] = cursor.split('.')
  if (!payload || !mac || rest.length) throw new Error(`not a two-part cursor: ${cursor}`)
  return { payload, mac }
}

t.test('round trip', async (t) => {
  const cursor = codec.encode('articles', position)
  t.type(cursor, 'string')
  t.match(cursor, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'URL-safe, two parts')
  t.same(codec.decode('articles', cursor, Position), position)
  t.same(new CursorCodec(SECRET).decode('articles', cursor, Position), position, 'another codec with the same secret accepts it')

  const Named = Type.Object({ slug: Type.String(), id: Type.Integer() })
  const named = { slug: 'hot-stone', id: 7 }
  t.same(codec.decode('techniques', codec.encode('techniques', named), Named), named)

  const unicode: [string, number] = ['Café Crème ★', 1]
  t.same(codec.decode('articles', codec.encode('articles', unicode), Position), unicode)

  t.not(codec.encode('articles', position), codec.encode('articles', ['2026-01-15T09:00:00.000Z', 43]), 'positions give different cursors')
})

t.test("another scope's cursor is refused", async (t) => {
  const cursor = codec.encode('articles', position)
  t.equal(codec.decode('techniques', cursor, Position), undefined)
  t.equal(codec.decode('article', cursor, Position), undefined)
  t.equal(codec.decode('articles ', cursor, Position), undefined)
  t.equal(codec.decode('', cursor, Position), undefined)
})

t.test('a cursor signed with another secret is refused', async (t) => {
  const foreign = new CursorCodec('b'.repeat(64)).encode('articles', position)
  t.equal(codec.decode('articles', foreign, Position), undefined)
  t.equal(new CursorCodec(SECRET + 'x').decode('articles', codec.encode('articles', position), Position), undefined)
})

t.test('an edited payload is refused', async (t) => {
  const cursor = codec.encode('articles', position)
  const { mac } = parts(cursor)
  const editedPayload = Buffer.from(JSON.stringify(['2026-01-15T09:00:00.000Z', 1])).toString('base64url')
  t.equal(codec.decode('articles', `${editedPayload}.${mac}`, Position), undefined)

  // The same edit, signed properly, is accepted: the refusal is the MAC's doing.
  const signed = codec.encode('articles', ['2026-01-15T09:00:00.000Z', 1])
  t.equal(parts(signed).payload, editedPayload)
  t.same(codec.decode('articles', signed, Position), ['2026-01-15T09:00:00.000Z', 1])

  // Swapping MACs between two genuine cursors does not work either.
  t.equal(codec.decode('articles', `${parts(cursor).payload}.${parts(signed).mac}`, Position), undefined)
})

t.test('a truncated or extended MAC is refused', async (t) => {
  const { payload, mac } = parts(codec.encode('articles', position))
  t.equal(codec.decode('articles', `${payload}.${mac.slice(0, -1)}`, Position), undefined)
  t.equal(codec.decode('articles', `${payload}.${mac.slice(0, -4)}`, Position), undefined)
  t.equal(codec.decode('articles', `${payload}.${mac.slice(0, 1)}`, Position), undefined)
  t.equal(codec.decode('articles', `${payload}.${mac}AAAA`, Position), undefined)
  const flipped = Buffer.from(mac, 'base64url')
  flipped[0] = flipped[0]! ^ 1
  t.equal(codec.decode('articles', `${payload}.${flipped.toString('base64url')}`, Position), undefined)
})

t.test('garbage is refused without throwing', async (t) => {
  const cursor = codec.encode('articles', position)
  const { payload, mac } = parts(cursor)
  const garbage = [
    '',
    '.',
    '..',
    'a.b',
    'a.b.c',
    'not-base64!!',
    'not-base64!!.also not!!',
    `${payload}.`,
    `.${mac}`,
    `${cursor}.`,
    `${cursor}.${mac}`,
    `${payload}`,
    'x'.repeat(100_000),
    `${'x'.repeat(100_000)}.${mac}`,
    `${payload}.${'A'.repeat(100_000)}`,
    '\u0000.\u0000',
  ]
  for (const input of garbage) {
    let result: unknown = 'threw'
    t.doesNotThrow(() => {
      result = codec.decode('articles', input, Position)
    }, `does not throw on ${JSON.stringify(input.slice(0, 40))}`)
    t.equal(result, undefined, `refuses ${JSON.stringify(input.slice(0, 40))}`)
  }
})

t.test('a correctly signed payload that is not JSON is refused', async (t) => {
  // Sign the way the codec's documentation says (HMAC-SHA256 over scope, NUL, payload; 16 bytes),
  // checked first against a cursor the codec made itself.
  const sign = (scope: string, payload: string) =>
    createHmac('sha256', SECRET).update(scope).update('\0').update(payload).digest().subarray(0, 16).toString('base64url')
  const genuine = parts(codec.encode('articles', position))
  t.equal(sign('articles', genuine.payload), genuine.mac, 'the test signs as the codec does')

  for (const text of ['{not json', '', 'undefined', '[1,']) {
    const payload = Buffer.from(text).toString('base64url') || 'AA'
    t.equal(codec.decode('articles', `${payload}.${sign('articles', payload)}`, Position), undefined, `refuses payload ${JSON.stringify(text)}`)
  }
})

t.test('a correctly signed payload that fails the schema is refused', async (t) => {
  const cursor = codec.encode('articles', position)
  t.same(codec.decode('articles', cursor, Position), position, 'the lax schema accepts it')
  const Stricter = Type.Tuple([Type.String(), Type.Integer({ minimum: 100 })])
  t.equal(codec.decode('articles', cursor, Stricter), undefined)
  const OtherShape = Type.Object({ id: Type.Integer() })
  t.equal(codec.decode('articles', cursor, OtherShape), undefined)

  t.equal(codec.decode('articles', codec.encode('articles', ['2026-01-15', 1.5]), Position), undefined, 'a fraction is not an integer')
  t.equal(codec.decode('articles', codec.encode('articles', ['2026-01-15', 1, 2]), Position), undefined, 'a longer tuple')
  t.equal(codec.decode('articles', codec.encode('articles', null), Position), undefined, 'null')
  t.equal(codec.decode('articles', codec.encode('articles', { 0: 'a', 1: 1 }), Position), undefined, 'an object is not a tuple')
})
