/**
 * The one place that decides how to ask: the terminal when there is one,
 * else a desktop dialog when one can be shown and is not turned off, else
 * the terminal prompter, which fails at once with NoTerminalError. The
 * decision is taken at the first question or message, so a cache hit never
 * opens anything. Everything shown is stripped of control characters here,
 * whichever way it goes.
 *
 * @module
 */
import { safeText } from "../safe_text.ts";
import type { Prompter } from "./prompter.ts";

/** A terminal prompter that can tell whether a terminal is there. */
export interface TerminalPrompter extends Prompter {
  /** Opens the terminal if needed; false when there is none. */
  available(): Promise<boolean>;
}

/** What to choose from. */
export interface PrompterChoice {
  /** The terminal. */
  terminal: TerminalPrompter;
  /** Makes the dialog prompter, or undefined when dialogs cannot be shown. */
  dialogs?: () => Promise<Prompter | undefined>;
  /** --no-gui or AWSPROCESSCREDS_NO_GUI=1. */
  noGui: boolean;
}

/** A Prompter that picks its way on first use. */
export function choosePrompter(choice: PrompterChoice): Prompter {
  let chosen: Promise<Prompter> | undefined;
  let dialog: Prompter | undefined;
  const pick = () =>
    chosen ??= (async () => {
      if (await choice.terminal.available()) return choice.terminal;
      if (!choice.noGui) dialog = await choice.dialogs?.();
      return dialog ?? choice.terminal;
    })();
  return {
    async secret(label) {
      return await (await pick()).secret(safeText(label));
    },
    async line(label) {
      return await (await pick()).line(safeText(label));
    },
    async say(text) {
      await (await pick()).say(safeText(text));
    },
    async choose(title, items) {
      return await (await pick()).choose(safeText(title), items.map(safeText));
    },
    async notice(text) {
      return await (await pick()).notice(safeText(text));
    },
    close() {
      dialog?.close();
      choice.terminal.close();
    },
  };
}
