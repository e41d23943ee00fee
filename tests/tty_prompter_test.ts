/**
 * Unit tests of the terminal Prompter's line editing (lib/prompt/tty.ts),
 * through its injectable `open` and a fake terminal: the reader yields
 * scripted byte chunks, the writer records bytes, and every setRaw and write
 * is logged in order.
 */
import assert from "node:assert/strict";
import { InterruptedError, NoTerminalError } from "../lib/errors.ts";
import { type TtyDevice, ttyPrompter } from "../lib/prompt/tty.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the fake terminal saw, in order. */
type Event = { raw: boolean } | { write: string } | { close: true };

/**
 * A fake terminal implementing only what tty.ts calls on Deno.FsFile: read,
 * write, setRaw, isTerminal, close.
 */
class FakeTty {
  readonly events: Event[] = [];
  readonly written: number[] = [];
  raw = false;
  reads = 0;
  #chunks: Uint8Array[];

  constructor(
    chunks: (string | number[])[],
    readonly terminal = true,
    /** At most this many bytes accepted per write (short writes). */
    readonly maxWrite = Infinity,
    /** When the chunks run out, wait forever instead of ending (null). */
    readonly hangAtEnd = false,
  ) {
    this.#chunks = chunks.map((c) =>
      typeof c === "string" ? encoder.encode(c) : new Uint8Array(c)
    );
  }

  isTerminal(): boolean {
    return this.terminal;
  }

  setRaw(mode: boolean): void {
    this.raw = mode;
    this.events.push({ raw: mode });
  }

  read(buf: Uint8Array): Promise<number | null> {
    this.reads++;
    const chunk = this.#chunks.shift();
    if (chunk === undefined) {
      return this.hangAtEnd ? new Promise(() => {}) : Promise.resolve(null);
    }
    const n = Math.min(buf.length, chunk.length);
    buf.set(chunk.subarray(0, n));
    if (n < chunk.length) this.#chunks.unshift(chunk.subarray(n));
    return Promise.resolve(n);
  }

  write(bytes: Uint8Array): Promise<number> {
    const n = Math.min(bytes.length, this.maxWrite);
    const part = bytes.slice(0, n);
    this.written.push(...part);
    this.events.push({ write: decoder.decode(part) });
    return Promise.resolve(n);
  }

  close(): void {
    this.events.push({ close: true });
  }

  /** Everything written, as text. */
  get output(): string {
    return decoder.decode(new Uint8Array(this.written));
  }

  device(): TtyDevice {
    const file = this as unknown as Deno.FsFile;
    return { reader: file, writer: file };
  }
}

/** A prompter on `tty`, counting how often it opens the terminal. */
function prompterOn(tty: FakeTty) {
  let opens = 0;
  const prompter = ttyPrompter(() => {
    opens++;
    return Promise.resolve(tty.device());
  });
  return { prompter, opens: () => opens };
}

async function line(
  chunks: (string | number[])[],
  label = "Code: ",
): Promise<{ answer: string; tty: FakeTty }> {
  const tty = new FakeTty(chunks);
  const answer = await prompterOn(tty).prompter.line(label);
  return { answer, tty };
}

async function secret(
  chunks: (string | number[])[],
): Promise<{ answer: string; tty: FakeTty }> {
  const tty = new FakeTty(chunks);
  const answer = await prompterOn(tty).prompter.secret("Password: ");
  return { answer, tty };
}

Deno.test("ttyPrompter().line() reads a plain line and echoes it", async () => {
  const { answer, tty } = await line(["123456\r"]);
  assert.equal(answer, "123456");
  assert.equal(tty.output, "Code: 123456\r\n");
});

Deno.test("ttyPrompter().line() ends at Enter sent as CR or as LF, across chunks", async () => {
  assert.equal((await line(["ab", "c\r"])).answer, "abc");
  assert.equal((await line(["abc\n"])).answer, "abc");
  assert.equal((await line(["\r"])).answer, "");
  // Longer than one read buffer (64 bytes).
  const long = "x".repeat(150);
  assert.equal((await line([`${long}\n`])).answer, long);
});

Deno.test("ttyPrompter().line() backspace (DEL 127 and BS 8) removes the last character", async () => {
  const del = await line(["abd", [127], "c\r"]);
  assert.equal(del.answer, "abc");
  assert.equal(del.tty.output, "Code: abd\b \bc\r\n");
  const bs = await line(["ab", [8, 8], "x\r"]);
  assert.equal(bs.answer, "x");
  // Backspace on an empty line does nothing and echoes nothing.
  const empty = await line([[127, 8], "ok\r"]);
  assert.equal(empty.answer, "ok");
  assert.equal(empty.tty.output, "Code: ok\r\n");
});

