import { runSyntheticCli } from './cli.js'

process.exitCode = await runSyntheticCli(process.argv.slice(2), { stdout: (text) => console.log(text), stderr: (text) => console.error(text) })
