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
import { ttyPrompter } from "./lib/prompt/tty.ts";

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string) {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += file.writeSync(bytes.subarray(written));
  }
}

const env = Deno.env.toObject();
Deno.exit(
  await cli(Deno.args, {
    env,
    stdout: (text) => writeAll(Deno.stdout, text),
    stderr: (text) => writeAll(Deno.stderr, text),
    fetch: globalThis.fetch,
    clock: systemClock,
    prompter: ttyPrompter(),
    home: env.HOME || env.USERPROFILE || undefined,
  }),
);
