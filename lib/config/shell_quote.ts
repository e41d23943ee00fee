/**
 * Quoting and splitting of `credential_process` command lines, the way
 * botocore splits them.
 *
 * botocore's ProcessProvider (botocore/credentials.py) runs
 * `compat_shell_split(credential_process)` and passes the list to
 * `subprocess.Popen` without a shell. `compat_shell_split`
 * (botocore/compat.py) is Python's `shlex.split(s)` everywhere except
 * `sys.platform == "win32"`, where botocore uses its own
 * `_windows_shell_split`.
 *
 * POSIX (`shlex.split`: posix mode, `whitespace_split = True`, no comment
 * characters; CPython Lib/shlex.py `read_token`):
 * - words are separated by runs of space, tab, CR and LF only;
 * - `'…'` keeps everything literally; `"…"` keeps everything literally except
 *   that a backslash before `"` or `\` escapes it (before any other character
 *   the backslash stays);
 * - outside quotes a backslash escapes any next character;
 * - quotes may join a word (`a'b c'd` is one word) and `''` is an empty word;
 * - an unclosed quote ("No closing quotation") or a final lone backslash
 *   ("No escaped character") is an error, and botocore fails.
 * `#`, `$`, `*`, `~`, `;`, `|` mean nothing special to shlex.
 *
 * Windows (`_windows_shell_split`, the rules of the Microsoft C runtime as
 * botocore reads them):
 * - only space and tab separate words, only the double quote quotes;
 * - backslashes are literal unless a run of them is followed by `"`: then
 *   2n backslashes give n backslashes and the quote toggles quoting, 2n+1
 *   give n backslashes and a literal `"`;
 * - `""` toggles quoting twice: it yields an empty word when alone, and no
 *   literal quote inside a quoted word (unlike the newer CRT rule);
 * - an unclosed quote is an error ("No closing quotation").
 * After the split, Python's `subprocess` joins the list again with
 * `list2cmdline` for `CreateProcess`, and the child splits that with the same
 * C runtime rules, so the program gets the list botocore split.
 *
 * `quoteCommand` writes words that split back exactly under the chosen rules,
 * and on POSIX it also reads the same under `/bin/sh -c` (single quotes only,
 * no `$`, backtick or backslash meaning inside them), so the line can be
 * pasted into a shell to try it.
 *
 * @module
 */
import { CommandSplitError, shlexSplit } from "./aws_config.ts";

// shlexSplit lives in aws_config.ts so that reading a profile loads one
// module fewer; this module is its public home.
export { CommandSplitError, shlexSplit };

/** An argument cannot be written into a one-line `credential_process` value. */
export class CommandQuoteError extends Error {
  /** The class name, for stack traces. */
  override get name(): string {
    return "CommandQuoteError";
  }
}

/** Which splitting rules to follow. */
export interface SplitRules {
  /**
   * Follow botocore's Windows rules (`sys.platform == "win32"`) instead of
   * `shlex.split`. Pass `Deno.build.os === "windows"` for the running system.
   */
  windows?: boolean;
}

/**
 * Splits `command` as botocore's `_windows_shell_split` does (see the module
 * documentation for the rules).
 *
 * @throws {CommandSplitError} on an unclosed quote.
 */
export function windowsSplit(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quoted = false;
  let backslashes = 0;
  for (const c of command) {
    if (c === "\\") {
      backslashes++;
      continue;
    }
    if (c === '"') {
      word += "\\".repeat(backslashes >> 1);
      const escaped = (backslashes & 1) === 1;
      backslashes = 0;
      inWord = true;
      if (escaped) word += '"';
      else quoted = !quoted;
      continue;
    }
    word += "\\".repeat(backslashes);
    if (backslashes > 0) inWord = true;
    backslashes = 0;
    if ((c === " " || c === "\t") && !quoted) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quoted) throw new CommandSplitError("No closing quotation");
  word += "\\".repeat(backslashes);
  if (inWord || backslashes > 0) words.push(word);
  return words;
}

/**
 * Splits a `credential_process` value as botocore's `compat_shell_split`
 * does: `shlex.split` on POSIX, `_windows_shell_split` on Windows.
 *
 * @throws {CommandSplitError} when botocore's split fails too.
 */
export function splitCommand(
  command: string,
  rules: SplitRules = {},
): string[] {
  return rules.windows ? windowsSplit(command) : shlexSplit(command);
}

// shlex.quote's safe characters (`[\w@%+=:,./-]` with re.ASCII).
const POSIX_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;
// Words a POSIX shell reads as syntax when they come first.
const SHELL_RESERVED = new Set([
  "!",
  "{",
  "}",
  "[[",
  "]]",
  "case",
  "do",
  "done",
  "elif",
  "else",
  "esac",
  "fi",
  "for",
  "function",
  "if",
  "in",
  "select",
  "then",
  "time",
  "until",
  "while",
]);

/**
 * Quotes one argument for `shlex.split` and `/bin/sh`: bare when it only has
 * shlex.quote's safe characters, otherwise in single quotes with each `'`
 * written `'"'"'`. `first` marks the command name, which is also quoted when a
 * shell would read it as an assignment (`A=b`) or a reserved word (`if`).
 */
export function quotePosixArgument(arg: string, first = false): string {
  if (
    POSIX_SAFE.test(arg) &&
    !(first && (arg.includes("=") || SHELL_RESERVED.has(arg)))
  ) {
    return arg;
  }
  return `'${arg.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Quotes one argument for botocore's Windows split (and the C runtime):
 * bare when it is not empty and has no space, tab or `"`; otherwise in double
 * quotes, where each `"` becomes `\"` and the backslashes before a `"` or the
 * closing quote are doubled.
 */
export function quoteWindowsArgument(arg: string): string {
  if (arg !== "" && !/[ \t"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const c of arg) {
    if (c === "\\") {
      backslashes++;
    } else if (c === '"') {
      out += "\\".repeat(backslashes * 2 + 1) + '"';
      backslashes = 0;
    } else {
      out += "\\".repeat(backslashes) + c;
      backslashes = 0;
    }
  }
  return `${out}${"\\".repeat(backslashes * 2)}"`;
}

// Characters that cannot be in a one-line INI value or an argv element: line
// breaks end the value (Python reads the file with universal newlines), NUL
// ends a C string, and other controls have no business in a command.
// deno-lint-ignore no-control-regex
const UNQUOTABLE = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Joins `argv` into one `credential_process` value that botocore splits back
 * into exactly `argv` (and that `/bin/sh -c` reads the same way, on POSIX).
 *
 * @throws {CommandQuoteError} when `argv` is empty or an argument holds a
 * line break or another control character (tab is fine).
 */
export function quoteCommand(argv: string[], rules: SplitRules = {}): string {
  if (argv.length === 0) {
    throw new CommandQuoteError("Cannot quote an empty command");
  }
  return argv.map((arg, i) => {
    if (UNQUOTABLE.test(arg)) {
      throw new CommandQuoteError(
        `Cannot write argument ${i} (${
          JSON.stringify(arg)
        }) into credential_process: it holds a line break or a control character`,
      );
    }
    return rules.windows
      ? quoteWindowsArgument(arg)
      : quotePosixArgument(arg, i === 0);
  }).join(" ");
}
