#!/usr/bin/env -S deno run -A
/**
 * awsprocesscreds-saml: AWS credential_process credentials from a SAML
 * login. This file only hands the real process (argv, environment, stdout,
 * stderr, fetch, clock, terminal) to lib/cli.ts and exits with its code.
 *
 * @module
 */
import { cli } from "./lib/cli.ts";
import { systemClock } from "./lib/clock.ts";
import { homeDirectory, passwdHomeOf } from "./lib/home_dir.ts";
import { lazy } from "./lib/lazy.ts";
import { lazyTerminal } from "./lib/prompt/lazy_terminal.ts";

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string) {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += file.writeSync(bytes.subarray(written));
  }
}

const env = Deno.env.toObject();
const terminal = lazyTerminal(async () =>
  (await import(
    lazy("./lib/prompt/tty.ts")
  ) as typeof import("./lib/prompt/tty.ts")).ttyPrompter()
);
Deno.exit(
  await cli(Deno.args, {
    env,
    stdout: (text) => writeAll(Deno.stdout, text),
    stderr: (text) => writeAll(Deno.stderr, text),
    fetch: globalThis.fetch,
    clock: systemClock,
    terminal,
    // Only a login can leave the terminal in raw mode or a dialog open: the
    // handlers are loaded and installed when one starts (a cache hit spares
    // the cost).
    beforeLogin: async () =>
      (await import(
        lazy("./lib/exit_signals.ts")
      ) as typeof import("./lib/exit_signals.ts")).onExitSignal(
        () => terminal.close(),
        (code, signal) => {
          writeAll(
            Deno.stderr,
            `awsprocesscreds-saml: Interrupted by ${signal}\n`,
          );
          Deno.exit(code);
        },
      ),
    // Loaded only when a login needs them: a cache hit loads neither.
    dialogs: async (username, host) =>
      (await import(
        lazy("./lib/prompt/dialog_prompter.ts")
      ) as typeof import("./lib/prompt/dialog_prompter.ts"))
        .systemDialogPrompter(env, { username, host }),
    keychain: async () =>
      (await import(
        lazy("./lib/keychain/keychain.ts")
      ) as typeof import("./lib/keychain/keychain.ts")).systemKeychain(env),
    selfCommand: () =>
      Deno.build.standalone ? [Deno.execPath()] : [
        Deno.execPath(),
        "run",
        "-A",
        Deno.mainModule.startsWith("file:")
          ? decodeURIComponent(new URL(Deno.mainModule).pathname)
          : Deno.mainModule,
      ],
    home: homeDirectory({
      env,
      os: Deno.build.os,
      passwdHome() {
        try {
          return passwdHomeOf(
            Deno.readTextFileSync("/etc/passwd"),
            Deno.uid() ?? -1,
          );
        } catch {
          return undefined;
        }
      },
    }),
  }),
);
