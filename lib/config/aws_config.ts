/**
 * Reads the AWS config file the way botocore does, in one pass and without
 * dependencies (it runs on every cache hit of `--profile`).
 *
 * botocore (botocore/configloader.py `raw_config_parse`) reads the file with
 * Python's `configparser.RawConfigParser()` and its defaults, then
 * `build_profile_map` turns section names into profiles. The rules below are
 * CPython's Lib/configparser.py (`RawConfigParser._read`, the same in 3.9 to
 * 3.14 for these options) unless marked botocore:
 *
 * - The file is read in text mode with universal newlines: `\n`, `\r\n` and a
 *   lone `\r` all end a line. A UTF-8 byte order mark is not skipped, so the
 *   first line is neither a header nor a comment and Python raises
 *   MissingSectionHeaderError.
 * - Whitespace is Python's (`str.isspace`, and `\s` in `re`), which is more
 *   than ASCII: `\x1c`–`\x1f`, `\x85`, `\xa0`, `\u2000`–`\u200a`, … .
 * - A line whose stripped text starts with `#` or `;` is a comment, indented or
 *   not (`comment_prefixes=('#', ';')`). There are no inline comments
 *   (`inline_comment_prefixes=None`): `key = v # x` has the value `v # x`. A
 *   comment line neither ends a value nor becomes part of it.
 * - A non-blank line indented deeper than the line of the current option is a
 *   continuation: its stripped text is appended to the value with `\n`. Blank
 *   lines inside a value are kept (`empty_lines_in_values=True`), trailing
 *   ones are dropped (`rstrip()` of the joined value). Right after a section
 *   header nothing is a continuation.
 * - A header is a stripped line matching `\[(?P<header>.+)\]` from its start:
 *   the name runs to the last `]` and is not stripped; text after that `]` is
 *   ignored. Headers may be indented.
 * - An option is `name = value` or `name: value`, split at the first `=` or
 *   `:`; both sides are stripped; the name is lowercased (`optionxform`).
 *   An empty name, or a line with no delimiter, is a ParsingError. A line
 *   before any header is a MissingSectionHeaderError.
 * - strict mode: a header seen twice is a DuplicateSectionError, an option
 *   seen twice in one section (after lowercasing) a DuplicateOptionError,
 *   both raised at once; ParsingErrors are raised after the whole file.
 * - `[DEFAULT]` (exactly) is configparser's default section: it may appear
 *   more than once, is not listed by `sections()`, and its options are
 *   inherited by every other section (`options()`/`get()`).
 * - botocore: a value that starts with a newline (`s3 =` followed by indented
 *   lines) is a nested block; each non-blank line of it (Python `splitlines`)
 *   must contain `=`, else ConfigParseError.
 * - botocore `build_profile_map`: a section whose name starts with `profile`
 *   is `shlex.split`; exactly two words make a profile named by the second
 *   word (the first word is not checked: `[profilex y]` is profile `y`),
 *   anything else is dropped. `[default]` (exactly) is the profile `default`.
 *   `[sso-session …]`, `[services …]` and anything else are not profiles.
 *   When two sections name the same profile (`[default]` and
 *   `[profile default]`, or `[profile a]` and `[profile  a ]`), the later one
 *   in the file wins whole; the two are not merged.
 *
 * @module
 */
import { UsageError } from "../errors.ts";

/** A command line cannot be split: an unclosed quote or a final backslash. */
export class CommandSplitError extends Error {
  /** The class name, for stack traces. */
  override get name(): string {
    return "CommandSplitError";
  }
}

// shlex.split lives here, not in shell_quote.ts (which re-exports it), so
// that reading a profile loads one module fewer.
const SHLEX_WHITESPACE = " \t\r\n";

/**
 * Splits `command` exactly as Python's `shlex.split(command)` does (posix
 * mode, whitespace splitting, no comments): what botocore does with a
 * `credential_process` value on every platform but Windows.
 *
 * @throws {CommandSplitError} on an unclosed quote or a final lone backslash.
 */
