/**
 * Keychains: a real gnome-keyring on a private D-Bus session (Linux), fake
 * `security` and PowerShell scripts recording argv and stdin, and the pure
 * helpers (host normalisation, `security -i` quoting, `-g` output parsing).
 */
import nodeAssert from "node:assert/strict";
import {
  chooseKeychain,
  KEYCHAIN_SERVICE,
  keychainAccount,
  KeychainError,
  keychainHost,
  systemKeychain,
} from "../lib/keychain/keychain.ts";
import {
  addPasswordLine,
  ITEM_NOT_FOUND_EXIT,
  macosKeychain,
  parsePasswordLine,
  securityQuote,
} from "../lib/keychain/macos_security.ts";
import { secretToolKeychain } from "../lib/keychain/secret_tool.ts";
import {
  credentialTarget,
  NOT_FOUND_EXIT,
  windowsCredentialKeychain,
} from "../lib/keychain/windows_credential.ts";
import type { CommandRunner, CommandSpec } from "../lib/process/run_command.ts";
import { denoCommandRunner } from "../lib/process/run_command.ts";
import { decodeCommand } from "../lib/process/powershell.ts";
import { fakePrograms, processes } from "./support/desktop.ts";
import {
  keyringSkipReason,
  runInKeyring,
  startKeyring,
} from "./support/keyring.ts";
import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
} from "./support/asserts.ts";

const USER = "alice@example.com";
const HOST = "Example.OKTA.com:443";
const PASSWORD = 'pä55 "word" \\ with spaces ';

/** A runner that records every spawn and what /proc showed as its argv. */
function recordingRunner(): {
  runner: CommandRunner;
  specs: CommandSpec[];
  seen: string[][];
} {
  const specs: CommandSpec[] = [];
  const seen: string[][] = [];
  return {
    specs,
    seen,
    runner: {
      spawn(spec) {
        specs.push(spec);
        const running = denoCommandRunner.spawn(spec);
        const argv = execArgv(running.pid, spec.program);
        if (argv) seen.push(argv);
        return running;
      },
    },
  };
}

/**
 * The argv of `pid` once it has exec'd `program`, polled from /proc for up to
 * 200 ms (a child read too early still shows the parent's argv, or none); or
 * undefined if it had ended by then. A store waits on its stdin, so it is
 * always seen.
 */
function execArgv(pid: number, program: string): string[] | undefined {
  const until = performance.now() + 200;
  do {
    const argv = processes().find((p) => p.pid === pid)?.argv;
    if (argv === undefined) return undefined;
    if (argv[0]?.endsWith(program)) return argv;
  } while (performance.now() < until);
  return undefined;
}

// ---------------------------------------------------------------- helpers

Deno.test("keychainHost: lower case, no port", () => {
  assertEquals(keychainHost("Example.OKTA.com:443"), "example.okta.com");
  assertEquals(keychainHost("example.okta.com"), "example.okta.com");
  assertEquals(
    keychainHost("https://ADFS.example.com:8443/adfs/ls/"),
    "adfs.example.com",
  );
  assertEquals(keychainHost("[::1]:443"), "[::1]");
  assertEquals(
    keychainAccount("EXAMPLE\\alice", "ADFS.example.com"),
    "EXAMPLE\\alice@adfs.example.com",
  );
  assertEquals(
    credentialTarget(USER, HOST),
    "awsprocesscreds-saml:alice@example.com@example.okta.com",
  );
});

Deno.test("chooseKeychain: by operating system and programs", () => {
  const has = (...names: string[]) => (p: string) => names.includes(p);
  assertEquals(
    chooseKeychain("linux", has("secret-tool"))?.name,
    "the Secret Service",
  );
  assertEquals(chooseKeychain("linux", has()), undefined);
  assertEquals(
    chooseKeychain("freebsd", has("secret-tool"))?.name,
    "the Secret Service",
  );
  assertEquals(
    chooseKeychain("darwin", has("security"))?.name,
    "the macOS Keychain",
  );
  assertEquals(chooseKeychain("darwin", has()), undefined);
  assertEquals(
    chooseKeychain("windows", has("pwsh"))?.name,
    "Windows Credential Manager",
  );
  assertEquals(chooseKeychain("windows", has()), undefined);
  assertEquals(chooseKeychain("android", has("secret-tool")), undefined);
});

