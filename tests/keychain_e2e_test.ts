/**
 * The whole program (main.ts) with the OS keychain: a private Secret Service
 * (gnome-keyring on a private session bus), a temporary HOME, and no terminal
 * unless a step gives it a pseudo-terminal, run as the AWS CLI runs a
 * credential_process, against the Okta and STS emulators.
 *
 * `secret-tool` is reached through a shim that records every call's argv (the
 * calls last milliseconds, too short to be sure to catch from /proc), and the
 * program's descendants are also sampled from /proc while it runs: the
 * password may never appear in any argv.
 */
import { ACCOUNT, PASSWORD, ROLE_DEV } from "./emulators/fixtures.ts";
import {
  type CliResult,
  E2E_SUPPORTED,
  mainTs,
  parseCredentials,
  type TtyStep,
} from "./support/cli.ts";
import {
  type Desktop,
  desktopSkipReason,
  processesOnDisplay,
  type ProcessSighting,
  secretsInArgv,
  startDesktop,
  waitForNewDialog,
  watchProcesses,
} from "./support/desktop.ts";
import {
  type Keyring,
  keyringSkipReason,
  recordingShim,
  startKeyring,
} from "./support/keyring.ts";
import { type Stack, startStack } from "./support/stack.ts";
import { assert, assertEquals, assertMatch } from "./support/asserts.ts";

const SERVICE = "awsprocesscreds-saml";
/** The keychain's host: the IdP host without its port, lower case. */
const HOST = "127.0.0.1";
const WRONG = "an old password the IdP no longer takes";
const NO_TERMINAL =
  /^awsprocesscreds-saml: Cannot ask for password: no terminal is available/;
const FAST_MS = 15_000;

const skip = E2E_SUPPORTED
  ? keyringSkipReason()
  : "needs Linux with setsid and python3";
const skipDesktop = desktopSkipReason();