export function shlexSplit(command: string): string[] {
  const words: string[] = [];
  let word = "";
  // Whether a word has started (a character or a quote): `''` is a word.
  let inWord = false;
  let i = 0;
  const n = command.length;
  while (i < n) {
    const c = command[i++];
    if (SHLEX_WHITESPACE.includes(c)) {
      if (inWord) {
        words.push(word);
        word = "";
        inWord = false;
      }
    } else if (c === "\\") {
      if (i >= n) throw new CommandSplitError("No escaped character");
      word += command[i++];
      inWord = true;
    } else if (c === "'") {
      const end = command.indexOf("'", i);
      if (end < 0) throw new CommandSplitError("No closing quotation");
      word += command.slice(i, end);
      i = end + 1;
      inWord = true;
    } else if (c === '"') {
      for (;;) {
        if (i >= n) throw new CommandSplitError("No closing quotation");
        const d = command[i++];
        if (d === '"') break;
        if (d === "\\") {
          if (i >= n) throw new CommandSplitError("No escaped character");
          const e = command[i++];
          // Inside double quotes only `"` and `\` can be escaped.
          word += e === '"' || e === "\\" ? e : d + e;
        } else {
          word += d;
        }
      }
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The config file cannot be read as botocore would read it. */
export class AwsConfigError extends UsageError {
  /** The file. */
  readonly path: string;
  /** The 1-based line at fault, when there is one. */
  readonly line: number | undefined;

  /** Builds "AWS config file PATH[, line N]: DETAIL". */
  constructor(path: string, line: number | undefined, detail: string) {
    super(
      `AWS config file ${path}${
        line === undefined ? "" : `, line ${line}`
      }: ${detail}`,
    );
    this.path = path;
    this.line = line;
  }

  /** The class name, for stack traces. */
  override get name(): string {
    return "AwsConfigError";
  }
}

/**
 * What a section is to botocore: the `default` profile (`[default]`), a named
 * profile (`[profile NAME]`), or anything else (`[sso-session …]`,
 * `[services …]`, `[DEFAULT]`, malformed profile headers, …).
 */
export type SectionKind = "default" | "profile" | "other";

/** One option (`key = value`) and the lines it spans. */
export interface ConfigOption {
  /** The name as configparser keeps it: stripped and lowercased. */
  key: string;
  /**
   * The value as configparser returns it: each line stripped, continuation
   * lines joined with `\n`, trailing blank lines dropped. A nested block
   * (`s3 =` then indented lines) starts with `\n`.
   */
  value: string;
  /** 1-based line of `key = value`. */
  line: number;
  /** 1-based last line of the value (the last continuation line, or `line`). */
  lastLine: number;
}

/** One `[…]` section and the lines it spans. */
export interface ConfigSection {
  /** What botocore makes of it. */
  kind: SectionKind;
  /** The profile name for `default`/`profile`; the header text otherwise. */
  name: string;
  /** The header text between `[` and the last `]`, unstripped. */
  header: string;
  /** 1-based line of the header. */
  line: number;
  /** 1-based last line before the next header (or the file's last line). */
  lastLine: number;
  /** The options in file order. */
  options: ConfigOption[];
  /**
   * Key to value for this section's own options (no `[DEFAULT]` inheritance);
   * a prototype-less object.
   */
  values: Record<string, string>;
}

/** A parsed config file. */
export interface AwsConfig {
  /** The file the text came from, for messages. */
  path: string;
  /** Every section in file order, `[DEFAULT]` ones included (kind `other`). */
  sections: ConfigSection[];
  /**
   * The `[DEFAULT]` options, which configparser lends to every section; a
   * prototype-less object, empty when the file has no `[DEFAULT]`.
   */
  defaults: Record<string, string>;
  /** Number of lines in the file. */
  lineCount: number;
}

/** configparser's default section name (`DEFAULTSECT`). */
export const DEFAULT_SECTION = "DEFAULT";

/** Whether `code` is whitespace to Python (`str.isspace`). */
function isPySpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) ||
    (code >= 0x1c && code <= 0x1f) ||
    (code >= 0x85 &&
      (code === 0x85 || code === 0xa0 || code === 0x1680 ||
        (code >= 0x2000 && code <= 0x200a) || code === 0x2028 ||
        code === 0x2029 || code === 0x202f || code === 0x205f ||
        code === 0x3000));
}

/** Index of the first non-whitespace character (Python's), or -1. */
function firstNonSpace(s: string, from = 0): number {
  for (let i = from; i < s.length; i++) {
    if (!isPySpace(s.charCodeAt(i))) return i;
  }
  return -1;
}

/** Python's `str.strip()`. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPySpace(s.charCodeAt(start))) start++;
  while (end > start && isPySpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** Python's `str.rstrip()`. */
function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isPySpace(s.charCodeAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Leading whitespace (Python's) of a line. */
export function leadingSpace(line: string): string {
  const i = firstNonSpace(line);
  return i < 0 ? line : line.slice(0, i);
}

/** A line of text and what ended it. */
export interface TextLine {
  /** The line without its line break. */
  text: string;
  /** `"\n"`, `"\r\n"`, `"\r"`, or `""` for a last line without one. */
  eol: string;
}

/**
 * Splits text into lines as Python's universal-newline reading does: `\n`,
 * `\r\n` and a lone `\r` each end a line. Joining `text + eol` of every line
 * gives the input back.
 */
export function splitLines(text: string): TextLine[] {
  const lines: TextLine[] = [];
  let start = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lines.push({ text: text.slice(start, i), eol: "\n" });
      start = i + 1;
    } else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) {
        lines.push({ text: text.slice(start, i), eol: "\r\n" });
        start = i + 2;
        i++;
      } else {
        lines.push({ text: text.slice(start, i), eol: "\r" });
        start = i + 1;
      }
    }
  }
  if (start < n) lines.push({ text: text.slice(start), eol: "" });
  return lines;
}

