import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generateOpenApiYaml } from './document.js'

/** `npm run openapi`: writes openapi.yaml at the top of the project. */
const target = fileURLToPath(new URL('../../openapi.yaml', import.meta.url))
writeFileSync(target, await generateOpenApiYaml())
console.log(`wrote ${target}`)
