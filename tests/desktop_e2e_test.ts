/**
 * The whole program (main.ts) asking through desktop dialogs, run as the AWS
 * CLI runs a credential_process: stdin not a terminal, stdout and stderr
 * captured, no controlling terminal (setsid), with DISPLAY pointing at a
 * private Xvfb, against the Okta and STS emulators. xdotool plays the person
 * at the screen.
 *
 * Every run is watched: the program's descendants are sampled from /proc
 * while it runs (no password or code may appear in any argv), and after it
 * ends no zenity of this display may be left.
 */
import { TOOL_NAME } from "../lib/prompt/dialog_prompter.ts";
import { OKTA_CORRECT_ANSWER } from "./emulators/okta.ts";
import {
  ACCOUNT,
  PASSWORD,
  ROLE_ADMIN,
  ROLE_DEV,
  TOTP_CODE,
} from "./emulators/fixtures.ts";
import {
  type CliResult,
  E2E_SUPPORTED,
  mainTs,
  parseCredentials,
} from "./support/cli.ts";
import {
  type Desktop,
  desktopSkipReason,
  processEnvironment,
  processes,
  processesOnDisplay,
  type ProcessSighting,
  secretsInArgv,
  startDesktop,
  waitForNewDialog,
  watchProcesses,
  windowTitle,
} from "./support/desktop.ts";
import { type Stack, startStack } from "./support/stack.ts";
import { assert, assertEquals, assertMatch } from "./support/asserts.ts";

const HOST = "127.0.0.1";
const titleOf = (user: string) => `${TOOL_NAME}: ${user} at ${HOST}`;
/** The start of the message a run with no way to ask fails with. */
const NO_TERMINAL =
  /^awsprocesscreds-saml: Cannot ask for password: no terminal is available/;
/** A prompt that cannot be shown must fail well before this. */
const FAST_MS = 15_000;

const skip = E2E_SUPPORTED
  ? desktopSkipReason()
  : "needs Linux with setsid and python3";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A run in progress, its processes watched. */
interface Watched {
  result: Promise<CliResult>;
  /** Whether the program has ended. */
  done(): boolean;
  /** Waits for the end; returns the result and every process seen. */
  finish(): Promise<{ result: CliResult; seen: ProcessSighting[] }>;
}

/** Runs not yet finished, finished by the test's `finally` if a step failed. */
const unfinished = new Set<Watched>();

function watched(start: () => Promise<CliResult>): Watched {
  const watch = watchProcesses(mainTs);
  let ended = false;
  const result = start().finally(() => {
    ended = true;
  });
  const run: Watched = {
    result,
    done: () => ended,
    async finish() {
      unfinished.delete(run);
      const settled = await result.then(
        (value) => ({ value }),
        (error) => ({ error }),
      );
      const seen = await watch.stop();
      if ("error" in settled) throw settled.error;
      return { result: settled.value, seen };
    },
  };
  unfinished.add(run);
  return run;
}

async function finishAll(): Promise<void> {
  for (const run of [...unfinished]) await run.finish().catch(() => {});
}

/** Waits until no zenity shows on this display. */
async function noZenity(desktop: Desktop, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (processesOnDisplay("zenity", desktop.display).length) {
    if (Date.now() > deadline) {
      assertEquals(
        processesOnDisplay("zenity", desktop.display).map((p) => p.argv),
        [],
        "a zenity is still running",
      );
    }
    await sleep(50);
  }
}

/**
 * No secret in the argv of the program or anything it started. The AWS
 * account id of the fixtures' role ARNs (123456789012) contains TOTP_CODE, so
 * it is blanked out first: role ARNs are public arguments, not codes.
 */
function assertNoSecretInArgv(seen: ProcessSighting[], secrets: string[]) {
  assert(seen.some((p) => p.root), "the program was seen running");
  assertEquals(secretsInArgv(seen, secrets, [ACCOUNT]), [], "secrets in argv");
}

/** The zenity command lines the program started, one per process, in order. */
function zenitys(seen: ProcessSighting[]): string[][] {
  const byPid = new Map<number, string[]>();
  for (const p of seen) {
    // A process read mid-exec can show twice: keep its fullest command line.
    if (p.comm !== "zenity") continue;
    const known = byPid.get(p.pid);
    if (!known || p.argv.length > known.length) byPid.set(p.pid, p.argv);
  }
  return [...byPid.values()];
}