// Python's str.splitlines() boundaries, used by botocore's _parse_nested.
// deno-lint-ignore no-control-regex
const PY_LINE_BREAKS = /\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/;

/** What botocore's `build_profile_map` makes of a section name. */
function classify(header: string): { kind: SectionKind; name: string } {
  if (header.startsWith("profile")) {
    let words: string[];
    try {
      words = shlexSplit(header);
    } catch {
      return { kind: "other", name: header };
    }
    return words.length === 2
      ? { kind: "profile", name: words[1] }
      : { kind: "other", name: header };
  }
  if (header === "default") return { kind: "default", name: "default" };
  return { kind: "other", name: header };
}

interface OpenOption {
  option: ConfigOption;
  pieces: string[];
  /** First line of a nested block that has no `=`, if any. */
  badNestedLine?: number;
  /** The value so far starts with an empty first line (a nested block). */
  nested: boolean;
}

/**
 * Parses the text of an AWS config file (see the module documentation for
 * the rules, which are botocore's).
 *
 * @param text the file's text, decoded as UTF-8 with any BOM kept.
 * @param path the file, for messages.
 * @throws {AwsConfigError} where botocore raises ConfigParseError, with the
 * line at fault.
 */
export function parseAwsConfig(text: string, path: string): AwsConfig {
  const lines = splitLines(text);
  const sections: ConfigSection[] = [];
  const defaults: Record<string, string> = Object.create(null);
  const defaultsLines = new Map<string, number>();
  const headerLines = new Map<string, number>();
  let current: ConfigSection | undefined;
  let sectionKeys: Map<string, number> | undefined;
  let open: OpenOption | undefined;
  let indentLevel = 0;
  let firstParseError: number | undefined;
  let parseErrorDetail = "";
  // Options whose nested block has a line without "=": the line.
  const badNested = new Map<ConfigOption, number>();
  const defaultOptions: ConfigOption[] = [];

  const close = () => {
    if (!open || !current) return;
    const value = pyRstrip(open.pieces.join("\n"));
    open.option.value = value;
    if (current.header === DEFAULT_SECTION) defaults[open.option.key] = value;
    else current.values[open.option.key] = value;
    if (open.nested && open.badNestedLine !== undefined && value !== "") {
      badNested.set(open.option, open.badNestedLine);
    }
    open = undefined;
  };

  if (text.charCodeAt(0) === 0xfeff) {
    throw new AwsConfigError(
      path,
      1,
      "the file starts with a byte order mark (U+FEFF), which botocore cannot read; save it as UTF-8 without BOM",
    );
  }

  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1;
    const raw = lines[index].text;
    const start = firstNonSpace(raw);
    if (start < 0) {
      // Blank: part of a multi-line value, or nothing.
      if (open) open.pieces.push("");
      continue;
    }
    const first = raw.charCodeAt(start);
    if (first === 35 /* # */ || first === 59 /* ; */) continue;
    const clean = pyStrip(raw);
    if (open && start > indentLevel) {
      open.pieces.push(clean);
      open.option.lastLine = lineNo;
      if (open.nested && open.badNestedLine === undefined) {
        for (const part of clean.split(PY_LINE_BREAKS)) {
          if (pyStrip(part) !== "" && !part.includes("=")) {
            open.badNestedLine = lineNo;
            break;
          }
        }
      }
      continue;
    }
    indentLevel = start;
    const lastBracket = clean.lastIndexOf("]");
    if (clean.charCodeAt(0) === 91 /* [ */ && lastBracket >= 2) {
      close();
      const header = clean.slice(1, lastBracket);
      if (header === DEFAULT_SECTION) {
        sectionKeys = defaultsLines;
      } else {
        const seen = headerLines.get(header);
        if (seen !== undefined) {
          throw new AwsConfigError(
            path,
            lineNo,
            `section [${header}] appears twice (first at line ${seen}); botocore refuses duplicate sections`,
          );
        }
        headerLines.set(header, lineNo);
        sectionKeys = new Map();
      }
      const { kind, name } = classify(header);
      current = {
        kind,
        name,
        header,
        line: lineNo,
        lastLine: lineNo,
        options: [],
        values: Object.create(null),
      };
      sections.push(current);
      continue;
    }
    if (!current || !sectionKeys) {
      throw new AwsConfigError(
        path,
        lineNo,
        "the first line that is not blank or a comment must be a [section] header",
      );
    }
    let delimiter = -1;
    for (let i = 0; i < clean.length; i++) {
      const c = clean.charCodeAt(i);
      if (c === 61 /* = */ || c === 58 /* : */) {
        delimiter = i;
        break;
      }
    }
    if (delimiter < 0) {
      if (firstParseError === undefined) {
        firstParseError = lineNo;
        parseErrorDetail =
          'expected "key = value", a [section] header, a comment or an indented continuation line';
      }
      // configparser keeps the previous option open after a bad line.
      continue;
    }
    close();
    const key = pyRstrip(clean.slice(0, delimiter)).toLowerCase();
    if (key === "" && firstParseError === undefined) {
      firstParseError = lineNo;
      parseErrorDetail = `no option name before "${clean[delimiter]}"`;
    }
    const seen = sectionKeys.get(key);
    if (seen !== undefined) {
      throw new AwsConfigError(
        path,
        lineNo,
        `option "${key}" appears twice in section [${current.header}] (first at line ${seen}); botocore refuses duplicate options`,
      );
    }
    sectionKeys.set(key, lineNo);
    const value = pyStrip(clean.slice(delimiter + 1));
    const option: ConfigOption = { key, value, line: lineNo, lastLine: lineNo };
    current.options.push(option);
    if (current.header === DEFAULT_SECTION) defaultOptions.push(option);
    // An empty name never takes continuation lines (configparser tests it
    // for truth), but still counts as an option.
    open = key === ""
      ? undefined
      : { option, pieces: [value], nested: value === "" };
    if (key === "") {
      if (current.header === DEFAULT_SECTION) defaults[key] = value;
      else current.values[key] = value;
    }
  }
  close();
  for (let i = 0; i < sections.length; i++) {
    sections[i].lastLine = i + 1 < sections.length
      ? sections[i + 1].line - 1
      : lines.length;
  }
  if (firstParseError !== undefined) {
    throw new AwsConfigError(path, firstParseError, parseErrorDetail);
  }
  if (badNested.size > 0) {
    checkNested(path, sections, defaultOptions, badNested);
  }
  return { path, sections, defaults, lineCount: lines.length };
}

