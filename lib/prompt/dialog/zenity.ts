/**
 * zenity (GNOME, and most Linux desktops): `--entry --hide-text` for secrets,
 * `--entry` for codes, a plain `--list` for menus, `--info` for notices.
 *
 * Found on zenity 3.44 (Debian 12), by reading its source and trying it:
 * - `--entry` text is a mnemonic label after `g_strcompress`: `_` marks an
 *   access key and `\` starts an escape, so both are doubled.
 * - `--list` and `--info` text is Pango markup after `g_strcompress`: `&`, `<`,
 *   `>` become entities and `\` is doubled.
 * - A `--` in argv is not an end-of-options marker: zenity keeps it as list
 *   data. A row starting with `-` is therefore made safe another way
 *   ({@link positional}).
 * - Exit status: 0 OK (answer on stdout plus a newline), 1 Cancel, Escape or
 *   the window closed, 5 `--timeout`, 255 error. Status 1 with "cannot open
 *   display" on stderr is a failure, not a cancel. `ZENITY_OK`,
 *   `ZENITY_CANCEL`, `ZENITY_ESC`, `ZENITY_ERROR` (and `DIALOG_*`) in the
 *   environment change these codes, so the backend sets them back.
 * - A plain list starts with no row selected: Enter activates the selected
 *   row (arrow keys or a click select one); OK with nothing selected prints
 *   an empty line with status 0.
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

const WIDTH = 580;

/** Fixed exit codes whatever the user's environment says. */
const EXIT_CODES: Record<string, string> = {
  ZENITY_OK: "0",
  ZENITY_CANCEL: "1",
  ZENITY_ESC: "1",
  ZENITY_ERROR: "255",
  ZENITY_EXTRA: "3",
  ZENITY_TIMEOUT: "5",
};

/** Escapes text for a zenity mnemonic label (`--entry --text`). */
export function zenityLabelText(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/_/g, "__");
}

/** Escapes text for zenity Pango markup (`--list`/`--info --text`). */
export function zenityMarkupText(text: string): string {
  return text.replace(/\\/g, "\\\\")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

function failedToShow(result: CommandResult): boolean {
  return /cannot open display|failed to open display|cannot connect to/i
    .test(new TextDecoder().decode(result.stderr));
}

function ended<T>(result: CommandResult): DialogOutcome<T> {
  return dialogEnded(
    "zenity",
    result,
    result.code === 1 && !failedToShow(result),
  );
}

/** The zenity backend. */
export function zenityBackend(
  choice: Pick<DialogBackendChoice, "program" | "parentDeathSignal"> = {
    program: "zenity",
    parentDeathSignal: false,
  },
): DialogBackend {
  const spec = (args: string[], background = false) => ({
    ...launch(choice, args),
    env: EXIT_CODES,
    background,
  });
  return {
    kind: "zenity",
    secret: ({ title, text }) =>
      spec([
        "--entry",
        "--hide-text",
        `--title=${title}`,
        `--text=${zenityLabelText(text)}`,
        `--width=${WIDTH}`,
      ]),
    text: ({ title, text }) =>
      spec([
        "--entry",
        `--title=${title}`,
        `--text=${zenityLabelText(text)}`,
        `--width=${WIDTH}`,
      ]),
    choose: ({ title, text, items }) =>
      spec([
        "--list",
        `--title=${title}`,
        `--text=${zenityMarkupText(text)}`,
        "--hide-header",
        "--column=#",
        "--column=Choice",
        "--print-column=1",
        `--width=${WIDTH + 80}`,
        `--height=${Math.min(480, 160 + 28 * items.length)}`,
        ...items.flatMap((item, i) => [String(i + 1), positional(item)]),
      ]),
    notice: ({ title, text }) =>
      spec([
        "--info",
        `--title=${title}`,
        `--text=<span size="x-large">${zenityMarkupText(text)}</span>`,
        `--width=${WIDTH}`,
      ], true),
    readText: (result) => readTextAnswer(result, ended),
    readChoice: (result, count) =>
      readNumberedChoice(
        result,
        count,
        ended,
        "zenity printed something other than a row number",
      ),
  };
}