for (const [what, char] of [["é", "é"], ["€", "€"], ["an emoji", "😀"]]) {
  Deno.test(
    `ttyPrompter().line() backspace deletes ${what} entirely (${
      encoder.encode(char).length
    } UTF-8 bytes)`,
    async () => {
      const { answer, tty } = await line([`a${char}`, [127], "b\r"]);
      assert.equal(answer, "ab");
      // One character erased on the screen.
      assert.equal(tty.output, `Code: a${char}\b \bb\r\n`);
      // Two in a row, the character arriving a byte at a time.
      const bytes = [...encoder.encode(char)].map((b) => [b]);
      const split = await line([...bytes, ...bytes, [127], [127], "z\r"]);
      assert.equal(split.answer, "z");
      // And the line is still valid UTF-8 after deleting the last of two.
      assert.equal((await line([`${char}${char}`, [127], "\r"])).answer, char);
    },
  );
}

Deno.test("ttyPrompter().line() Ctrl-U clears the line", async () => {
  const { answer, tty } = await line(["abc", [21], "xy\r"]);
  assert.equal(answer, "xy");
  assert.equal(tty.output, `Code: abc${"\b \b".repeat(3)}xy\r\n`);
});

Deno.test({
  name:
    "ttyPrompter().line() Ctrl-U erases one screen column per character, not per byte",
  fn: async () => {
    const { answer, tty } = await line(["é€", [21], "1\r"]);
    assert.equal(answer, "1");
    assert.equal(tty.output, `Code: é€${"\b \b".repeat(2)}1\r\n`);
  },
});

Deno.test("ttyPrompter().line() ignores control bytes", async () => {
  const { answer, tty } = await line([
    [97, 1, 2, 0, 7, 9, 11, 12, 26, 31, 98],
    "\r",
  ]);
  assert.equal(answer, "ab");
  assert.equal(tty.output, "Code: ab\r\n");
});

Deno.test("ttyPrompter().line() Ctrl-C is InterruptedError (exit 130)", async () => {
  const tty = new FakeTty(["12", [3], "34\r"]);
  const { prompter } = prompterOn(tty);
  const error = await prompter.line("Code: ").catch((e) => e);
  assert.ok(error instanceof InterruptedError, String(error));
  assert.equal(error.exitCode, 130);
  assert.ok(tty.output.endsWith("\r\n"));
  assert.equal(tty.raw, false);
});

Deno.test("ttyPrompter().line() Ctrl-D on an empty line is InterruptedError", async () => {
  const tty = new FakeTty([[4]]);
  await assert.rejects(
    prompterOn(tty).prompter.line("Code: "),
    InterruptedError,
  );
  assert.equal(tty.raw, false);
  // Also after a line was typed and erased.
  const erased = new FakeTty(["a", [127, 4]]);
  await assert.rejects(
    prompterOn(erased).prompter.line("Code: "),
    InterruptedError,
  );
});

Deno.test("ttyPrompter().line() Ctrl-D in the middle of a line is ignored", async () => {
  const { answer } = await line(["ab", [4], "c\r"]);
  assert.equal(answer, "abc");
});

Deno.test("ttyPrompter().secret() echoes nothing of what is typed", async () => {
  const { answer, tty } = await secret(["hunter2", [127], "2é", [127], "!\r"]);
  assert.equal(answer, "hunter2!");
  assert.equal(tty.output, "Password: \r\n");
  // Ctrl-U is silent too.
  const cleared = await secret(["wrong", [21], "right\r"]);
  assert.equal(cleared.answer, "right");
  assert.equal(cleared.tty.output, "Password: \r\n");
});

Deno.test("ttyPrompter() sets raw mode before writing the label and restores it after", async () => {
  const { tty } = await line(["7\r"]);
  assert.deepEqual(tty.events, [
    { raw: true },
    { write: "Code: " },
    { write: "7" },
    { write: "\r\n" },
    { raw: false },
  ]);
  const hidden = await secret(["pw\n"]);
  assert.deepEqual(hidden.tty.events, [
    { raw: true },
    { write: "Password: " },
    { write: "\r\n" },
    { raw: false },
  ]);
  // Restored on Ctrl-C too.
  const tty2 = new FakeTty([[3]]);
  await assert.rejects(prompterOn(tty2).prompter.secret("Password: "));
  assert.deepEqual(tty2.events, [
    { raw: true },
    { write: "Password: " },
    { write: "\r\n" },
    { raw: false },
  ]);
});

Deno.test("ttyPrompter() writes the whole label through short writes", async () => {
  const tty = new FakeTty(["1\r"], true, 3);
  const answer = await prompterOn(tty).prompter.line("Enter the code: ");
  assert.equal(answer, "1");
  assert.equal(tty.output, "Enter the code: 1\r\n");
});

Deno.test("ttyPrompter() when the terminal closes mid-answer fails with NoTerminalError", async () => {
  const tty = new FakeTty(["12"]);
  const error = await prompterOn(tty).prompter.secret("Password: ").catch((
    e,
  ) => e);
  assert.ok(error instanceof NoTerminalError, String(error));
  assert.equal(error.question, "password");
  assert.match(error.message, /closed/);
  assert.equal(tty.raw, false);
});

