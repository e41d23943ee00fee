/**
 * A Prompter that asks through desktop dialogs (zenity, kdialog, osascript,
 * PowerShell), for when something must be asked, there is no controlling
 * terminal, and a desktop is available (see {@link detectDialogBackend}).
 *
 * Behaviour:
 * - `secret()` shows a hidden entry; `line()` a visible one (codes are shown
 *   as typed, as on the terminal). The caller's label is shown as given, under
 *   a line naming the user and the IdP host; every window title is
 *   "awsprocesscreds-saml: USER at HOST".
 * - `choose()` shows a list; the answer is the row's index. OK with no row
 *   selected asks again, up to {@link MENU_TRIES} times.
 * - `notice()` opens a window that stays up without blocking; the returned
 *   function closes it.
 * - `say()` shows nothing by itself: its lines are kept and shown at the top
 *   of the next question's dialog (so "Wrong code, try again." appears above
 *   the next code entry), then dropped. Progress that must be seen while
 *   nothing is asked belongs in `notice()`.
 * - Cancel, Escape or closing the window throws {@link CancelledError}; no
 *   answer within the timeout throws {@link TimeoutError}; a dialog program
 *   that cannot show its window throws {@link NoTerminalError} (nothing can
 *   ask).
 *
 * Children: every dialog is a child process, tracked until it ends. `close()`
 * kills those still open. The runner also kills them at exit (see
 * lib/process/run_command.ts), on Linux the kernel kills them if this process
 * dies without cleaning up (`setpriv --pdeathsig`), and PowerShell and
 * osascript windows end themselves (parent watch, give-up timeout).
 *
 * @module
 */
import {
  CancelledError,
  InvalidAnswerError,
  NoTerminalError,
  TimeoutError,
} from "../errors.ts";
import {
  type CommandResult,
  type CommandRunner,
  type CommandSpec,
  denoCommandRunner,
  type RunningCommand,
  waitFor,
} from "../process/run_command.ts";
import { MENU_TRIES, type Prompter, questionOf } from "./prompter.ts";
import {
  detectSystemDialogBackend,
  type DialogBackend,
  type DialogBackendChoice,
  type DialogOutcome,
} from "./dialog/backend.ts";
import { kdialogBackend } from "./dialog/kdialog.ts";
import { osascriptBackend } from "./dialog/osascript.ts";
import { powershellBackend } from "./dialog/powershell.ts";
import { zenityBackend } from "./dialog/zenity.ts";

export {
  detectDialogBackend,
  detectSystemDialogBackend,
} from "./dialog/backend.ts";
export type { DialogBackend, DialogBackendChoice } from "./dialog/backend.ts";

/** The tool's name, as every dialog title shows it. */
export const TOOL_NAME = "awsprocesscreds-saml";

/** How long a question waits for an answer by default (5 minutes). */
export const DEFAULT_DIALOG_TIMEOUT_MS = 5 * 60_000;

/** How many `say()` lines are kept for the next dialog. */
const KEPT_LINES = 5;

/** The backend object for a detected choice. */
export function dialogBackend(choice: DialogBackendChoice): DialogBackend {
  switch (choice.kind) {
    case "zenity":
      return zenityBackend(choice);
    case "kdialog":
      return kdialogBackend(choice);
    case "osascript":
      return osascriptBackend(choice);
    case "powershell":
      return powershellBackend(choice);
  }
}

/** What a dialog prompter needs. */
export interface DialogPrompterOptions {
  /** The dialog program (see {@link dialogBackend}). */
  backend: DialogBackend;
  /** The IdP user name, shown in every title. */
  username: string;
  /** The IdP host, shown in every title. */
  host: string;
  /** Starts the dialog programs (default: the real one). */
  runner?: CommandRunner;
  /** Variables added to every dialog's environment (tests set DISPLAY here). */
  env?: Record<string, string>;
  /**
   * How long a question waits before its window is closed and
   * {@link TimeoutError} thrown (default {@link DEFAULT_DIALOG_TIMEOUT_MS};
   * 0 waits for ever).
   */
  timeoutMs?: number;
}

