import { parseArgs } from 'node:util'
import type { CliIo } from '../cli-io.js'
import { loadConfig } from '../config.js'
import { openStore } from '../db/open.js'
import { ApiKeyRepository, SCOPES, type ApiKey, type Scope } from './keys.js'

const USAGE = `usage: npm run keys -- create --name <name> --scope <scope> [--scope <scope> ...]
       npm run keys -- list
       npm run keys -- revoke <id>
scopes: ${SCOPES.join(', ')}`

/** Makes, lists and revokes API keys in the database a server uses; returns the exit code. */
export async function runKeysCli(argv: string[], io: CliIo): Promise<number> {
  let command
  try {
    command = parseCommand(argv)
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${USAGE}`)
    return 2
  }
  const { store } = await openStore(loadConfig(io.env))
  try {
    const keys = new ApiKeyRepository(store)
    switch (command.name) {
      case 'create': {
        const { key, secret } = await keys.create(command.keyName, command.scopes, io.now())
        io.stdout(`created key ${describe(key)}; it is shown once, here:`)
        io.stdout(secret)
        return 0
      }
      case 'list':
        for (const key of await keys.list()) io.stdout(describe(key))
        return 0
      case 'revoke': {
        const key = await keys.revoke(command.id, io.now())
        if (!key) {
          io.stderr(`there is no key ${command.id}`)
          return 1
        }
        io.stdout(`revoked key ${describe(key)}`)
        return 0
      }
    }
  } finally {
    await store.close()
  }
}

type Command = { name: 'create'; keyName: string; scopes: Scope[] } | { name: 'list' } | { name: 'revoke'; id: number }

function parseCommand(argv: string[]): Command {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string' }, scope: { type: 'string', multiple: true } } })
  const [name, ...rest] = positionals
  if (name === 'create' && rest.length === 0) {
    const keyName = values.name?.trim()
    if (!keyName || keyName.length > 100) throw new Error('create needs --name <name> (1 to 100 characters)')
    const scopes = values.scope ?? []
    const unknown = scopes.filter((scope) => !SCOPES.includes(scope as Scope))
    if (scopes.length === 0 || unknown.length > 0) throw new Error(unknown.length > 0 ? `unknown scope: ${unknown.join(', ')}` : 'create needs at least one --scope')
    return { name, keyName, scopes: scopes as Scope[] }
  }
  if (name === 'list' && rest.length === 0 && !values.name && !values.scope) return { name }
  if (name === 'revoke' && rest.length === 1 && !values.name && !values.scope && /^[1-9]\d{0,14}$/.test(rest[0]!)) return { name, id: Number(rest[0]) }
  throw new Error(name === undefined ? 'no command given' : `cannot understand: ${argv.join(' ')}`)
}

function describe(key: ApiKey): string {
  return `${key.id} "${key.name}" scopes=${key.scopes.join(',')} created=${key.createdAt}${key.revokedAt ? ` revoked=${key.revokedAt}` : ''}`
}
