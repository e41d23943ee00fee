/**
 * Everything a person must see or answer while the AWS CLI captures stdout
 * and stderr goes through a Prompter: the real one talks to the terminal
 * (/dev/tty), tests hand in a scripted one.
 *
 * @module
 */
import { NoTerminalError } from "../errors.ts";

/** Asks the person at the terminal. */
export interface Prompter {
  /** Reads a secret with echo off. */
  secret(label: string): Promise<string>;
  /** Reads a line with echo on (codes, choices). */
  line(label: string): Promise<string>;
  /** Shows a line of text (progress, the push number). */
  say(text: string): Promise<void>;
}

/**
 * Asks the person to pick one of `items` by number; returns its index.
 * Invalid answers ask again, at most three times in all.
 */
export async function choose(
  prompter: Prompter,
  title: string,
  items: string[],
): Promise<number> {
  await prompter.say(title);
  for (const [i, item] of items.entries()) {
    await prompter.say(`  ${i + 1}) ${item}`);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = (await prompter.line(`Choose 1-${items.length}: `)).trim();
    const n = Number(answer);
    if (Number.isInteger(n) && n >= 1 && n <= items.length) return n - 1;
    await prompter.say(`Please enter a number from 1 to ${items.length}.`);
  }
  throw new NoTerminalError("Cannot choose: no valid answer after 3 tries");
}

/** The error for a question that cannot be asked: names what was wanted and why. */
export function noTerminalError(
  label: string,
  reason: string,
): NoTerminalError {
  return new NoTerminalError(
    `Cannot ask for ${label.replace(/[:\s]+$/, "").toLowerCase()}: ${reason}`,
  );
}