function arg(argv: string[], name: string): string | undefined {
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/**
 * Live processes whose environment names this desktop's display, apart from
 * the test's own xdotool calls: what a run left behind on the screen.
 */
function onDisplay(desktop: Desktop): ReturnType<typeof processes> {
  return processes().filter((p) =>
    p.comm !== "xdotool" &&
    processEnvironment(p.pid)?.DISPLAY === desktop.display
  );
}

/** Ends what a failed step left: its dialogs, then its run. */
async function cleanUp(desktop: Desktop): Promise<void> {
  for (const p of processesOnDisplay("zenity", desktop.display)) {
    try {
      Deno.kill(p.pid, "SIGTERM");
    } catch {
      // Ended.
    }
  }
  await finishAll();
}

/** After the program ended: no zenity of this display and no window left. */
async function assertNothingLeft(desktop: Desktop): Promise<void> {
  // The kill at exit is asynchronous: allow a moment for it to land.
  await noZenity(desktop, 1_500);
  assertEquals(await desktop.windows(TOOL_NAME), [], "a window is left");
}

function assertCredentials(result: CliResult, stack: Stack, role: string) {
  assertEquals(result.code, 0, result.stderr);
  const creds = parseCredentials(result.stdout);
  const issued = stack.sts.issued.at(-1)!;
  assertEquals(creds.AccessKeyId, issued.accessKeyId);
  assertEquals(issued.roleArn, role);
  assertEquals(stack.sts.calls.at(-1)?.roleArn, role);
}

function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  assertEquals(lines.length, 1, `stderr is not one line: ${stderr}`);
  return lines[0];
}

async function freshCache(stack: Stack): Promise<void> {
  await Deno.remove(stack.cacheDir, { recursive: true }).catch(() => {});
}

