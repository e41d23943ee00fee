/**
 * The whole program as a function of its I/O: argv in, text on stdout and
 * stderr out, an exit code back. main.ts hands it the real process; tests
 * hand it emulators, a scripted prompter and buffers. This is the only
 * place errors become exit codes and the only writer of stdout.
 *
 * @module
 */
import { parseCommandLine, USAGE } from "./args.ts";
import type { Clock } from "./clock.ts";
import { CliError } from "./errors.ts";
import { createLogger } from "./logger.ts";
import { formatCredentials, formatRoles } from "./output.ts";
import type { Prompter } from "./prompt/prompter.ts";
import { run } from "./run.ts";
import { VERSION } from "./version.ts";

/** What the program talks to. */
export interface CliIo {
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** Writes to stdout (the credentials JSON only). */
  stdout(text: string): void;
  /** Writes to stderr (errors, warnings, -v). */
  stderr(text: string): void;
  /** HTTP. */
  fetch: typeof fetch;
  /** Time. */
  clock: Clock;
  /** The way to ask the person (the terminal, in main.ts). */
  prompter: Prompter;
  /** The home directory, where the cache lives; undefined if there is none. */
  home: string | undefined;
  /** Extra fetch options for STS (tests pass a client trusting their CA). */
  stsRequestInit?: () => RequestInit;
}

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

/**
 * Runs one invocation and returns the exit code: 0, 2 for a usage error, the
 * error's own code otherwise (1, or 130 after Ctrl-C).
 */
export async function cli(argv: string[], io: CliIo): Promise<number> {
  let command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    io.stderr(
      `awsprocesscreds-saml: ${(error as Error).message}\n\n${USAGE}\n`,
    );
    return 2;
  }
  if (command.kind === "help") {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (command.kind === "version") {
    io.stdout(`awsprocesscreds-saml ${VERSION}\n`);
    return 0;
  }
  const { options } = command;
  const logger = createLogger(io.stderr, options.verbose);
  if (io.home === undefined && options.cache && !options.listRoles) {
    logger.warn(
      "No home directory (HOME is not set and the password database has none for this user); continuing without the cache",
    );
  }
  try {
    const result = await run(options, {
      fetch: io.fetch,
      clock: io.clock,
      logger,
      prompter: io.prompter,
      env: io.env,
      cacheDir: io.home === undefined
        ? undefined
        : `${io.home}/.aws/cli/process-creds-cache`,
      stsRequestInit: io.stsRequestInit,
    });
    if (result.kind === "credentials") {
      io.stdout(`${formatCredentials(result.credentials)}\n`);
    } else if (result.kind === "roles") {
      io.stdout(`${formatRoles(result.roles)}\n`);
    } else {
      logger.warn(
        result.removed
          ? `removed ${result.path}`
          : `no cache entry at ${result.path}`,
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
    io.prompter.close();
  }
}
