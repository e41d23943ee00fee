/**
 * kdialog (KDE), used on Linux and the BSDs when zenity is missing:
 * `--password` for secrets, `--inputbox` for codes, `--menu` for menus,
 * `--msgbox` for notices.
 *
 * Exit status 0 is OK (the answer on stdout plus a newline), 1 is Cancel or
 * the window closed; anything else (Qt aborts when it cannot reach the
 * display) is a failure. Menu tags are the 1-based row numbers. Text is shown
 * as Qt decides (plain unless it looks like HTML); it is passed unchanged.
 *
 * @module
 */
import type { CommandResult } from "../../process/run_command.ts";
import {
  type DialogBackend,
  type DialogBackendChoice,
  dialogEnded,
  type DialogOutcome,
  launch,
  positional,
  readNumberedChoice,
  readTextAnswer,
} from "./backend.ts";

function ended<T>(result: CommandResult): DialogOutcome<T> {
  return dialogEnded("kdialog", result, result.code === 1);
}

/** The kdialog backend. */
export function kdialogBackend(
  choice: Pick<DialogBackendChoice, "program" | "parentDeathSignal"> = {
    program: "kdialog",
    parentDeathSignal: false,
  },
): DialogBackend {
  const spec = (args: string[], background = false) => ({
    ...launch(choice, args),
    background,
  });
  return {
    kind: "kdialog",
    secret: ({ title, text }) =>
      spec(["--title", title, "--password", positional(text)]),
    text: ({ title, text }) =>
      spec(["--title", title, "--inputbox", positional(text)]),
    choose: ({ title, text, items }) =>
      spec([
        "--title",
        title,
        "--menu",
        positional(text),
        ...items.flatMap((item, i) => [String(i + 1), positional(item)]),
      ]),
    notice: ({ title, text }) =>
      spec(["--title", title, "--msgbox", positional(text)], true),
    readText: (result) => readTextAnswer(result, ended),
    readChoice: (result, count) =>
      readNumberedChoice(
        result,
        count,
        ended,
        "kdialog printed something other than a menu tag",
      ),
  };
}
