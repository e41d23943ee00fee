/**
 * Desktop dialog programs as a backend for the dialog prompter: which one a
 * machine has ({@link detectDialogBackend}, a pure function), and what a
 * backend does: turn a question into a command line and read the answer back
 * from the finished program. Backends never run anything themselves; the
 * prompter runs their commands through the injected runner.
 *
 * Rules every backend keeps:
 * - prompt text and titles go in argv (or in a script in argv), never on
 *   stdin; secrets never go in argv: an answer comes back on the program's
 *   stdout, read from a pipe;
 * - the program's stderr is piped and only used to tell a failure from a
 *   cancel, never forwarded.
 *
 * @module
 */
import {
  type CommandResult,
  type CommandSpec,
  exitedWith,
  onPath,
} from "../../process/run_command.ts";
import { type OsName, UNIX_LIKE } from "../../process/platform.ts";
import { POWERSHELL_PROGRAMS } from "../../process/powershell.ts";

/** The dialog programs supported. */
export type DialogKind = "zenity" | "kdialog" | "osascript" | "powershell";

/** What detection found: which backend, and how to start it. */
export interface DialogBackendChoice {
  /** The backend. */
  kind: DialogKind;
  /** The program to run (a name on PATH). */
  program: string;
  /**
   * Linux: start each dialog through `setpriv --pdeathsig KILL`, so the kernel
   * kills it if this program dies without cleaning up (SIGKILL, crash).
   */
  parentDeathSignal: boolean;
}

/** Text shown in a question dialog. */
export interface DialogText {
  /** Window title (names the tool, the user and the IdP host). */
  title: string;
  /** The text above the entry or list; may have several lines. */
  text: string;
}

/** A menu. */
export interface ChoiceDialog extends DialogText {
  /** The rows, in order; the answer is an index into this. */
  items: readonly string[];
}

/** How a dialog ended. */
export type DialogOutcome<T> =
  | { kind: "answer"; value: T }
  | { kind: "cancelled" }
  | { kind: "failed"; reason: string };

/** One dialog program. All methods are pure. */
export interface DialogBackend {
  /** Which program this is. */
  readonly kind: DialogKind;
  /** A hidden text entry (passwords, hidden codes). */
  secret(dialog: DialogText): CommandSpec;
  /** A visible text entry (one-time codes). */
  text(dialog: DialogText): CommandSpec;
  /** A list to pick one row from. */
  choose(dialog: ChoiceDialog): CommandSpec;
  /** A window that stays up until killed or dismissed; nothing is read back. */
  notice(dialog: DialogText): CommandSpec;
  /** Reads a finished secret or text dialog. */
  readText(result: CommandResult): DialogOutcome<string>;
  /**
   * Reads a finished list dialog: the chosen index, or `-1` when OK was
   * pressed with no row selected.
   */
  readChoice(result: CommandResult, count: number): DialogOutcome<number>;
}

function set(value: string | undefined): boolean {
  return value !== undefined && value !== "";
}

/** Whether the session is an SSH login (a dialog would show on someone else's screen, or nowhere). */
function overSsh(env: Readonly<Record<string, string | undefined>>): boolean {
  return set(env.SSH_CONNECTION) || set(env.SSH_CLIENT) || set(env.SSH_TTY);
}

/**
 * Picks the dialog backend for a machine, or `undefined` when none can show a
 * window. Pure: everything comes from the arguments.
 *
 * - Linux and the BSDs: `DISPLAY` or `WAYLAND_DISPLAY` set (X forwarding over
 *   SSH counts), then `zenity`, else `kdialog`.
 * - macOS: `osascript`, unless the session is an SSH login.
 * - Windows: `powershell.exe`, else `pwsh.exe`/`pwsh`, unless the session is an
 *   SSH login.
 *
 * `--no-gui` / `AWSPROCESSCREDS_NO_GUI=1` are the caller's to check first.
 *
 * @param os `Deno.build.os`.
 * @param env The environment.
 * @param has Whether a program of that name is on PATH.
 */
