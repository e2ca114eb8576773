import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { openStore } from '../db/open.js'

/** The OpenAPI document as YAML, generated from the route schemas of a fresh app. */
export async function generateOpenApiYaml(): Promise<string> {
  const config = loadConfig({ DATABASE_PATH: ':memory:' })
  const { store, migrations } = await openStore(config)
  const app = await buildApp({ store, migrations, config, logger: false })
  await app.ready()
  const yaml = app.swagger({ yaml: true })
  await app.close()
  return yaml
}
