/**
 * macOS: `osascript` running a fixed AppleScript. Titles, text and menu rows
 * are passed as arguments to the script's `on run argv` handler, so nothing is
 * ever interpolated into script source and nothing needs quoting. The answer
 * is the script's result, which osascript prints on stdout plus a newline.
 *
 * - Secrets: `display dialog … default answer "" with hidden answer`.
 * - Codes: the same without `with hidden answer`.
 * - Menus: `choose from list`; rows are numbered ("1. …") so the chosen one is
 *   known even when two rows read alike.
 * - Notices: `display dialog` with a single OK button.
 *
 * Entry dialogs and notices give up on their own after `giveUpSeconds`
 * (default 900), which bounds how long such a window can outlive a program
 * killed with SIGKILL; `choose from list` has no such option.
 * Cancel (and giving up) make the script fail with error -128: osascript exits
 * 1 with "User canceled. (-128)" on stderr. Any other failure, such as
 * "No user interaction allowed. (-1713)" without a GUI session, is a failure.
 *
 * @module
 */
import { type CommandResult, firstLine } from "../../process/run_command.ts";
import {
  type DialogBackend,
  type DialogBackendChoice,
  dialogEnded,
  type DialogOutcome,
  positional,
  readTextAnswer,
  withoutNewline,
} from "./backend.ts";

/** How long a dialog stays up by default when nobody answers it. */
export const DEFAULT_GIVE_UP_SECONDS = 900;

function script(lines: string[]): string[] {
  return ["on run argv", ...lines, "end run"].flatMap((line) => ["-e", line]);
}

function askScript(hidden: boolean, giveUp: number): string[] {
  return script([
    // Parameters in the order AppleScript itself prints them, booleans last.
    `set answer to display dialog (item 2 of argv) default answer "" buttons {"Cancel", "OK"} default button "OK" cancel button "Cancel" with title (item 1 of argv) giving up after ${giveUp}${
      hidden ? " with hidden answer" : ""
    }`,
    "if gave up of answer then error number -128",
    "return text returned of answer",
  ]);
}

function chooseScript(): string[] {
  return script([
    "set rows to items 3 thru -1 of argv",
    'set picked to choose from list rows with title (item 1 of argv) with prompt (item 2 of argv) default items {item 1 of rows} OK button name "OK" cancel button name "Cancel"',
    "if picked is false then error number -128",
    "return item 1 of picked",
  ]);
}

function noticeScript(giveUp: number): string[] {
  return script([
    `display dialog (item 2 of argv) buttons {"OK"} default button "OK" with title (item 1 of argv) giving up after ${giveUp}`,
  ]);
}

function ended<T>(result: CommandResult): DialogOutcome<T> {
  const cancelled = result.code === 1 &&
    /\(-128\)/.test(firstLine(result.stderr));
  return dialogEnded("osascript", result, cancelled);
}

/** The osascript backend. */
export function osascriptBackend(
  choice: Pick<DialogBackendChoice, "program"> = { program: "osascript" },
  giveUpSeconds: number = DEFAULT_GIVE_UP_SECONDS,
): DialogBackend {
  const giveUp = Math.max(1, Math.round(giveUpSeconds));
  const spec = (lines: string[], args: string[], background = false) => ({
    program: choice.program,
    args: [...lines, ...args.map(positional)],
    background,
  });
  return {
    kind: "osascript",
    secret: ({ title, text }) => spec(askScript(true, giveUp), [title, text]),
    text: ({ title, text }) => spec(askScript(false, giveUp), [title, text]),
    choose: ({ title, text, items }) =>
      spec(chooseScript(), [
        title,
        text,
        ...items.map((item, i) => `${i + 1}. ${item}`),
      ]),
    notice: ({ title, text }) =>
      spec(noticeScript(giveUp), [title, text], true),
    readText: (result) => readTextAnswer(result, ended),
    readChoice(result, count) {
      if (result.code !== 0) return ended(result);
      const out = withoutNewline(new TextDecoder().decode(result.stdout));
      const match = /^(\d+)\. /.exec(out);
      const n = match ? Number(match[1]) : NaN;
      if (!(n >= 1 && n <= count)) {
        return {
          kind: "failed",
          reason: "osascript printed something other than a numbered row",
        };
      }
      return { kind: "answer", value: n - 1 };
    },
  };
}