/** A Prompter on desktop dialogs, with a view of its open windows. */
export interface DialogPrompter extends Prompter {
  /** Process ids of the dialogs open now. */
  openDialogs(): number[];
  /** Settles once every dialog started so far has ended. */
  idle(): Promise<void>;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** A Prompter that asks through `options.backend`'s dialogs. */
export function dialogPrompter(options: DialogPrompterOptions): DialogPrompter {
  const { backend, username, host } = options;
  const runner = options.runner ?? denoCommandRunner;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DIALOG_TIMEOUT_MS;
  const title = `${TOOL_NAME}: ${username} at ${host}`;
  const who = `${username} at ${host}`;
  const open = new Map<RunningCommand, string>();
  const closedByUs = new WeakSet<RunningCommand>();
  const all: Promise<unknown>[] = [];
  let said: string[] = [];

  function start(spec: CommandSpec, question: string): RunningCommand {
    const withEnv: CommandSpec = {
      ...spec,
      env: { ...spec.env, ...options.env },
    };
    let running: RunningCommand;
    try {
      running = runner.spawn(withEnv);
    } catch (error) {
      const why = error instanceof Deno.errors.NotFound
        ? `${spec.program} was not found`
        : `${spec.program} could not be started: ${(error as Error).message}`;
      throw new NoTerminalError(
        question,
        `the ${backend.kind} dialog could not be shown (${why})`,
      );
    }
    open.set(running, question);
    const done = running.result.then(() => {
      open.delete(running);
    });
    all.push(done);
    return running;
  }

  function text(label: string): string {
    const lines = [who, ...said, label.replace(/\s+$/, "")];
    said = [];
    return lines.join("\n");
  }

  async function ask<T>(
    spec: CommandSpec,
    question: string,
    what: string,
    read: (result: CommandResult) => DialogOutcome<T>,
  ): Promise<T> {
    const running = start(spec, question);
    const { timedOut, ...result } = await waitFor(
      running,
      timeoutMs > 0 ? timeoutMs : undefined,
    );
    if (timedOut) {
      throw new TimeoutError(
        `Timed out: the ${what} was not answered within ${seconds(timeoutMs)}`,
      );
    }
    if (closedByUs.has(running)) {
      throw new CancelledError(
        `Cancelled: the ${what} was closed by the program`,
      );
    }
    const outcome = read(result);
    if (outcome.kind === "cancelled") {
      throw new CancelledError(`Cancelled: the ${what} was closed`);
    }
    if (outcome.kind === "failed") {
      throw new NoTerminalError(
        question,
        `the ${backend.kind} dialog could not be shown: ${outcome.reason}`,
      );
    }
    return outcome.value;
  }

  async function askText(label: string, hidden: boolean): Promise<string> {
    const question = questionOf(label);
    const dialog = { title, text: text(label) };
    const spec = hidden ? backend.secret(dialog) : backend.text(dialog);
    return await ask(
      spec,
      question,
      `${question} dialog`,
      (result) => backend.readText(result),
    );
  }

  const prompter: DialogPrompter = {
    secret(label) {
      return askText(label, true);
    },
    line(label) {
      return askText(label, false);
    },
    say(line) {
      said.push(line);
      if (said.length > KEPT_LINES) said = said.slice(-KEPT_LINES);
      return Promise.resolve();
    },
    async choose(menuTitle, items) {
      const question = questionOf(menuTitle);
      if (items.length === 0) {
        throw new InvalidAnswerError(
          `Cannot choose: the menu "${question}" has nothing to choose from`,
        );
      }
      const intro = text(menuTitle);
      for (let attempt = 0; attempt < MENU_TRIES; attempt++) {
        const spec = backend.choose({
          title,
          text: attempt === 0 ? intro : `${intro}\n(Select a row, then OK.)`,
          items,
        });
        const index = await ask(
          spec,
          question,
          `menu "${question}"`,
          (result) => backend.readChoice(result, items.length),
        );
        if (index >= 0 && index < items.length) return index;
      }
      throw new InvalidAnswerError(
        `Cannot choose: no row was selected after ${MENU_TRIES} tries`,
      );
    },
    // deno-lint-ignore require-await
    async notice(line) {
      const running = start(
        backend.notice({ title, text: line }),
        "a notice",
      );
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        closedByUs.add(running);
        running.kill();
      };
    },
    close() {
      for (const running of open.keys()) {
        closedByUs.add(running);
        running.kill();
      }
    },
    openDialogs() {
      return [...open.keys()].map((running) => running.pid);
    },
    async idle() {
      // Notice windows do not keep the event loop alive; waiting for them
      // here must.
      const keepAlive = setInterval(() => {}, 1000);
      try {
        await Promise.all(all);
      } finally {
        clearInterval(keepAlive);
      }
    },
  };
  return prompter;
}

/**
 * A dialog prompter for this machine (its OS, the environment given and PATH
 * as it is), or `undefined` when no dialog can be shown here. Checking
 * `--no-gui` / `AWSPROCESSCREDS_NO_GUI=1` is the caller's job.
 */
export function systemDialogPrompter(
  env: Readonly<Record<string, string | undefined>>,
  options: Omit<DialogPrompterOptions, "backend">,
): DialogPrompter | undefined {
  const choice = detectSystemDialogBackend(env);
  return choice
    ? dialogPrompter({ ...options, backend: dialogBackend(choice) })
    : undefined;
}
