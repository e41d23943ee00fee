/**
 * The real Prompter: the controlling terminal, opened directly (/dev/tty on
 * Unix, CONIN$/CONOUT$ on Windows), so prompts work while stdin, stdout and
 * stderr are all pipes, as when the AWS CLI runs credential_process.
 *
 * @module
 */
import { InterruptedError } from "../errors.ts";
import { safeText } from "../safe_text.ts";
import type { TerminalPrompter } from "./choose_prompter.ts";
import { lineMenu, noTerminalError } from "./prompter.ts";

/** The reading and writing ends of a terminal. */
export interface TtyDevice {
  /** Where answers are read from. */
  reader: Deno.FsFile;
  /** Where prompts are written. */
  writer: Deno.FsFile;
}

/** Opens the controlling terminal; throws when there is none. */
export async function openTty(): Promise<TtyDevice> {
  if (Deno.build.os === "windows") {
    const reader = await Deno.open("CONIN$", { read: true });
    const writer = await Deno.open("CONOUT$", { write: true });
    return { reader, writer };
  }
  const tty = await Deno.open("/dev/tty", { read: true, write: true });
  return { reader: tty, writer: tty };
}

const NO_TTY_HINT =
  "no terminal is available (stdin, stdout and stderr are captured and there is no controlling terminal)";

/**
 * A Prompter on the terminal, opened on first use. If it cannot be opened,
 * every question fails at once with a NoTerminalError.
 *
 * @param open Opens the terminal (injected for tests).
 */
export function ttyPrompter(
  open: () => Promise<TtyDevice> = openTty,
): TerminalPrompter {
  let device: TtyDevice | undefined;
  let failed = false;
  /** Whether the terminal is in raw mode now (a prompt is open). */
  let raw = false;
  const encoder = new TextEncoder();

  async function get(label: string): Promise<TtyDevice> {
    if (device) return device;
    if (!failed) {
      try {
        device = await open();
        if (!device.reader.isTerminal()) throw new Error("not a terminal");
        return device;
      } catch {
        device = undefined;
        failed = true;
      }
    }
    throw noTerminalError(label, NO_TTY_HINT);
  }

  async function write(tty: TtyDevice, text: string): Promise<void> {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) {
      written += await tty.writer.write(bytes.subarray(written));
    }
  }

  async function read(
    tty: TtyDevice,
    label: string,
    echo: boolean,
  ): Promise<string> {
    // Raw mode before the prompt appears: an answer typed at once must not be
    // echoed by the terminal driver.
    tty.reader.setRaw(true);
    raw = true;
    await write(tty, safeText(label));
    const chars: number[] = [];
    const buf = new Uint8Array(64);
    let escape: "none" | "esc" | "csi" = "none";
    try {
      for (;;) {
        const n = await tty.reader.read(buf);
        if (n === null) {
          throw noTerminalError(label, "the terminal closed");
        }
        for (const byte of buf.subarray(0, n)) {
          if (byte === 3) {
            await write(tty, "\r\n");
            throw new InterruptedError("Interrupted at the prompt");
          }
          if (byte === 4 && chars.length === 0) {
            await write(tty, "\r\n");
            throw new InterruptedError("Input ended at the prompt");
          }
          if (byte === 13 || byte === 10) {
            await write(tty, "\r\n");
            return new TextDecoder().decode(new Uint8Array(chars));
          }
          if (byte === 127 || byte === 8) {
            if (chars.length) {
              // Drop a whole UTF-8 sequence.
              let drop = chars.pop()!;
              while ((drop & 0xc0) === 0x80 && chars.length) {
                drop = chars.pop()!;
              }
              if (echo) await write(tty, "\b \b");
            }
            continue;
          }
          if (byte === 21) { // Ctrl-U: clear the line
            // One column per character, not per UTF-8 byte.
            const shown = chars.filter((b) => (b & 0xc0) !== 0x80).length;
            if (echo) await write(tty, "\b \b".repeat(shown));
            chars.length = 0;
            continue;
          }
          if (escape !== "none") {
            // An escape sequence (an arrow key: ESC [ A) is dropped whole.
            if (escape === "esc") escape = byte === 0x5b ? "csi" : "none";
            else if (byte >= 0x40 && byte <= 0x7e) escape = "none";
            continue;
          }
          if (byte === 27) {
            escape = "esc";
            continue;
          }
          if (byte < 32) continue;
          chars.push(byte);
          if (echo) await tty.writer.write(new Uint8Array([byte]));
        }
      }
    } finally {
      tty.reader.setRaw(false);
      raw = false;
    }
  }

  const prompter: TerminalPrompter = {
    async available() {
      try {
        await get("a message");
        return true;
      } catch {
        return false;
      }
    },
    async secret(label) {
      return await read(await get(label), label, false);
    },
    async line(label) {
      return await read(await get(label), label, true);
    },
    async say(text) {
      if (failed) return;
      try {
        await write(await get("a message"), `${safeText(text)}\r\n`);
      } catch {
        // No terminal: nothing to show it on. The caller's next question fails.
      }
    },
    choose(title, items) {
      return lineMenu(prompter, title, items);
    },
    async notice(text) {
      await prompter.say(text);
      return () => {};
    },
    close() {
      if (!device) return;
      if (raw) {
        // A signal ended the prompt: give the shell its echo back.
        try {
          device.reader.setRaw(false);
        } catch {
          // The terminal is gone.
        }
        raw = false;
      }
      device.reader.close();
      if (device.writer !== device.reader) device.writer.close();
      device = undefined;
    },
  };
  return prompter;
}