/**
 * Raises botocore's ConfigParseError for the first nested block with a line
 * without `=`, in botocore's order: sections in file order, each with its own
 * options and then the `[DEFAULT]` ones it inherits.
 */
function checkNested(
  path: string,
  sections: ConfigSection[],
  defaultOptions: ConfigOption[],
  badNested: Map<ConfigOption, number>,
): void {
  for (const section of sections) {
    if (section.header === DEFAULT_SECTION) continue;
    const inherited = defaultOptions.filter((o) => !(o.key in section.values));
    for (const option of [...section.options, ...inherited]) {
      const line = badNested.get(option);
      if (line !== undefined) {
        throw new AwsConfigError(
          path,
          line,
          `the indented block of "${option.key}" has a line without "=" (botocore reads "${option.key} =" followed by indented lines as "name = value" pairs)`,
        );
      }
    }
  }
}

/**
 * The section botocore uses for profile `name`: the last `[profile NAME]`
 * (or `[default]` for `default`) in the file, or undefined.
 */
export function profileSection(
  config: AwsConfig,
  name: string,
): ConfigSection | undefined {
  for (let i = config.sections.length - 1; i >= 0; i--) {
    const section = config.sections[i];
    if (section.kind !== "other" && section.name === name) return section;
  }
  return undefined;
}
