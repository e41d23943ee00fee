/**
 * A terminal prompter whose code (tty.ts) is loaded at its first use: a
 * cache hit asks nothing, so it should not load the terminal code either.
 *
 * @module
 */
import type { TerminalPrompter } from "./choose_prompter.ts";

/** A TerminalPrompter that calls `load` on first use and delegates to it. */
export function lazyTerminal(
  load: () => Promise<TerminalPrompter>,
): TerminalPrompter {
  let loaded: TerminalPrompter | undefined;
  let loading: Promise<TerminalPrompter> | undefined;
  const get = () =>
    loading ??= load().then((t) => {
      loaded = t;
      return t;
    });
  return {
    available: async () => await (await get()).available(),
    secret: async (label) => await (await get()).secret(label),
    line: async (label) => await (await get()).line(label),
    say: async (text) => await (await get()).say(text),
    choose: async (title, items) => await (await get()).choose(title, items),
    notice: async (text) => await (await get()).notice(text),
    close: () => loaded?.close(),
  };
}