Deno.test({
  name: `main.ts asks through zenity when there is no terminal${
    skip ? ` (skipped: ${skip})` : ""
  }`,
  ignore: skip !== undefined,
  async fn(t) {
    const desktop = await startDesktop();
    const stack = await startStack();
    const alice = "alice@example.com";
    const aliceArgs = [...stack.oktaArgs(alice), "-a", ROLE_DEV];
    const guiEnv = desktop.env;
    /** A step that ends whatever it left running, pass or fail. */
    const step = (name: string, fn: () => Promise<void>, ignore = false) =>
      t.step({
        name,
        ignore,
        async fn() {
          await freshCache(stack);
          try {
            await fn();
          } finally {
            await cleanUp(desktop);
          }
        },
      });
    try {
      await step(
        "password: a titled hidden entry; the typed password logs in",
        async () => {
          const run = watched(() =>
            stack.run(aliceArgs, { env: guiEnv, timeout: 30 })
          );
          const { id } = await waitForNewDialog(
            desktop,
            titleOf(alice),
            new Set(),
          );
          const title = await windowTitle(desktop, id);
          assertEquals(title, titleOf(alice));
          for (const part of [TOOL_NAME, alice, HOST]) {
            assert(title.includes(part), `the title names ${part}`);
          }
          await desktop.type(id, PASSWORD);
          await desktop.key(id, "Return");
          const { result, seen } = await run.finish();
          assertCredentials(result, stack, ROLE_DEV);
          assertEquals(result.stderr, "", "nothing on stderr");
          const [dialog, ...more] = zenitys(seen);
          assertEquals(more, [], "one dialog only");
          assert(dialog.includes("--entry") && dialog.includes("--hide-text"));
          assertEquals(arg(dialog, "title"), titleOf(alice));
          assertMatch(arg(dialog, "text")!, /password/i);
          assertNoSecretInArgv(seen, [PASSWORD]);
          await assertNothingLeft(desktop);
        },
      );

      await step("TOTP: a code dialog that does not say password", async () => {
        const user = "totp@example.com";
        const run = watched(() =>
          stack.run([...stack.oktaArgs(user), "-a", ROLE_DEV], {
            env: guiEnv,
            timeout: 30,
          })
        );
        const shown = new Set<number>();
        const password = await waitForNewDialog(desktop, titleOf(user), shown);
        await desktop.type(password.id, PASSWORD);
        await desktop.key(password.id, "Return");
        const code = await waitForNewDialog(desktop, titleOf(user), shown);
        await desktop.type(code.id, TOTP_CODE);
        await desktop.key(code.id, "Return");
        const { result, seen } = await run.finish();
        assertCredentials(result, stack, ROLE_DEV);
        const dialogs = zenitys(seen);
        assertEquals(dialogs.length, 2, "a password and a code dialog");
        assertEquals(arg(dialogs[1], "title"), titleOf(user));
        const text = arg(dialogs[1], "text")!;
        assertMatch(text, /code|passcode|verification/i);
        assert(!/password/i.test(text), `the code dialog says: ${text}`);
        assertNoSecretInArgv(seen, [PASSWORD, TOTP_CODE]);
        await assertNothingLeft(desktop);
      });

      await step(
        "push number: shown in a window while the push waits, closed when it ends",
        async () => {
          // STS answers slowly, so the end of the push and the end of the
          // program are seconds apart.
          const slow = await startStack({ sts: { delayMs: 2_500 } });
          try {
            const user = "push-number@example.com";
            const run = watched(() =>
              slow.run(
                [...slow.oktaArgs(user), "-a", ROLE_DEV, "--mfa", "push"],
                { env: guiEnv, timeout: 30 },
              )
            );
            const shown = new Set<number>();
            const password = await waitForNewDialog(
              desktop,
              titleOf(user),
              shown,
            );
            await desktop.type(password.id, PASSWORD);
            await desktop.key(password.id, "Return");
            const notice = await waitForNewDialog(
              desktop,
              titleOf(user),
              shown,
            );
            const argv = processesOnDisplay("zenity", desktop.display)
              .find((p) => p.pid === notice.pid)?.argv ?? [];
            assert(argv.includes("--info"), argv.join(" "));
            assert(
              argv.some((a) => a.includes(String(OKTA_CORRECT_ANSWER))),
              "the window shows the number",
            );
            // Approved after a few polls: the window goes while the program
            // still waits for STS.
            await desktop.waitForNoWindow(titleOf(user), 20_000);
            assert(
              !run.done(),
              "the notice closed only when the program ended",
            );
            await noZenity(desktop, 1_000);
            assert(!run.done(), "the notice ended only with the program");
            const { result, seen } = await run.finish();
            assertCredentials(result, slow, ROLE_DEV);
            assertEquals(result.stderr, "");
            assertEquals(slow.okta.authnCount(), 1);
            const dialogs = zenitys(seen);
            assertEquals(
              dialogs.length,
              2,
              `a password dialog, a notice: ${JSON.stringify(dialogs)}`,
            );
            assertNoSecretInArgv(seen, [PASSWORD]);
            await assertNothingLeft(desktop);
          } finally {
            await cleanUp(desktop);
            await slow.close();
          }
        },
      );

      await step(
        "role menu: a plain list; the second row is assumed",
        async () => {
          const run = watched(() =>
            stack.run(stack.oktaArgs(alice), { env: guiEnv, timeout: 30 })
          );
          const shown = new Set<number>();
          const password = await waitForNewDialog(
            desktop,
            titleOf(alice),
            shown,
          );
          await desktop.type(password.id, PASSWORD);
          await desktop.key(password.id, "Return");
          const menu = await waitForNewDialog(desktop, titleOf(alice), shown);
          // The list starts with no row selected: Home selects the first, Down
          // the second, Enter takes it.
          await desktop.key(menu.id, "Home", "Down", "Return");
          const { result, seen } = await run.finish();
          const list = zenitys(seen).find((argv) => argv.includes("--list"));
          assert(list, "a zenity --list was shown");
          assert(
            !list.includes("--radiolist") && !list.includes("--checklist"),
          );
          const rows = list.filter((a) => a.startsWith("arn:aws:iam::"));
          assertEquals([...rows].sort(), [ROLE_ADMIN, ROLE_DEV].sort());
          assertCredentials(result, stack, rows[1]);
          assertNoSecretInArgv(seen, [PASSWORD]);
          await assertNothingLeft(desktop);
        },
      );

      await step(
        "Escape: one 'cancelled' line, nothing on stdout, no login",
        async () => {
          const authn = stack.okta.authnCount();
          const run = watched(() =>
            stack.run(aliceArgs, { env: guiEnv, timeout: 30 })
          );
          const { id } = await waitForNewDialog(
            desktop,
            titleOf(alice),
            new Set(),
          );
          await desktop.cancel(id);
          const { result, seen } = await run.finish();
          assert(result.code !== 0, "a cancel is a failure");
          assertEquals(result.stdout, "");
          // zenity's own stderr (GTK warnings) is not passed through.
          assertMatch(oneLine(result.stderr), /cancelled/i);
          assertEquals(stack.okta.authnCount(), authn, "no request to Okta");
          assertEquals(zenitys(seen).length, 1);
          await assertNothingLeft(desktop);
        },
      );

      const failsWithoutDialog = async (
        env: Record<string, string>,
        args: string[] = aliceArgs,
      ) => {
        await freshCache(stack);
        const authn = stack.okta.authnCount();
        const run = watched(() => stack.run(args, { env, timeout: 30 }));
        const { result, seen } = await run.finish();
        assertEquals(result.code, 1, result.stderr);
        assertEquals(result.stdout, "");
        assertMatch(oneLine(result.stderr), NO_TERMINAL);
        assert(result.ms < FAST_MS, `took ${Math.round(result.ms)} ms`);
        assertEquals(
          seen.filter((p) => p.comm === "zenity" || p.comm === "setpriv"),
          [],
          "no dialog was started",
        );
        assertEquals(stack.okta.authnCount(), authn, "no request to Okta");
        await assertNothingLeft(desktop);
      };

      await step("--no-gui: no window, the no-terminal error", async () => {
        await failsWithoutDialog(guiEnv, [...aliceArgs, "--no-gui"]);
      });

      await step(
        "AWSPROCESSCREDS_NO_GUI=1: no window, the no-terminal error",
        async () => {
          await failsWithoutDialog({ ...guiEnv, AWSPROCESSCREDS_NO_GUI: "1" });
        },
      );

      await step(
        "no DISPLAY nor WAYLAND_DISPLAY: no zenity, the no-terminal error",
        async () => {
          const { DISPLAY: _, ...noDisplay } = guiEnv;
          await failsWithoutDialog(noDisplay);
          await failsWithoutDialog({
            ...noDisplay,
            DISPLAY: "",
            WAYLAND_DISPLAY: "",
          });
        },
      );

      await step(
        "a terminal and a DISPLAY: the terminal asks, no window",
        async () => {
          const run = watched(() =>
            stack.run(aliceArgs, {
              env: guiEnv,
              tty: [{ expect: "Password: ", send: `${PASSWORD}\r` }],
              timeout: 20,
            })
          );
          const { result, seen } = await run.finish();
          assertEquals(result.unanswered, []);
          assertCredentials(result, stack, ROLE_DEV);
          assertEquals(zenitys(seen), [], "no dialog was started");
          assertNoSecretInArgv(seen, [PASSWORD]);
          await assertNothingLeft(desktop);
        },
      );

      // With DISPLAY set and no session bus (an `ssh -X` login, a bare X
      // session), secret-tool's GLib would autolaunch one (dbus-launch, whose
      // dbus-daemon starts gnome-keyring-daemon) and GTK in zenity at-spi,
      // all outliving the program; children are told there is no bus.
      // Runs last: an autolaunched bus is remembered on the display.
      await step(
        "DISPLAY without a session bus: nothing started by the login outlives it",
        async () => {
          const run = watched(() =>
            stack.run(aliceArgs, {
              env: { DISPLAY: desktop.display },
              timeout: 30,
            })
          );
          const password = await waitForNewDialog(
            desktop,
            titleOf(alice),
            new Set(),
          );
          await desktop.type(password.id, PASSWORD);
          await desktop.key(password.id, "Return");
          const { result } = await run.finish();
          assertCredentials(result, stack, ROLE_DEV);
          await sleep(1_000);
          const left = onDisplay(desktop);
          try {
            assertEquals(left.map((p) => p.argv.join(" ")), []);
          } finally {
            // dbus-launch ignores SIGTERM.
            for (const p of left) {
              try {
                Deno.kill(p.pid, "SIGKILL");
              } catch {
                // Ended.
              }
            }
          }
        },
      );
    } finally {
      await cleanUp(desktop);
      await stack.close();
      await desktop.stop();
    }
  },
});