/** Runs `secret-tool ARGS` against the private Secret Service. */
async function secretTool(
  keyring: Keyring,
  args: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command("secret-tool", {
    args,
    env: keyring.env,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

const attributes = (user: string) => [
  "service",
  SERVICE,
  "username",
  user,
  "server",
  HOST,
];

/** The stored password of `user` at 127.0.0.1, or undefined. */
async function lookup(
  keyring: Keyring,
  user: string,
): Promise<string | undefined> {
  const out = await secretTool(keyring, ["lookup", ...attributes(user)]);
  if (out.code === 1 && out.stderr.trim() === "") return undefined;
  assertEquals(out.code, 0, out.stderr);
  return out.stdout;
}

async function store(keyring: Keyring, user: string, password: string) {
  const out = await secretTool(
    keyring,
    ["store", "--label=test entry", ...attributes(user)],
    password,
  );
  assertEquals(out.code, 0, out.stderr);
}

/** Every entry of this tool in the keyring (secret-tool search output). */
async function entries(keyring: Keyring): Promise<string> {
  const out = await secretTool(keyring, [
    "search",
    "--all",
    "service",
    SERVICE,
  ]);
  return out.stdout + out.stderr;
}

async function clearAll(keyring: Keyring): Promise<void> {
  await secretTool(keyring, ["clear", "service", SERVICE]);
  assertEquals(await entries(keyring), "");
}

function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  assertEquals(lines.length, 1, `stderr is not one line: ${stderr}`);
  return lines[0];
}

function assertCredentials(result: CliResult, stack: Stack) {
  assertEquals(result.code, 0, result.stderr);
  const creds = parseCredentials(result.stdout);
  const issued = stack.sts.issued.at(-1)!;
  assertEquals(creds.AccessKeyId, issued.accessKeyId);
  assertEquals(issued.roleArn, ROLE_DEV);
}

Deno.test({
  name: `main.ts and the Secret Service${skip ? ` (skipped: ${skip})` : ""}`,
  ignore: skip !== undefined,
  async fn(t) {
    const keyring = await startKeyring();
    const stack = await startStack();
    const shim = await recordingShim("secret-tool");
    /** The program's environment: the keyring's bus, the shim; no display. */
    const env = {
      ...shim.env,
      DBUS_SESSION_BUS_ADDRESS: keyring.env.DBUS_SESSION_BUS_ADDRESS,
    };
    const alice = "alice@example.com";
    const solo = "solo@example.com";
    const argsOf = (user: string) => [
      ...stack.oktaArgs(user),
      "-a",
      ROLE_DEV,
      "--no-cache",
    ];
    const typePassword: TtyStep[] = [{
      expect: "Password: ",
      send: `${PASSWORD}\r`,
    }];
    let calls = 0;
    /** The secret-tool calls since the last look. */
    const newCalls = async () => {
      const all = await shim.calls();
      const fresh = all.slice(calls);
      calls = all.length;
      return fresh;
    };
    const subcommands = async () => (await newCalls()).map((argv) => argv[0]);

    /** Runs main.ts, watching its processes; checks no secret was in argv. */
    const run = async (
      args: string[],
      options: { tty?: TtyStep[]; env?: Record<string, string> } = {},
      secrets: string[] = [PASSWORD, WRONG],
    ): Promise<{ result: CliResult; seen: ProcessSighting[] }> => {
      const before = (await shim.calls()).length;
      const watch = watchProcesses(mainTs);
      let result: CliResult;
      let seen: ProcessSighting[];
      try {
        result = await stack.run(args, {
          tty: options.tty,
          env: { ...env, ...options.env },
          timeout: 60,
        });
      } finally {
        seen = await watch.stop();
      }
      assert(seen.some((p) => p.root), "the program was seen running");
      assertEquals(
        secretsInArgv(seen, secrets, [ACCOUNT]),
        [],
        "a process of the program had a secret in argv",
      );
      const recorded = (await shim.calls()).slice(before).map((argv, i) => ({
        pid: before + i + 1,
        comm: "secret-tool call",
        argv,
      }));
      assertEquals(
        secretsInArgv(recorded, secrets),
        [],
        "a secret-tool call had a secret in argv",
      );
      return { result, seen };
    };

    const step = (name: string, fn: () => Promise<void>, ignore = false) =>
      t.step({
        name,
        ignore,
        async fn() {
          await clearAll(keyring);
          await newCalls();
          await fn();
        },
      });

    try {
      await step(
        "--save-password stores the password typed at the terminal",
        async () => {
          const { result } = await run([...argsOf(alice), "--save-password"], {
            tty: typePassword,
          });
          assertEquals(result.unanswered, []);
          assertCredentials(result, stack);
          assertEquals(result.stderr, "");
          assertEquals(await lookup(keyring, alice), PASSWORD);
          assertEquals(await subcommands(), ["lookup", "store"]);

          // Then: no terminal, no display, no AWSPROCESSCREDS_PASSWORD.
          const authn = stack.okta.authnCount();
          const again = await run(argsOf(alice));
          assertCredentials(again.result, stack);
          assertEquals(again.result.stderr, "");
          assertEquals(stack.okta.authnCount(), authn + 1);
          assertEquals(await subcommands(), ["lookup"], "nothing stored again");
          assertEquals(await lookup(keyring, alice), PASSWORD);
        },
      );

      await step(
        "without --save-password nothing is written to the keychain",
        async () => {
          const { result } = await run(argsOf(alice), { tty: typePassword });
          assertCredentials(result, stack);
          assertEquals(await lookup(keyring, alice), undefined);
          assertEquals(await entries(keyring), "");
          assertEquals(await subcommands(), ["lookup"]);
        },
      );

      await step(
        "a refused stored password: one try, deleted, then the terminal asks",
        async () => {
          await store(keyring, alice, WRONG);
          const authn = stack.okta.authnCount();
          const { result } = await run(argsOf(alice), { tty: typePassword });
          assertEquals(result.unanswered, []);
          assertCredentials(result, stack);
          assertEquals(
            stack.okta.authnCount(),
            authn + 2,
            "one refused attempt with the stored password, one with the typed",
          );
          assertMatch(result.tty, /not accepted/);
          assertEquals(await lookup(keyring, alice), undefined, "deleted");
          assertEquals(await subcommands(), ["lookup", "clear"]);
        },
      );

      await step(
        "a refused stored password with no way to ask: deleted, fails fast",
        async () => {
          await store(keyring, alice, WRONG);
          const authn = stack.okta.authnCount();
          const { result } = await run(argsOf(alice));
          assertEquals(result.code, 1, result.stderr);
          assertEquals(result.stdout, "");
          assertMatch(oneLine(result.stderr), NO_TERMINAL);
          assert(result.ms < FAST_MS, `took ${Math.round(result.ms)} ms`);
          assertEquals(stack.okta.authnCount(), authn + 1, "one attempt");
          assertEquals(await lookup(keyring, alice), undefined, "deleted");
          assertEquals(await subcommands(), ["lookup", "clear"]);
        },
      );

      await step(
        "--forget-password deletes the entry, asks nothing of the IdP, prints nothing",
        async () => {
          await store(keyring, alice, PASSWORD);
          await store(keyring, solo, PASSWORD);
          const requests = stack.okta.requests.length;
          const connections = stack.okta.connections();
          const forget = [
            "--forget-password",
            "-e",
            stack.okta.embedUrl,
            "-u",
            alice,
          ];
          const { result } = await run(forget);
          assertEquals(result.code, 0, result.stderr);
          assertEquals(result.stdout, "");
          assertEquals(result.stderr, "");
          assertEquals(await lookup(keyring, alice), undefined);
          assertEquals(await lookup(keyring, solo), PASSWORD, "others stay");
          assertEquals(await subcommands(), ["clear"]);

          // Nothing stored: still exit 0, still silent.
          const { result: again } = await run(forget);
          assertEquals(again.code, 0, again.stderr);
          assertEquals(again.stdout, "");
          assertEquals(again.stderr, "");
          assertEquals(stack.okta.requests.length, requests, "no request");
          assertEquals(stack.okta.connections(), connections);
        },
      );

      await step(
        "a broken keychain: a warning with -v, then the terminal asks",
        async () => {
          const broken = {
            DBUS_SESSION_BUS_ADDRESS: `unix:path=${keyring.dir}/no-such-bus`,
          };
          const { result } = await run([...argsOf(alice), "-v"], {
            tty: typePassword,
            env: broken,
          });
          assertEquals(result.unanswered, []);
          assertCredentials(result, stack);
          const warning = result.stderr.split("\n").filter((l) =>
            /Secret Service/.test(l)
          );
          assertEquals(warning.length, 1, result.stderr);
          assertMatch(
            warning[0],
            /^awsprocesscreds-saml: Cannot read the password for alice@example\.com at 127\.0\.0\.1 from the Secret Service: .*asking for the password instead$/,
          );

          // --save-password cannot store: one warning, the login still works.
          const { result: save } = await run(
            [...argsOf(alice), "--save-password"],
            { tty: typePassword, env: broken },
          );
          assertCredentials(save, stack);
          assertMatch(
            oneLine(save.stderr),
            /^awsprocesscreds-saml: Cannot store the password for alice@example\.com at 127\.0\.0\.1 in the Secret Service/,
          );
          assertEquals(await entries(keyring), "");
        },
      );

      await step(
        `--save-password stores the password typed in a dialog${
          skipDesktop ? ` (skipped: ${skipDesktop})` : ""
        }`,
        async () => {
          const desktop: Desktop = await startDesktop();
          try {
            const title = `awsprocesscreds-saml: ${solo} at ${HOST}`;
            const running = run([...argsOf(solo), "--save-password"], {
              env: { ...desktop.env, ...env },
            });
            const dialog = await waitForNewDialog(desktop, title, new Set());
            await desktop.type(dialog.id, PASSWORD);
            await desktop.key(dialog.id, "Return");
            const { result, seen } = await running;
            assertCredentials(result, stack);
            assertEquals(result.stderr, "");
            assert(seen.some((p) => p.comm === "zenity"), "a dialog asked");
            assertEquals(await lookup(keyring, solo), PASSWORD);
            assertEquals(await subcommands(), ["lookup", "store"]);
            assertEquals(processesOnDisplay("zenity", desktop.display), []);
          } finally {
            for (const p of processesOnDisplay("zenity", desktop.display)) {
              Deno.kill(p.pid, "SIGTERM");
            }
            await desktop.stop();
          }
        },
        skipDesktop !== undefined,
      );
    } finally {
      await shim.remove();
      await stack.close();
      await keyring.stop();
    }
  },
});
