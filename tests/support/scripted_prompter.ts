/**
 * A Prompter for in-process tests: answers come from a script, and every
 * prompt, answer and message is kept in a transcript.
 *
 * @module
 */
import { NoTerminalError } from "../../lib/errors.ts";
import type { TerminalPrompter } from "../../lib/prompt/choose_prompter.ts";
import { lineMenu, questionOf } from "../../lib/prompt/prompter.ts";

/** A scripted Prompter and what it saw. */
export interface ScriptedPrompter extends TerminalPrompter {
  /** Prompts (as asked), answers (as `> answer`) and messages, in order. */
  transcript: string[];
  /** Notices shown, and whether each is still open. */
  notices: { text: string; open: boolean }[];
}

/**
 * A Prompter answering `answers` in order. `null` means nothing can ask:
 * every question fails with NoTerminalError, as with no terminal. Running out
 * of answers fails the test with "unexpected prompt".
 */
export function scriptedPrompter(answers: string[] | null): ScriptedPrompter {
  const transcript: string[] = [];
  const notices: { text: string; open: boolean }[] = [];
  const ask = (label: string) => {
    if (answers === null) {
      return Promise.reject(
        new NoTerminalError(questionOf(label), "no terminal (scripted)"),
      );
    }
    transcript.push(label);
    const answer = answers.shift();
    if (answer === undefined) {
      return Promise.reject(new Error(`unexpected prompt ${label}`));
    }
    transcript.push(`> ${answer}`);
    return Promise.resolve(answer);
  };
  const prompter: ScriptedPrompter = {
    transcript,
    notices,
    available: () => Promise.resolve(answers !== null),
    secret: ask,
    line: ask,
    say(text) {
      transcript.push(text);
      return Promise.resolve();
    },
    choose(title, items) {
      if (answers === null) {
        return Promise.reject(
          new NoTerminalError("a choice", "no terminal (scripted)"),
        );
      }
      return lineMenu(prompter, title, items);
    },
    notice(text) {
      transcript.push(text);
      const notice = { text, open: true };
      notices.push(notice);
      return Promise.resolve(() => {
        notice.open = false;
      });
    },
    close() {},
  };
  return prompter;
}
