/**
 * Signals that end the program (an IDE or the AWS CLI killing it, a closed
 * terminal) must not leave the terminal without echo: on SIGINT, SIGTERM or
 * SIGHUP the prompter is closed first, which restores the terminal mode and
 * closes any dialog, then the program exits like a shell would (128 + the
 * signal number) with one line on stderr and nothing on stdout.
 *
 * @module
 */

/** The signals handled, and their numbers. */
const SIGNALS: Partial<Record<Deno.Signal, number>> = {
  SIGINT: 2,
  SIGTERM: 15,
  SIGHUP: 1,
};

/**
 * Installs the handlers.
 *
 * @param cleanUp Restores the terminal and closes windows; must not throw.
 * @param exit Writes the line and ends the process with the code.
 */
export function onExitSignal(
  cleanUp: () => void,
  exit: (code: number, signal: Deno.Signal) => void,
): void {
  const supported: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : Object.keys(SIGNALS) as Deno.Signal[];
  for (const signal of supported) {
    Deno.addSignalListener(signal, () => {
      cleanUp();
      exit(128 + SIGNALS[signal]!, signal);
    });
  }
}