export function detectDialogBackend(
  os: OsName,
  env: Readonly<Record<string, string | undefined>>,
  has: (program: string) => boolean,
): DialogBackendChoice | undefined {
  if (UNIX_LIKE.includes(os)) {
    if (!set(env.DISPLAY) && !set(env.WAYLAND_DISPLAY)) return undefined;
    const parentDeathSignal = os === "linux" && has("setpriv");
    if (has("zenity")) {
      return { kind: "zenity", program: "zenity", parentDeathSignal };
    }
    if (has("kdialog")) {
      return { kind: "kdialog", program: "kdialog", parentDeathSignal };
    }
    return undefined;
  }
  if (os === "darwin") {
    if (overSsh(env) || !has("osascript")) return undefined;
    return {
      kind: "osascript",
      program: "osascript",
      parentDeathSignal: false,
    };
  }
  if (os === "windows") {
    if (overSsh(env)) return undefined;
    for (const program of POWERSHELL_PROGRAMS) {
      if (has(program)) {
        return { kind: "powershell", program, parentDeathSignal: false };
      }
    }
  }
  return undefined;
}

/**
 * {@link detectDialogBackend} for this machine: `Deno.build.os`, the given
 * environment, and PATH as it is.
 */
export function detectSystemDialogBackend(
  env: Readonly<Record<string, string | undefined>>,
): DialogBackendChoice | undefined {
  const os = Deno.build.os;
  return detectDialogBackend(os, env, (program) => onPath(program, env, os));
}

/** The command that starts `program args`, wrapped in setpriv if asked. */
export function launch(
  choice: Pick<DialogBackendChoice, "program" | "parentDeathSignal">,
  args: string[],
): { program: string; args: string[] } {
  if (!choice.parentDeathSignal) return { program: choice.program, args };
  return {
    program: "setpriv",
    args: ["--pdeathsig", "KILL", "--", choice.program, ...args],
  };
}

/**
 * How a dialog program that did not answer ended: cancelled when `cancelled`
 * says so, otherwise a failure naming the program, its exit status and the
 * first line it wrote on stderr.
 */
export function dialogEnded<T>(
  program: string,
  result: CommandResult,
  cancelled: boolean,
): DialogOutcome<T> {
  if (cancelled) return { kind: "cancelled" };
  return { kind: "failed", reason: exitedWith(program, result) };
}

/**
 * A finished text dialog: its stdout without the newline, or, for any other
 * exit, what `ended` makes of it (cancel, failure).
 */
export function readTextAnswer(
  result: CommandResult,
  ended: (result: CommandResult) => DialogOutcome<string>,
): DialogOutcome<string> {
  if (result.code !== 0) return ended(result);
  return {
    kind: "answer",
    value: withoutNewline(new TextDecoder().decode(result.stdout)),
  };
}

/**
 * A finished list dialog that prints the chosen row's 1-based number (empty
 * when OK was pressed with no row selected: index -1).
 *
 * @param failure Why an unexpected answer is refused.
 */
export function readNumberedChoice(
  result: CommandResult,
  count: number,
  ended: (result: CommandResult) => DialogOutcome<number>,
  failure: string,
): DialogOutcome<number> {
  if (result.code !== 0) return ended(result);
  const out = new TextDecoder().decode(result.stdout).trim();
  if (out === "") return { kind: "answer", value: -1 };
  const n = Number(out);
  if (!/^\d+$/.test(out) || n < 1 || n > count) {
    return { kind: "failed", reason: failure };
  }
  return { kind: "answer", value: n - 1 };
}

/** Drops the one newline a dialog program prints after its answer. */
export function withoutNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

/**
 * Makes a list row safe as a positional argument: a row starting with "-"
 * would be read as an option, so it gets an invisible WORD JOINER in front.
 */
export function positional(item: string): string {
  return item.startsWith("-") ? `\u2060${item}` : item;
}