/** security's split_line (SecurityTool/security.c), to read lines back. */
function splitSecurityLine(line: string): string[] {
  const args: string[] = [];
  let state: "ws" | "arg" | "argEsc" | "q" | "qEsc" = "ws";
  let quote = "";
  let current = "";
  for (const ch of line) {
    if (state === "ws") {
      if (/\s/.test(ch)) continue;
      if (ch === '"' || ch === "'") {
        quote = ch;
        state = "q";
        current = "";
        continue;
      }
      state = "arg";
      current = "";
    }
    if (state === "arg") {
      if (ch === "\\") state = "argEsc";
      else if (/\s/.test(ch)) {
        args.push(current);
        state = "ws";
      } else current += ch;
      continue;
    }
    if (state === "argEsc") {
      current += ch;
      state = "arg";
      continue;
    }
    if (state === "q") {
      if (ch === "\\") state = "qEsc";
      else if (ch === quote) {
        args.push(current);
        state = "ws";
      } else current += ch;
      continue;
    }
    current += ch;
    state = "q";
  }
  if (state !== "ws") args.push(current);
  return args;
}

Deno.test("security -i line: quoting round-trips, password only as hex", () => {
  assertEquals(securityQuote('a "b" \\c'), '"a \\"b\\" \\\\c"');
  const user = 'EXAMPLE\\al "ice"';
  const line = addPasswordLine(user, HOST, PASSWORD);
  assert(line.endsWith("\n"));
  assertFalse(line.includes(PASSWORD));
  const args = splitSecurityLine(line.trimEnd());
  const hex = [...new TextEncoder().encode(PASSWORD)]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  assertEquals(args, [
    "add-generic-password",
    "-U",
    "-s",
    KEYCHAIN_SERVICE,
    "-a",
    `${user}@example.okta.com`,
    "-l",
    `awsprocesscreds-saml: ${user} at example.okta.com`,
    "-X",
    hex,
  ]);
  nodeAssert.throws(() => securityQuote("a\nb"));
});

Deno.test("find-generic-password -g output", () => {
  assertEquals(parsePasswordLine('password: "plain text"\n'), "plain text");
  assertEquals(parsePasswordLine('password: "a"b"\n'), 'a"b');
  assertEquals(parsePasswordLine('password: 0xC3A9  "\\303\\251"\n'), "é");
  assertEquals(parsePasswordLine("password: 0x615C62\n"), "a\\b");
  assertEquals(parsePasswordLine("password: \n"), "");
  assertEquals(parsePasswordLine("keychain: x\n"), undefined);
});

Deno.test({
  name: `systemKeychain reads PATH${
    Deno.build.os !== "linux" ? " (skipped: Linux only)" : ""
  }`,
  ignore: Deno.build.os !== "linux",
  async fn() {
    const fake = await fakePrograms(["secret-tool"]);
    try {
      assertEquals(
        systemKeychain({ PATH: fake.dir })?.name,
        "the Secret Service",
      );
      assertEquals(systemKeychain({ PATH: "/nonexistent" }), undefined);
    } finally {
      await fake.remove();
    }
  },
});

// ---------------------------------------------------------------- Secret Service

const skipKeyring = keyringSkipReason();

