/** Something the operator can fix that stops start-up or a CLI command (a database that is missing,
 *  unreachable or locked, a busy port). The message is one line that says what to do; main.ts
 *  prints it without a stack and exits non-zero. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StartupError";
  }
}
