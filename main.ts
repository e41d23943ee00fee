#!/usr/bin/env -S deno run -A
/**
 * awsprocesscreds-saml: AWS credential_process credentials from an Okta or
 * ADFS SAML login. This file only wires the real I/O to lib/ and maps errors
 * to exit codes; stdout carries nothing but the result.
 *
 * @module
 */
import { parseCommandLine, USAGE } from "./lib/args.ts";
import { systemClock } from "./lib/clock.ts";
import { CliError } from "./lib/errors.ts";
import { createLogger } from "./lib/logger.ts";
import { formatCredentials, formatRoles } from "./lib/output.ts";
import { run } from "./lib/run.ts";
import { ttyPrompter } from "./lib/prompt/tty.ts";
import { VERSION } from "./lib/version.ts";

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string) {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += file.writeSync(bytes.subarray(written));
  }
}

const stderr = (text: string) => writeAll(Deno.stderr, text);

function causes(error: unknown): string {
  let out = "";
  let cause = (error as Error)?.cause;
  while (cause) {
    out += `\n  caused by: ${
      cause instanceof Error ? cause.message : String(cause)
    }`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    stderr(`awsprocesscreds-saml: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (command.kind === "help") {
    writeAll(Deno.stdout, `${USAGE}\n`);
    return 0;
  }
  if (command.kind === "version") {
    writeAll(Deno.stdout, `awsprocesscreds-saml ${VERSION}\n`);
    return 0;
  }
  const { options } = command;
  const logger = createLogger(stderr, options.verbose);
  const prompter = ttyPrompter();
  const env = Deno.env.toObject();
  const home = env.HOME || env.USERPROFILE || ".";
  try {
    const result = await run(options, {
      fetch: globalThis.fetch,
      clock: systemClock,
      logger,
      prompter,
      env,
      cacheDir: `${home}/.aws/cli/process-creds-cache`,
    });
    if (result.kind === "credentials") {
      writeAll(Deno.stdout, `${formatCredentials(result.credentials)}\n`);
    } else if (result.kind === "roles") {
      writeAll(Deno.stdout, `${formatRoles(result.roles)}\n`);
    } else {
      stderr(
        result.removed
          ? `awsprocesscreds-saml: removed ${result.path}\n`
          : `awsprocesscreds-saml: no cache entry at ${result.path}\n`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof CliError) {
      logger.warn(error.message + (options.verbose ? causes(error) : ""));
      return error.exitCode;
    }
    logger.warn(
      `Unexpected error: ${(error as Error)?.message ?? String(error)}${
        options.verbose ? `\n${(error as Error)?.stack ?? ""}` : ""
      }`,
    );
    return 1;
  } finally {
    prompter.close();
  }
}

Deno.exit(await main(Deno.args));