Deno.test({
  name: `Secret Service: a real gnome-keyring${
    skipKeyring ? ` (skipped: ${skipKeyring})` : ""
  }`,
  ignore: skipKeyring !== undefined,
  async fn(t) {
    const keyring = await startKeyring();
    try {
      const { runner, specs, seen } = recordingRunner();
      const keychain = secretToolKeychain({ runner, env: keyring.env });

      await t.step("store, read, replace", async () => {
        assertEquals(await keychain.get(USER, HOST), undefined);
        await keychain.set(USER, HOST, PASSWORD);
        assertEquals(await keychain.get(USER, "example.okta.com"), PASSWORD);
        await keychain.set(USER, "EXAMPLE.okta.com", "second");
        assertEquals(await keychain.get(USER, HOST), "second");
        await keychain.set(USER, HOST, PASSWORD);
        assertEquals(await keychain.get("bob", HOST), undefined);
      });

      await t.step("attributes as documented", async () => {
        const out = await new Deno.Command("secret-tool", {
          args: ["search", "--all", "service", KEYCHAIN_SERVICE],
          env: keyring.env,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stdout) +
          new TextDecoder().decode(out.stderr);
        assert(text.includes(`attribute.username = ${USER}`), text);
        assert(text.includes("attribute.server = example.okta.com"), text);
        assert(
          text.includes(
            `label = awsprocesscreds-saml: ${USER} at example.okta.com`,
          ),
          text,
        );
      });

      await t.step("delete, then nothing", async () => {
        assertEquals(await keychain.delete(USER, HOST), true);
        assertEquals(await keychain.get(USER, HOST), undefined);
        assertEquals(await keychain.delete(USER, HOST), false);
      });

      await t.step("the password is on stdin only", () => {
        const stores = specs.filter((s) => s.args[0] === "store");
        assertEquals(stores.length, 3);
        assertEquals(stores[0].stdin, PASSWORD);
        for (const spec of specs) {
          assertFalse(spec.args.join(" ").includes(PASSWORD));
          assertFalse(spec.args.join(" ").includes("second"));
        }
        // Every store was seen running (it waits on stdin for the password).
        assert(seen.length >= stores.length, "argv was sampled from /proc");
        for (const argv of seen) {
          assertFalse(argv.join(" ").includes(PASSWORD));
        }
      });

      await t.step("errors say what failed", async () => {
        const broken = secretToolKeychain({
          env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${keyring.dir}/none` },
        });
        const error = await assertRejects(
          () => broken.get(USER, HOST),
          KeychainError,
          "Cannot read the password for alice@example.com at example.okta.com from the Secret Service: secret-tool exited with status 1",
        );
        assertFalse(error.message.includes("\n"));
        await assertRejects(
          () => keychain.set(USER, HOST, ""),
          KeychainError,
          "the password is empty",
        );
        const missing = secretToolKeychain({
          program: "no-such-secret-tool",
        });
        await assertRejects(
          () => missing.delete(USER, HOST),
          KeychainError,
          "Cannot remove the password for alice@example.com at example.okta.com from the Secret Service: no-such-secret-tool was not found",
        );
      });
    } finally {
      await keyring.stop();
    }
  },
});

Deno.test({
  name: `runInKeyring: a whole program in a keyring session${
    skipKeyring ? ` (skipped: ${skipKeyring})` : ""
  }`,
  ignore: skipKeyring !== undefined,
  async fn() {
    const run = await runInKeyring([
      "sh",
      "-c",
      'printf %s "$0" | secret-tool store --label=x service s username u server h && secret-tool lookup service s username u server h',
      "in-session",
    ]);
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.stdout, "in-session");
  },
});

// ---------------------------------------------------------------- macOS

const skipFakes = Deno.build.os === "windows"
  ? "fake programs are sh scripts"
  : undefined;

Deno.test({
  name: `macOS Keychain through a fake security${
    skipFakes ? ` (skipped: ${skipFakes})` : ""
  }`,
  ignore: skipFakes !== undefined,
  async fn() {
    const fake = await fakePrograms(["security"]);
    try {
      const keychain = macosKeychain({ env: fake.env });
      const hex = [...new TextEncoder().encode(PASSWORD)]
        .map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join("");

      // set: security -i, then the read-back.
      await fake.reply({ code: 0 });
      await fake.reply({
        stdout:
          'keychain: "/Users/alice/Library/Keychains/login.keychain-db"\n',
        stderr: `password: 0x${hex}  "ignored"\n`,
      });
      await keychain.set(USER, HOST, PASSWORD);
      // get: printable, hex, missing, failing.
      await fake.reply({ stderr: 'password: "plain"\n' });
      assertEquals(await keychain.get(USER, HOST), "plain");
      await fake.reply({ code: ITEM_NOT_FOUND_EXIT });
      assertEquals(await keychain.get(USER, HOST), undefined);
      await fake.reply({
        code: 36,
        stderr:
          "security: SecKeychainSearchCopyNext: User interaction is not allowed.\n",
      });
      await assertRejects(
        () => keychain.get(USER, HOST),
        KeychainError,
        "Cannot read the password for alice@example.com at example.okta.com from the macOS Keychain: security exited with status 36 (security: SecKeychainSearchCopyNext: User interaction is not allowed.)",
      );
      // delete.
      await fake.reply({ code: 0 });
      assertEquals(await keychain.delete(USER, HOST), true);
      await fake.reply({ code: ITEM_NOT_FOUND_EXIT });
      assertEquals(await keychain.delete(USER, HOST), false);
      // set whose read-back differs.
      await fake.reply({ code: 0 });
      await fake.reply({ stderr: 'password: "old"\n' });
      await assertRejects(
        () => keychain.set(USER, HOST, PASSWORD),
        KeychainError,
        "does not hold the new password",
      );
      // set failing: the password is redacted from the message.
      await fake.reply({
        code: 1,
        stderr: `echo ${PASSWORD} ${hex.toLowerCase()}\n`,
      });
      const error = await assertRejects(
        () => keychain.set(USER, HOST, PASSWORD),
        KeychainError,
        "Cannot store the password for alice@example.com at example.okta.com in the macOS Keychain: security exited with status 1",
      );
      assertFalse(error.message.includes(PASSWORD));
      assertFalse(error.message.includes(hex.toLowerCase()));

      const calls = await fake.calls();
      assertEquals(calls[0].argv, ["-i"]);
      assertEquals(calls[0].stdin, addPasswordLine(USER, HOST, PASSWORD));
      assertEquals(splitSecurityLine(calls[0].stdin.trimEnd()).slice(0, 6), [
        "add-generic-password",
        "-U",
        "-s",
        "awsprocesscreds-saml",
        "-a",
        "alice@example.com@example.okta.com",
      ]);
      assertEquals(calls[1].argv, [
        "find-generic-password",
        "-s",
        "awsprocesscreds-saml",
        "-a",
        "alice@example.com@example.okta.com",
        "-g",
      ]);
      assertEquals(calls[5].argv, [
        "delete-generic-password",
        "-s",
        "awsprocesscreds-saml",
        "-a",
        "alice@example.com@example.okta.com",
      ]);
      for (const call of calls) {
        assertFalse(
          call.argv.join(" ").includes(PASSWORD),
          "no password in argv",
        );
        assertFalse(
          call.argv.join(" ").toLowerCase().includes(hex.toLowerCase()),
        );
      }
    } finally {
      await fake.remove();
    }
  },
});

// ---------------------------------------------------------------- Windows

Deno.test({
  name: `Windows Credential Manager through a fake PowerShell${
    skipFakes ? ` (skipped: ${skipFakes})` : ""
  }`,
  ignore: skipFakes !== undefined,
  async fn() {
    const fake = await fakePrograms(["powershell.exe"]);
    try {
      const keychain = windowsCredentialKeychain({ env: fake.env });
      const base64 = btoa(
        String.fromCharCode(...new TextEncoder().encode(PASSWORD)),
      );
      await fake.reply({ code: 0 });
      await keychain.set(USER, HOST, PASSWORD);
      await fake.reply({ stdout: base64 });
      assertEquals(await keychain.get(USER, HOST), PASSWORD);
      await fake.reply({ code: NOT_FOUND_EXIT });
      assertEquals(await keychain.get(USER, HOST), undefined);
      await fake.reply({ code: 0 });
      assertEquals(await keychain.delete(USER, HOST), true);
      await fake.reply({ code: NOT_FOUND_EXIT });
      assertEquals(await keychain.delete(USER, HOST), false);
      await fake.reply({
        code: 1,
        stderr: "CredWrite failed with Windows error 1312\n",
      });
      await assertRejects(
        () => keychain.set(USER, HOST, PASSWORD),
        KeychainError,
        "Cannot store the password for alice@example.com at example.okta.com in Windows Credential Manager: powershell.exe exited with status 1 (CredWrite failed with Windows error 1312)",
      );
      await fake.reply({ stdout: "not base64!" });
      await assertRejects(
        () => keychain.get(USER, HOST),
        KeychainError,
        "base64",
      );

      const calls = await fake.calls();
      const scripts = calls.map((call) => {
        assertEquals(call.argv.at(-2), "-EncodedCommand");
        assertFalse(call.argv.join(" ").includes(PASSWORD));
        const script = decodeCommand(call.argv.at(-1)!);
        assertFalse(script.includes(PASSWORD), "no password in the script");
        assert(
          script.includes(
            "$target = 'awsprocesscreds-saml:alice@example.com@example.okta.com'",
          ),
        );
        return script;
      });
      assertEquals(calls[0].stdin, PASSWORD, "the password goes on stdin");
      assert(scripts[0].includes("::Write($target, $user, $comment"));
      assert(scripts[1].includes("::Read($target, [ref]$bytes)"));
      assert(scripts[3].includes("::Delete($target)"));
      for (const n of [1, 2, 3, 4]) assertEquals(calls[n].stdin, "");
    } finally {
      await fake.remove();
    }
  },
});
