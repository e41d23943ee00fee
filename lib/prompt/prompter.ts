/**
 * Everything a person must see or answer while the AWS CLI captures stdout
 * and stderr goes through a Prompter. The terminal (tty.ts) is one; tests hand
 * in a scripted one. The providers only ever see this interface.
 *
 * @module
 */
import { InvalidAnswerError, NoTerminalError } from "../errors.ts";

/** Asks the person, and shows them what they must know. */
export interface Prompter {
  /** Reads a secret without showing it (password, hidden code). */
  secret(label: string): Promise<string>;
  /** Reads a line, shown as typed (codes). */
  line(label: string): Promise<string>;
  /** Shows a line of progress. */
  say(text: string): Promise<void>;
  /**
   * Asks the person to pick one of `items`; returns its index.
   *
   * @throws {InvalidAnswerError} after three invalid answers.
   * @throws {NoTerminalError} when nothing can ask.
   */
  choose(title: string, items: readonly string[]): Promise<number>;
  /**
   * Shows `text` while something is pending (the Okta Verify number during a
   * push). The returned function takes it away again; calling it twice is
   * harmless.
   */
  notice(text: string): Promise<() => void>;
  /** Releases the terminal or closes any window still open. */
  close(): void;
}

/** How many invalid menu answers are accepted before giving up. */
export const MENU_TRIES = 3;

/**
 * A numbered menu asked line by line: what the terminal and scripted
 * prompters do for {@link Prompter.choose}.
 *
 * @param io The line-based part of a prompter.
 * @throws {InvalidAnswerError} after {@link MENU_TRIES} invalid answers.
 */
export async function lineMenu(
  io: Pick<Prompter, "say" | "line">,
  title: string,
  items: readonly string[],
): Promise<number> {
  await io.say(title);
  for (const [i, item] of items.entries()) {
    await io.say(`  ${i + 1}) ${item}`);
  }
  for (let attempt = 0; attempt < MENU_TRIES; attempt++) {
    const answer = (await io.line(`Choose 1-${items.length}: `)).trim();
    const n = Number(answer);
    if (/^\d+$/.test(answer) && n >= 1 && n <= items.length) return n - 1;
    await io.say(`Please enter a number from 1 to ${items.length}.`);
  }
  throw new InvalidAnswerError(
    `Cannot choose: no valid answer after ${MENU_TRIES} tries`,
  );
}

/**
 * What a prompt label asks for, as a noun: "Password: " gives "password",
 * "SMS code (Enter to resend): " gives "SMS code". Names keep their capitals.
 */
export function questionOf(label: string): string {
  const noun = label.replace(/\s*\([^)]*\)[:?\s]*$/, "").replace(
    /[:?\s]+$/,
    "",
  );
  return /^[A-Z][^A-Z]*$/.test(noun)
    ? noun[0].toLowerCase() + noun.slice(1)
    : noun;
}

/** The error for a question that cannot be asked, with what was wanted and why. */
export function noTerminalError(
  label: string,
  reason: string,
): NoTerminalError {
  return new NoTerminalError(questionOf(label), reason);
}