Deno.test("ttyPrompter() when open() throws fails every question at once and says nothing", async () => {
  let opens = 0;
  const prompter = ttyPrompter(() => {
    opens++;
    return Promise.reject(new Deno.errors.NotFound("/dev/tty"));
  });
  await prompter.say("Pushed to your phone");
  const first = await prompter.secret("Password: ").catch((e) => e);
  assert.ok(first instanceof NoTerminalError, String(first));
  assert.equal(first.question, "password");
  assert.match(first.message, /no terminal is available/);
  await assert.rejects(prompter.line("Verification code: "), NoTerminalError);
  await assert.rejects(prompter.choose("Pick:", ["a", "b"]), NoTerminalError);
  await prompter.say("still silent");
  const close = await prompter.notice("Number 42");
  close();
  prompter.close();
  // Tried once, never again.
  assert.equal(opens, 1);
});

Deno.test("ttyPrompter() treats a device that is not a terminal as none", async () => {
  const tty = new FakeTty(["x\r"], false);
  const { prompter, opens } = prompterOn(tty);
  await assert.rejects(prompter.line("Code: "), NoTerminalError);
  await assert.rejects(prompter.secret("Password: "), NoTerminalError);
  assert.equal(opens(), 1);
  assert.equal(tty.reads, 0);
  assert.equal(tty.output, "");
});

Deno.test("ttyPrompter().choose() runs the numbered menu on the terminal", async () => {
  const tty = new FakeTty(["9\r", "2\r"]);
  const { prompter, opens } = prompterOn(tty);
  const index = await prompter.choose("Several roles are granted:", [
    "arn:aws:iam::1:role/a",
    "arn:aws:iam::1:role/b",
  ]);
  assert.equal(index, 1);
  assert.equal(
    tty.output,
    "Several roles are granted:\r\n" +
      "  1) arn:aws:iam::1:role/a\r\n" +
      "  2) arn:aws:iam::1:role/b\r\n" +
      "Choose 1-2: 9\r\n" +
      "Please enter a number from 1 to 2.\r\n" +
      "Choose 1-2: 2\r\n",
  );
  assert.equal(opens(), 1);
});

Deno.test("ttyPrompter().close() closes the device once, reader and writer apart", async () => {
  const same = new FakeTty(["a\r"]);
  const p1 = prompterOn(same).prompter;
  await p1.line("x: ");
  p1.close();
  p1.close();
  assert.equal(same.events.filter((e) => "close" in e).length, 1);

  const reader = new FakeTty(["b\r"]);
  const writer = new FakeTty([]);
  const p2 = ttyPrompter(() =>
    Promise.resolve({
      reader: reader as unknown as Deno.FsFile,
      writer: writer as unknown as Deno.FsFile,
    })
  );
  assert.equal(await p2.line("y: "), "b");
  assert.equal(writer.output, "y: b\r\n");
  assert.equal(reader.output, "");
  p2.close();
  assert.equal(reader.events.filter((e) => "close" in e).length, 1);
  assert.equal(writer.events.filter((e) => "close" in e).length, 1);
});

Deno.test("ttyPrompter().close() during a prompt gives the terminal its cooked mode back", async () => {
  const tty = new FakeTty(["typed"], true, Infinity, true);
  const { prompter } = prompterOn(tty);
  // Never settles: the reader waits for more input, as when a signal comes.
  void prompter.secret("Password: ");
  while (tty.reads < 2) await new Promise((r) => setTimeout(r, 1));
  assert.equal(tty.raw, true);
  prompter.close();
  assert.deepEqual(tty.events, [
    { raw: true },
    { write: "Password: " },
    { raw: false },
    { close: true },
  ]);
});

Deno.test("ttyPrompter().available() opens the terminal once and says whether there is one", async () => {
  const tty = new FakeTty([]);
  const { prompter, opens } = prompterOn(tty);
  assert.equal(await prompter.available(), true);
  assert.equal(await prompter.available(), true);
  assert.equal(opens(), 1);
  assert.deepEqual(tty.events, []);
  const none = ttyPrompter(() => Promise.reject(new Error("no tty")));
  assert.equal(await none.available(), false);
  assert.equal(
    await prompterOn(new FakeTty([], false)).prompter.available(),
    false,
  );
});

Deno.test("ttyPrompter() strips control characters from labels and messages", async () => {
  const tty = new FakeTty(["1\r"]);
  const { prompter } = prompterOn(tty);
  await prompter.say("Wrong code\x1b[2J\x07");
  assert.equal(await prompter.line("Code\x1b]0;x\x07: "), "1");
  assert.equal(tty.output, "Wrong code[2J\r\nCode]0;x: 1\r\n");
});
