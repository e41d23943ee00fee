/**
 * Writes profiles into the text of an AWS config file for `configure`,
 * keeping every byte it does not own.
 *
 * An existing section of the profile (the one botocore uses, see
 * `profileSection`) is edited in place: lines of owned keys are replaced where
 * they are (an unchanged line is kept byte for byte), owned keys that are no
 * longer wanted are removed, missing ones are added after the section's last
 * option; the user's other lines stay. A new profile is appended at the end
 * with a plain `[profile NAME]` (`[default]`) header after a blank line.
 * Comments, blank lines, other sections, line breaks (`\n`, `\r\n`, `\r`) and a
 * missing final line break are kept. The result is parsed again and checked
 * before it is returned, so botocore reads exactly what was asked.
 *
 * @module
 */
import { CliError } from "../errors.ts";
import {
  type AwsConfig,
  type ConfigSection,
  leadingSpace,
  parseAwsConfig,
  profileSection,
  pyStrip,
  splitLines,
  type TextLine,
} from "./aws_config.ts";
import { quotePosixArgument } from "./shell_quote.ts";

/** One profile to write: its name and the keys to set. */
export interface ProfileUpdate {
  /** The profile name (`default` writes `[default]`). */
  name: string;
  /**
   * Keys (lowercase) to their one-line values, written in this order when
   * added. Every key must be owned (see `updateProfiles`).
   */
  values: Record<string, string>;
}

/** A profile, key or value cannot be written so that botocore reads it back. */
export class ConfigUpdateError extends CliError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "ConfigUpdateError";
  }
}

// Keys botocore reads back unchanged: lowercase (configparser lowercases),
// no delimiter, not a comment or a header.
const KEY = /^[a-z0-9_][a-z0-9_.-]*$/;
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * The header of a new section for profile `name`: `[default]`, or
 * `[profile NAME]` with NAME quoted for botocore's `shlex.split` when it
 * needs to be (`[profile 'my profile']`).
 */
export function profileHeader(name: string): string {
  return name === "default"
    ? "[default]"
    : `[profile ${quotePosixArgument(name)}]`;
}

function optionText(key: string, value: string): string {
  return value === "" ? `${key} =` : `${key} = ${value}`;
}

function validate(
  updates: ProfileUpdate[],
  owns: (key: string) => boolean,
): void {
  const names = new Set<string>();
  for (const { name, values } of updates) {
    if (name === "" || CONTROL.test(name) || name.includes("\t")) {
      throw new ConfigUpdateError(
        `Cannot write profile ${
          JSON.stringify(name)
        }: a profile name must be non-empty, without tabs, line breaks or control characters`,
      );
    }
    if (names.has(name)) {
      throw new ConfigUpdateError(
        `Cannot write profile "${name}" twice in one update`,
      );
    }
    names.add(name);
    for (const key in values) {
      if (!KEY.test(key)) {
        throw new ConfigUpdateError(
          `Cannot write key ${
            JSON.stringify(key)
          } in profile "${name}": keys are lowercase letters, digits, "_", "." and "-"`,
        );
      }
      if (!owns(key)) {
        throw new ConfigUpdateError(
          `Cannot write key "${key}" in profile "${name}": the key is not owned by this tool`,
        );
      }
      const value = values[key];
      if (CONTROL.test(value) || pyStrip(value) !== value) {
        throw new ConfigUpdateError(
          `Cannot write ${key} of profile "${name}": the value must be one line without leading or trailing spaces or control characters`,
        );
      }
    }
  }
}

/** Leading whitespace for lines added after a header that has no options. */
function indentAfterHeader(lines: TextLine[], section: ConfigSection): string {
  // The next line that is not blank or a comment must not become a
  // continuation of the added option: indent at least as deep as it.
  for (let i = section.line; i < lines.length; i++) {
    const text = lines[i].text;
    const clean = pyStrip(text);
    if (clean === "" || clean[0] === "#" || clean[0] === ";") continue;
    return leadingSpace(text);
  }
  return "";
}

function isBlank(line: TextLine): boolean {
  return pyStrip(line.text) === "";
}

