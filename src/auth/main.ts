import { runKeysCli } from './cli.js'

process.exitCode = await runKeysCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => console.log(text),
  stderr: (text) => console.error(text),
  now: () => new Date(),
})
