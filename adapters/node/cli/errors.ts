/** Exit codes: 0 success, 1 the checked thing is bad (INVALID, failed verification), 2 usage or unreadable input. */
export const EXIT = { ok: 0, bad: 1, usage: 2, internal: 70 } as const;

/** An error the CLI reports as one line on stderr with the given exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
  }
}