function check(
  before: AwsConfig,
  after: AwsConfig,
  updates: ProfileUpdate[],
  owns: (key: string) => boolean,
): void {
  function fail(what: string): never {
    throw new Error(`updateProfiles produced a file that ${what}`);
  }
  const updated = new Set<ConfigSection>();
  for (const { name, values } of updates) {
    const section = profileSection(after, name);
    if (!section) fail(`lacks profile "${name}"`);
    updated.add(section);
    for (const key in values) {
      if (section.values[key] !== values[key]) {
        fail(`reads ${key} of "${name}" differently`);
      }
    }
    for (const key in section.values) {
      if (owns(key) && !(key in values)) fail(`keeps ${key} of "${name}"`);
    }
  }
  for (let i = 0; i < before.sections.length; i++) {
    const old = before.sections[i];
    const now = after.sections[i];
    if (!now || now.header !== old.header) fail("moved a section");
    for (
      const key of new Set([
        ...Object.keys(old.values),
        ...Object.keys(now.values),
      ])
    ) {
      if (
        (!updated.has(now) || !owns(key)) && old.values[key] !== now.values[key]
      ) {
        fail(`changed ${key} of [${old.header}]`);
      }
    }
  }
}

/**
 * Writes `updates` into the config file text and returns the new text
 * (see the module documentation). The same input always gives the same
 * output, and running it again on its output gives identical bytes.
 *
 * @param text the current file (empty for a new file).
 * @param updates the profiles to write; names must be distinct.
 * @param owns whether a (lowercase) key belongs to this tool: owned keys of
 * an updated section that are not in its `values` are removed; other keys
 * are never touched. Every key of `values` must be owned.
 * @param path the file, for messages.
 * @throws {AwsConfigError} when `text` is not a file botocore can read.
 * @throws {ConfigUpdateError} for a name, key or value that cannot be written.
 */
export function updateProfiles(
  text: string,
  updates: ProfileUpdate[],
  owns: (key: string) => boolean,
  path = "AWS config",
): string {
  validate(updates, owns);
  const config = parseAwsConfig(text, path);
  const lines = splitLines(text);
  const eol = lines.find((l) => l.eol !== "")?.eol ?? "\n";
  const endsWithBreak = lines.length === 0 ||
    lines[lines.length - 1].eol !== "";

  const skip = new Set<number>();
  const replace = new Map<number, TextLine>();
  const insertAfter = new Map<number, TextLine[]>();
  const appended: TextLine[][] = [];

  for (const { name, values } of updates) {
    const section = profileSection(config, name);
    if (!section) {
      appended.push([
        { text: profileHeader(name), eol },
        ...Object.entries(values).map(([k, v]) => ({
          text: optionText(k, v),
          eol,
        })),
      ]);
      continue;
    }
    const written = new Set<string>();
    for (const option of section.options) {
      if (!owns(option.key)) continue;
      const wanted = option.key in values ? values[option.key] : undefined;
      if (wanted !== undefined) written.add(option.key);
      if (wanted === option.value && option.lastLine === option.line) continue;
      for (let l = option.line; l <= option.lastLine; l++) skip.add(l - 1);
      if (wanted !== undefined) {
        replace.set(option.line - 1, {
          text: leadingSpace(lines[option.line - 1].text) +
            optionText(option.key, wanted),
          eol: lines[option.lastLine - 1].eol,
        });
      }
    }
    const missing = Object.keys(values).filter((k) => !written.has(k));
    if (missing.length > 0) {
      const last = section.options[section.options.length - 1];
      const indent = last
        ? leadingSpace(lines[last.line - 1].text)
        : indentAfterHeader(lines, section);
      insertAfter.set(
        (last ? last.lastLine : section.line) - 1,
        missing.map((k) => ({ text: indent + optionText(k, values[k]), eol })),
      );
    }
  }

  const out: TextLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const replacement = replace.get(i);
    if (replacement) out.push(replacement);
    else if (!skip.has(i)) out.push(lines[i]);
    const inserted = insertAfter.get(i);
    if (inserted) out.push(...inserted);
  }
  for (const section of appended) {
    if (out.length > 0 && !isBlank(out[out.length - 1])) {
      out.push({ text: "", eol });
    }
    out.push(...section);
  }
  // Only the last line may lack a line break, and only if it did before.
  let result = "";
  for (let i = 0; i < out.length; i++) {
    const line = out[i];
    const last = i === out.length - 1;
    const lineEol = last && !endsWithBreak ? "" : line.eol || eol;
    result += line.text + lineEol;
  }
  check(config, parseAwsConfig(result, path), updates, owns);
  return result;
}
