import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { openDatabase } from '../db/database.js'
import { migrate } from '../db/migrate.js'

/** The OpenAPI document as YAML, generated from the route schemas of a fresh app. */
export async function generateOpenApiYaml(): Promise<string> {
  const db = openDatabase(':memory:')
  migrate(db)
  const app = await buildApp({ db, config: loadConfig({ DATABASE_PATH: ':memory:' }), logger: false })
  await app.ready()
  const yaml = app.swagger({ yaml: true })
  await app.close()
  return yaml
}
