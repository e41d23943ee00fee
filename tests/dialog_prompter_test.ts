/**
 * The dialog prompter: real zenity on a private Xvfb display (Linux), fake
 * osascript, PowerShell and kdialog scripts everywhere else, detection, and
 * what happens to dialog children when the program ends.
 */
import {
  CancelledError,
  InvalidAnswerError,
  NoTerminalError,
  TimeoutError,
} from "../lib/errors.ts";
import {
  detectDialogBackend,
  detectSystemDialogBackend,
  dialogBackend,
  type DialogPrompter,
  dialogPrompter,
  TOOL_NAME,
} from "../lib/prompt/dialog_prompter.ts";
import { launch, positional } from "../lib/prompt/dialog/backend.ts";
import { kdialogBackend } from "../lib/prompt/dialog/kdialog.ts";
import { osascriptBackend } from "../lib/prompt/dialog/osascript.ts";
import {
  CANCEL_EXIT,
  powershellBackend,
} from "../lib/prompt/dialog/powershell.ts";
import {
  decodeCommand,
  encodeCommand,
  psString,
} from "../lib/process/powershell.ts";
import {
  zenityBackend,
  zenityLabelText,
  zenityMarkupText,
} from "../lib/prompt/dialog/zenity.ts";
import {
  descendants,
  desktopSkipReason,
  fakePrograms,
  hasProgram,
  processes,
  processGone,
  startDesktop,
  waitForProcessGone,
} from "./support/desktop.ts";
import {
  assert,
  assertEquals,
  assertFalse,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "./support/asserts.ts";

/** Marks a promise as handled now; awaiting it later still throws. */
function later<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

const USER = "alice@example.com";
const HOST = "example.okta.com";
const TITLE = `${TOOL_NAME}: ${USER} at ${HOST}`;
const SECRET = 'S3cr3t pass "quoted" \\back_slash';

/** Fails if `secret` is in the argv of any process on the machine. */
function assertNotInAnyArgv(secret: string): void {
  for (const p of processes()) {
    assertFalse(
      p.argv.join(" ").includes(secret),
      `the secret is in the argv of ${p.pid} (${p.comm})`,
    );
  }
}

function argvOf(prompter: DialogPrompter): string[] {
  const pids = prompter.openDialogs();
  assertEquals(pids.length, 1, "one dialog is open");
  const found = processes().find((p) => p.pid === pids[0]);
  assert(found, "the dialog process is alive");
  return found.argv;
}

function leftover(comm: string): number[] {
  return descendants().filter((p) => p.comm === comm).map((p) => p.pid);
}

// ---------------------------------------------------------------- zenity

const skipDesktop = desktopSkipReason();

Deno.test({
  name: `zenity dialogs on Xvfb${
    skipDesktop ? ` (skipped: ${skipDesktop})` : ""
  }`,
  ignore: skipDesktop !== undefined,
  async fn(t) {
    const desktop = await startDesktop();
    const backend = zenityBackend({
      program: "zenity",
      parentDeathSignal: hasProgram("setpriv"),
    });
    const prompter = dialogPrompter({
      backend,
      username: USER,
      host: HOST,
      env: desktop.env,
    });
    try {
      await t.step(
        "password: hidden entry, the typed text comes back",
        async () => {
          const answer = later(prompter.secret("Password: "));
          const id = await desktop.waitForWindow(TITLE);
          const argv = argvOf(prompter);
          assertEquals(
            argv.find((a) => a.startsWith("--title=")),
            `--title=${TITLE}`,
          );
          assert(argv.includes("--hide-text"), "the entry is hidden");
          const text = argv.find((a) => a.startsWith("--text="))!;
          assertStringIncludes(text, `${USER} at ${HOST}`);
          assertStringIncludes(text, "Password:");
          await desktop.type(id, SECRET);
          assertNotInAnyArgv(SECRET);
          await desktop.key(id, "Return");
          assertEquals(await answer, SECRET);
          await desktop.waitForNoWindow(TITLE);
        },
      );

      await t.step("code: visible entry, never called a password", async () => {
        await prompter.say("Wrong code, try again.");
        const answer = later(prompter.line("Okta Verify code: "));
        const id = await desktop.waitForWindow(TITLE);
        const argv = argvOf(prompter);
        assertFalse(argv.includes("--hide-text"), "codes are shown as typed");
        const text = argv.find((a) => a.startsWith("--text="))!;
        assertStringIncludes(text, "Okta Verify code:");
        assertStringIncludes(text, "Wrong code, try again.");
        assertFalse(
          /password/i.test(text),
          "a code dialog never says password",
        );
        await desktop.type(id, "123456");
        await desktop.key(id, "Return");
        assertEquals(await answer, "123456");
        await desktop.waitForNoWindow(TITLE);
      });

      await t.step("said lines are shown once", async () => {
        const answer = later(prompter.line("Code: "));
        const id = await desktop.waitForWindow(TITLE);
        const text = argvOf(prompter).find((a) => a.startsWith("--text="))!;
        assertFalse(text.includes("Wrong code"), "the old line is gone");
        await desktop.type(id, "42");
        await desktop.key(id, "Return");
        assertEquals(await answer, "42");
        await desktop.waitForNoWindow(TITLE);
      });

      const roles = [
        "arn:aws:iam::123456789012:role/dev",
        "-arn:aws:iam::123456789012:role/prod",
        "arn:aws:iam::123456789012:role/admin",
      ];

      await t.step(
        "menu: Enter on the selected first row gives 0",
        async () => {
          const answer = later(prompter.choose("Choose a role:", roles));
          const id = await desktop.waitForWindow(TITLE);
          const argv = argvOf(prompter);
          assert(argv.includes("--list"));
          assertFalse(argv.includes("--radiolist"));
          assert(
            argv.includes(positional(roles[1])),
            "a leading - is made safe",
          );
          await desktop.key(id, "Home", "Return");
          assertEquals(await answer, 0);
          await desktop.waitForNoWindow(TITLE);
        },
      );

      await t.step("menu: a later row", async () => {
        const answer = later(prompter.choose("Choose a role:", roles));
        const id = await desktop.waitForWindow(TITLE);
        await desktop.key(id, "Home", "Down", "Down", "Return");
        assertEquals(await answer, 2);
        await desktop.waitForNoWindow(TITLE);
        const again = later(prompter.choose("Choose a role:", roles));
        const id2 = await desktop.waitForWindow(TITLE);
        await desktop.key(id2, "Home", "Down", "Return");
        assertEquals(await again, 1);
        await desktop.waitForNoWindow(TITLE);
      });

      await t.step(
        "notice: opened, closed by the returned function, gone",
        async () => {
          const close = await prompter.notice(
            "Okta Verify: tap 42 on your device",
          );
          await desktop.waitForWindow(TITLE);
          const pids = prompter.openDialogs();
          assertEquals(pids.length, 1);
          const argv = processes().find((p) => p.pid === pids[0])!.argv;
          assert(argv.includes("--info"));
          assert(argv.some((a) => a.includes("tap 42")));
          close();
          close(); // harmless twice
          await desktop.waitForNoWindow(TITLE);
          await prompter.idle();
          assert(processGone(pids[0]));
          assertEquals(leftover("zenity"), []);
        },
      );

      await t.step(
        "Escape cancels with a one-line CancelledError",
        async () => {
          const answer = later(prompter.secret("Password: "));
          const id = await desktop.waitForWindow(TITLE);
          await desktop.cancel(id);
          const error = await assertRejects(() => answer, CancelledError);
          assertEquals(
            error.message,
            "Cancelled: the password dialog was closed",
          );
          assertFalse(error.message.includes("\n"));
          await desktop.waitForNoWindow(TITLE);
        },
      );

      await t.step("close() ends an open question", async () => {
        const answer = later(prompter.line("Verification code: "));
        await desktop.waitForWindow(TITLE);
        const pid = prompter.openDialogs()[0];
        prompter.close();
        const error = await assertRejects(() => answer, CancelledError);
        assertMatch(error.message, /cancelled/i);
        await waitForProcessGone(pid);
        await desktop.waitForNoWindow(TITLE);
      });

      await t.step("an unanswered dialog times out", async () => {
        const quick = dialogPrompter({
          backend,
          username: USER,
          host: HOST,
          env: desktop.env,
          timeoutMs: 1500,
        });
        const answer = later(quick.line("Code: "));
        await desktop.waitForWindow(TITLE);
        const error = await assertRejects(() => answer, TimeoutError);
        assertMatch(
          error.message,
          /^Timed out: the code dialog was not answered within 1\.5 s$/,
        );
        await quick.idle();
        await desktop.waitForNoWindow(TITLE);
      });

      await t.step("no display: NoTerminalError, not a cancel", async () => {
        const nowhere = dialogPrompter({
          backend,
          username: USER,
          host: HOST,
          env: { ...desktop.env, DISPLAY: ":999", WAYLAND_DISPLAY: "" },
        });
        const error = await assertRejects(
          () => nowhere.secret("Password: "),
          NoTerminalError,
        );
        assertMatch(
          error.message,
          /^Cannot ask for password: the zenity dialog could not be shown/,
        );
      });
    } finally {
      prompter.close();
      await prompter.idle();
      await desktop.stop();
    }
    assertEquals(leftover("zenity"), [], "no zenity outlives the tests");
  },
});

const screenshotPath = Deno.env.get("AWSPROCESSCREDS_SCREENSHOT");

Deno.test({
  name:
    "screenshot of the password dialog (set AWSPROCESSCREDS_SCREENSHOT=docs/password-dialog.png)",
  ignore: skipDesktop !== undefined || !screenshotPath || !hasProgram("import"),
  async fn() {
    const desktop = await startDesktop({ windowManager: true });
    const prompter = dialogPrompter({
      backend: zenityBackend(),
      username: USER,
      host: HOST,
      env: desktop.env,
    });
    try {
      const answer = later(prompter.secret("Password: "));
      const id = await desktop.waitForWindow(TITLE);
      await desktop.type(id, "correct horse");
      await new Promise((r) => setTimeout(r, 300));
      await desktop.screenshot(screenshotPath!, true);
      await desktop.key(id, "Return");
      assertEquals(await answer, "correct horse");
    } finally {
      prompter.close();
      await prompter.idle();
      await desktop.stop();
    }
  },
});

// ---------------------------------------------------------------- escaping

Deno.test("zenity text escaping", () => {
  assertEquals(zenityLabelText("DOM\\a_b"), "DOM\\\\a__b");
  assertEquals(zenityMarkupText("a<b>&\\n"), "a&lt;b&gt;&amp;\\\\n");
});

Deno.test("PowerShell literals and -EncodedCommand", () => {
  assertEquals(psString("it's"), "'it''s'");
  assertEquals(psString("a\u2019b"), "'a\u2019\u2019b'");
  assertEquals(psString("x\0y"), "'xy'");
  const script = "Write-Output 'é ✓'";
  assertEquals(decodeCommand(encodeCommand(script)), script);
  // UTF-16LE: "A" is 41 00.
  assertEquals(encodeCommand("A"), btoa("A\0"));
});

// ---------------------------------------------------------------- detection

Deno.test("detectDialogBackend: os, environment and programs", () => {
  const has = (...names: string[]) => (p: string) => names.includes(p);
  const x11 = { DISPLAY: ":0" };
  assertEquals(
    detectDialogBackend("linux", x11, has("zenity", "kdialog", "setpriv")),
    {
      kind: "zenity",
      program: "zenity",
      parentDeathSignal: true,
    },
  );
  assertEquals(
    detectDialogBackend("linux", x11, has("zenity"))?.parentDeathSignal,
    false,
  );
  assertEquals(
    detectDialogBackend("linux", x11, has("kdialog"))?.kind,
    "kdialog",
  );
  assertEquals(
    detectDialogBackend(
      "linux",
      { WAYLAND_DISPLAY: "wayland-0" },
      has("zenity"),
    )?.kind,
    "zenity",
  );
  assertEquals(detectDialogBackend("linux", {}, has("zenity")), undefined);
  assertEquals(
    detectDialogBackend("linux", { DISPLAY: "" }, has("zenity")),
    undefined,
  );
  assertEquals(detectDialogBackend("linux", x11, has()), undefined);
  // X forwarding over SSH is a desktop.
  assertEquals(
    detectDialogBackend(
      "linux",
      { ...x11, SSH_CONNECTION: "1 2 3 4" },
      has("zenity"),
    )?.kind,
    "zenity",
  );
  assertEquals(detectDialogBackend("freebsd", x11, has("zenity", "setpriv")), {
    kind: "zenity",
    program: "zenity",
    parentDeathSignal: false,
  });
  assertEquals(
    detectDialogBackend("darwin", {}, has("osascript"))?.kind,
    "osascript",
  );
  assertEquals(detectDialogBackend("darwin", {}, has()), undefined);
  assertEquals(
    detectDialogBackend(
      "darwin",
      { SSH_CONNECTION: "1 2 3 4" },
      has("osascript"),
    ),
    undefined,
  );
  assertEquals(
    detectDialogBackend("windows", {}, has("powershell.exe", "pwsh"))?.program,
    "powershell.exe",
  );
  assertEquals(
    detectDialogBackend("windows", {}, has("pwsh"))?.program,
    "pwsh",
  );
  assertEquals(
    detectDialogBackend("windows", { SSH_CLIENT: "x" }, has("powershell.exe")),
    undefined,
  );
  assertEquals(detectDialogBackend("windows", {}, has()), undefined);
  assertEquals(detectDialogBackend("android", x11, has("zenity")), undefined);
});

Deno.test("osascript dialogs give up on their own", () => {
  const backend = osascriptBackend({ program: "osascript" }, 60);
  const secret = backend.secret({ title: TITLE, text: "Password:" });
  assert(secret.args.some((a) => a.includes("giving up after 60")));
  assert(secret.args.some((a) => a.includes("if gave up of answer")));
  const notice = backend.notice({ title: TITLE, text: "tap 42" });
  assert(notice.args.some((a) => a.includes("giving up after 60")));
  assertEquals(notice.background, true);
  // Text is passed as arguments, never spliced into the script.
  assertEquals(secret.args.slice(-2), [TITLE, "Password:"]);
});

Deno.test({
  name: `detectSystemDialogBackend reads PATH${
    Deno.build.os !== "linux" ? " (skipped: Linux only)" : ""
  }`,
  ignore: Deno.build.os !== "linux",
  async fn() {
    const fake = await fakePrograms(["kdialog", "setpriv"]);
    try {
      const env = { DISPLAY: ":5", PATH: fake.dir };
      assertEquals(detectSystemDialogBackend(env), {
        kind: "kdialog",
        program: "kdialog",
        parentDeathSignal: true,
      });
      assertEquals(detectSystemDialogBackend({ PATH: fake.dir }), undefined);
      assertEquals(
        detectSystemDialogBackend({ DISPLAY: ":5", PATH: "/nonexistent" }),
        undefined,
      );
    } finally {
      await fake.remove();
    }
  },
});

Deno.test("setpriv wrapping", () => {
  assertEquals(
    launch({ program: "zenity", parentDeathSignal: false }, ["--entry"]),
    {
      program: "zenity",
      args: ["--entry"],
    },
  );
  assertEquals(
    launch({ program: "zenity", parentDeathSignal: true }, ["--entry"]),
    {
      program: "setpriv",
      args: ["--pdeathsig", "KILL", "--", "zenity", "--entry"],
    },
  );
});

// ---------------------------------------------------------------- fakes

const skipFakes = Deno.build.os === "windows"
  ? "fake programs are sh scripts"
  : undefined;

Deno.test({
  name: `osascript through a fake${
    skipFakes ? ` (skipped: ${skipFakes})` : ""
  }`,
  ignore: skipFakes !== undefined,
  async fn() {
    const fake = await fakePrograms(["osascript"]);
    const prompter = dialogPrompter({
      backend: dialogBackend({
        kind: "osascript",
        program: "osascript",
        parentDeathSignal: false,
      }),
      username: USER,
      host: HOST,
      env: fake.env,
    });
    try {
      await fake.reply({ stdout: `${SECRET}\n`, stderr: "osascript noise\n" });
      assertEquals(await prompter.secret("Password: "), SECRET);
      await fake.reply({ stdout: "654321\n" });
      assertEquals(await prompter.line("Okta Verify code: "), "654321");
      await fake.reply({ stdout: "2. arn:b\n" });
      assertEquals(
        await prompter.choose("Choose a role:", ["arn:a", "arn:b", "arn:c"]),
        1,
      );
      await fake.reply({
        code: 1,
        stderr: "0:200: execution error: User canceled. (-128)\n",
      });
      const cancelled = await assertRejects(
        () => prompter.secret("Password: "),
        CancelledError,
      );
      assertEquals(
        cancelled.message,
        "Cancelled: the password dialog was closed",
      );
      await fake.reply({
        code: 1,
        stderr:
          "0:200: execution error: No user interaction allowed. (-1713)\n",
      });
      const failed = await assertRejects(
        () => prompter.line("Code: "),
        NoTerminalError,
      );
      assertStringIncludes(failed.message, "-1713");
      await fake.reply({ block: true });
      const close = await prompter.notice("Okta Verify: tap 42");
      const shown = await fake.waitForCall(6);
      assertFalse(processGone(shown.pid));
      close();
      await waitForProcessGone(shown.pid);
      await prompter.idle();

      const calls = await fake.calls();
      assertEquals(calls.length, 6);
      const scriptLines = (argv: string[]) =>
        argv.filter((_, i) => i % 2 === 1 && argv[i - 1] === "-e");
      for (const call of calls) {
        assertFalse(call.argv.join(" ").includes(SECRET), "no secret in argv");
        assertEquals(call.stdin, "", "no prompt text on stdin");
        const after = call.argv.slice(2 * scriptLines(call.argv).length);
        assertEquals(after[0], TITLE, "the title names tool, user and host");
      }
      const script = (n: number) => scriptLines(calls[n].argv).join("\n");
      assertStringIncludes(script(0), "with hidden answer");
      assertFalse(
        script(1).includes("hidden answer"),
        "codes are shown as typed",
      );
      assertFalse(calls[1].argv.join(" ").toLowerCase().includes("password"));
      assertStringIncludes(script(2), "choose from list");
      assertEquals(calls[2].argv.slice(-3), [
        "1. arn:a",
        "2. arn:b",
        "3. arn:c",
      ]);
      assertStringIncludes(script(5), 'buttons {"OK"}');
    } finally {
      prompter.close();
      await prompter.idle();
      await fake.remove();
    }
  },
});

Deno.test({
  name: `PowerShell through a fake${
    skipFakes ? ` (skipped: ${skipFakes})` : ""
  }`,
  ignore: skipFakes !== undefined,
  async fn() {
    const fake = await fakePrograms(["powershell.exe"]);
    const prompter = dialogPrompter({
      backend: powershellBackend({ program: "powershell.exe" }, 4242),
      username: USER,
      host: HOST,
      env: fake.env,
    });
    try {
      await fake.reply({ stdout: SECRET });
      assertEquals(await prompter.secret("Password: "), SECRET);
      await fake.reply({ stdout: "111222" });
      assertEquals(await prompter.line("Okta Verify code: "), "111222");
      await fake.reply({ stdout: "2" });
      assertEquals(
        await prompter.choose("Choose a role:", ["a", "b's", "c"]),
        2,
      );
      await fake.reply({ code: CANCEL_EXIT });
      await assertRejects(
        () => prompter.line("Code: "),
        CancelledError,
        "Cancelled: the code dialog was closed",
      );
      await fake.reply({ code: 1, stderr: "Add-Type : cannot load\n" });
      const failed = await assertRejects(
        () => prompter.secret("Password: "),
        NoTerminalError,
      );
      assertStringIncludes(
        failed.message,
        "powershell.exe exited with status 1 (Add-Type : cannot load)",
      );
      await fake.reply({ block: true });
      const close = await prompter.notice("Okta Verify: tap 42");
      const shown = await fake.waitForCall(6);
      close();
      await waitForProcessGone(shown.pid);
      await prompter.idle();

      const calls = await fake.calls();
      const scripts = calls.map((call) => {
        assertEquals(call.argv.slice(0, 5), [
          "-NoLogo",
          "-NoProfile",
          "-NonInteractive",
          "-ExecutionPolicy",
          "Bypass",
        ]);
        assertEquals(call.argv.at(-2), "-EncodedCommand");
        assertFalse(call.argv.join(" ").includes(SECRET));
        assertEquals(call.stdin, "");
        const script = decodeCommand(call.argv.at(-1)!);
        assertFalse(script.includes(SECRET), "no secret in the script");
        assertStringIncludes(script, `$title = '${TITLE}'`);
        assertStringIncludes(script, "$parentId = 4242");
        return script;
      });
      assertStringIncludes(scripts[0], "$entry.UseSystemPasswordChar = $true");
      assertStringIncludes(scripts[1], "$entry.UseSystemPasswordChar = $false");
      assertFalse(
        /password/i.test(
          scripts[1].split("\n").find((l) => l.startsWith("$text"))!,
        ),
      );
      assertStringIncludes(scripts[2], "$rows = @('a', 'b''s', 'c')");
      assertStringIncludes(scripts[5], "$form.CancelButton = $ok");
      assertFalse(/Read-Host|Get-Credential/.test(scripts.join("\n")));

      // A menu too long for the command line: a bootstrap, the script on stdin.
      const many = Array.from(
        { length: 400 },
        (_, i) => `arn:aws:iam::123456789012:role/role-number-${i}`,
      );
      await fake.reply({ stdout: "399" });
      assertEquals(await prompter.choose("Choose a role:", many), 399);
      const last = (await fake.calls()).at(-1)!;
      assertStringIncludes(
        decodeCommand(last.argv.at(-1)!),
        "Invoke-Expression",
      );
      assertStringIncludes(last.stdin, "role-number-399");
    } finally {
      prompter.close();
      await prompter.idle();
      await fake.remove();
    }
  },
});

Deno.test({
  name: `kdialog through a fake${skipFakes ? ` (skipped: ${skipFakes})` : ""}`,
  ignore: skipFakes !== undefined,
  async fn() {
    const fake = await fakePrograms(["kdialog"]);
    const prompter = dialogPrompter({
      backend: kdialogBackend(),
      username: USER,
      host: HOST,
      env: fake.env,
    });
    try {
      await fake.reply({ stdout: `${SECRET}\n` });
      assertEquals(await prompter.secret("Password: "), SECRET);
      await fake.reply({ stdout: "3\n" });
      assertEquals(await prompter.choose("Choose:", ["a", "b", "c"]), 2);
      await fake.reply({ code: 1 });
      await assertRejects(() => prompter.line("Code: "), CancelledError);
      const calls = await fake.calls();
      assertEquals(calls[0].argv.slice(0, 3), ["--title", TITLE, "--password"]);
      assertEquals(calls[1].argv.slice(2), [
        "--menu",
        `${USER} at ${HOST}\nChoose:`,
        "1",
        "a",
        "2",
        "b",
        "3",
        "c",
      ]);
      assertEquals(calls[2].argv[2], "--inputbox");
    } finally {
      await fake.remove();
    }
  },
});

Deno.test({
  name: `menus: OK with no row asks again, then gives up${
    skipFakes ? ` (skipped: ${skipFakes})` : ""
  }`,
  ignore: skipFakes !== undefined,
  async fn() {
    const fake = await fakePrograms(["zenity"]);
    const prompter = dialogPrompter({
      backend: zenityBackend(),
      username: USER,
      host: HOST,
      env: fake.env,
    });
    try {
      await fake.reply({ stdout: "\n" });
      await fake.reply({ stdout: "2\n" });
      assertEquals(await prompter.choose("Choose a role:", ["a", "b"]), 1);
      for (let i = 0; i < 3; i++) await fake.reply({ stdout: "\n" });
      await assertRejects(
        () => prompter.choose("Choose a role:", ["a", "b"]),
        InvalidAnswerError,
        "Cannot choose: no row was selected after 3 tries",
      );
      await assertRejects(
        () => prompter.choose("Choose a role:", []),
        InvalidAnswerError,
      );
      const calls = await fake.calls();
      assertStringIncludes(
        calls[1].argv.find((a) => a.startsWith("--text="))!,
        "Select a row",
      );
      for (const call of calls) {
        assertEquals(
          call.argv.find((a) => a.startsWith("--title=")),
          `--title=${TITLE}`,
        );
      }
    } finally {
      await fake.remove();
    }
  },
});

// ---------------------------------------------------------------- exit

const EXIT_SCRIPT = `
import { dialogPrompter } from "${
  new URL("../lib/prompt/dialog_prompter.ts", import.meta.url).href
}";
import { zenityBackend } from "${
  new URL("../lib/prompt/dialog/zenity.ts", import.meta.url).href
}";
const [mode, deathSignal] = Deno.args;
const prompter = dialogPrompter({
  backend: zenityBackend({ program: "zenity", parentDeathSignal: deathSignal === "1" }),
  username: "alice",
  host: "example.okta.com",
});
const pending = prompter.secret("Password: ").catch(() => {});
const close = await prompter.notice("tap 42");
void close;
const dir = Deno.env.get("FAKE_DIR");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
while (prompter.openDialogs().length < 2) await sleep(20);
// The test says go once both dialogs have recorded themselves.
while (!(await Deno.stat(dir + "/go").catch(() => null))) await sleep(20);
if (mode === "exit") Deno.exit(0);
await pending;
await sleep(60_000);
`;

async function dialogsAfterExit(
  mode: "exit" | "SIGTERM" | "SIGKILL",
  deathSignal: boolean,
) {
  const fake = await fakePrograms(["zenity"]);
  const script = `${fake.dir}/exit_test.ts`;
  await Deno.writeTextFile(script, EXIT_SCRIPT);
  try {
    await fake.reply({ block: true, stderr: "zenity noise\n" });
    await fake.reply({ block: true });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-check",
        "--no-lock",
        script,
        mode === "exit" ? "exit" : "wait",
        deathSignal ? "1" : "0",
      ],
      env: fake.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    const first = await fake.waitForCall(1, 30_000);
    const second = await fake.waitForCall(2, 30_000);
    assertFalse(processGone(first.pid));
    assertFalse(processGone(second.pid));
    await Deno.writeTextFile(`${fake.env.FAKE_DIR}/go`, "");
    if (mode !== "exit") child.kill(mode);
    const out = await output;
    assertEquals(out.signal, mode === "exit" ? null : mode);
    await waitForProcessGone(first.pid, 5_000);
    await waitForProcessGone(second.pid, 5_000);
    return new TextDecoder().decode(out.stderr);
  } finally {
    await fake.remove();
  }
}

const skipExit = Deno.build.os !== "linux" ? "needs Linux /proc" : undefined;

Deno.test({
  name: `dialog children end when the program exits${
    skipExit ? ` (skipped: ${skipExit})` : ""
  }`,
  ignore: skipExit !== undefined,
  async fn() {
    const stderr = await dialogsAfterExit("exit", false);
    assertFalse(
      stderr.includes("zenity noise"),
      "a dialog's stderr never reaches ours",
    );
  },
});

Deno.test({
  name: `dialog children end when the program gets SIGTERM${
    skipExit ? ` (skipped: ${skipExit})` : ""
  }`,
  ignore: skipExit !== undefined,
  async fn() {
    await dialogsAfterExit("SIGTERM", false);
  },
});

Deno.test({
  name: `dialog children end when the program is SIGKILLed (setpriv)${
    skipExit
      ? ` (skipped: ${skipExit})`
      : !hasProgram("setpriv")
      ? " (skipped: no setpriv)"
      : ""
  }`,
  ignore: skipExit !== undefined || !hasProgram("setpriv"),
  async fn() {
    await dialogsAfterExit("SIGKILL", true);
  },
});
