/** What a command reads from and writes to, handed in by its `main.ts` so that tests run the command in process. */
export interface CliIo {
  env: Record<string, string | undefined>
  stdout: (text: string) => void
  stderr: (text: string) => void
  now: () => Date
}
