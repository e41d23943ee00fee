/**
 * The whole program as a function of its I/O: argv in, text on stdout and
 * stderr out, an exit code back. main.ts hands it the real process; tests
 * hand it emulators, a scripted prompter and buffers. This is the only
 * place errors become exit codes and the only writer of stdout.
 *
 * @module
 */
import { type Command, parseCommandLine, type ProfileValues } from "./args.ts";
import type { Clock } from "./clock.ts";
import { CliError } from "./errors.ts";
import type { Keychain } from "./keychain/keychain.ts";
import { lazy } from "./lazy.ts";
import { createLogger, type Logger } from "./logger.ts";
import { formatCredentials, formatRoles } from "./output.ts";
import {
  choosePrompter,
  type TerminalPrompter,
} from "./prompt/choose_prompter.ts";
import type { Prompter } from "./prompt/prompter.ts";
import { run } from "./run.ts";

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
  /** The terminal. */
  terminal: TerminalPrompter;
  /**
   * Makes a desktop dialog prompter titled with `username` and `host`, or
   * undefined when no dialog can be shown here.
   */
  dialogs?(username: string, host: string): Promise<Prompter | undefined>;
  /** The OS keychain, if this machine has one (made on first use). */
  keychain?(): Promise<Keychain | undefined>;
  /** The home directory, where the cache lives; undefined if there is none. */
  home: string | undefined;
  /** Extra fetch options for STS (tests pass a client trusting their CA). */
  stsRequestInit?: () => RequestInit;
  /** The command that runs this program, for `configure` to write. */
  selfCommand?: () => string[];
  /**
   * Called once when a login (or configure) starts, before anything is
   * asked: main.ts installs its signal handlers there.
   */
  beforeLogin?: () => void | Promise<void>;
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

type ConfigModules = [
  typeof import("./config/aws_config.ts"),
  typeof import("./config/config_file.ts"),
  typeof import("./config/profile_settings.ts"),
];

/** The config-file code, loaded only when a run reads or writes the file. */
function loadConfigModules(): Promise<ConfigModules> {
  return Promise.all([
    import(lazy("./config/aws_config.ts")),
    import(lazy("./config/config_file.ts")),
    import(lazy("./config/profile_settings.ts")),
  ]) as Promise<ConfigModules>;
}

/** The AWS config file's path, with the home this run uses for `~`. */
function awsConfigPath(io: CliIo, modules: ConfigModules): string {
  return modules[1].configFilePath({
    ...io.env,
    HOME: io.env.HOME || io.home,
  });
}

/** Reads `--profile NAME` from the AWS config file; collects warnings. */
function profileReader(io: CliIo, modules: ConfigModules, warnings: string[]) {
  const [{ parseAwsConfig }, { readConfigFile }, { readProfileSettings }] =
    modules;
  return (name: string, given: string[]): ProfileValues => {
    const path = awsConfigPath(io, modules);
    const text = readConfigFile(path);
    const settings = readProfileSettings(
      text === undefined ? undefined : parseAwsConfig(text, path),
      name,
      path,
      new Set(given),
    );
    for (const key of settings.unknownKeys) {
      warnings.push(
        `Ignoring unknown setting ${key} in profile ${name} of ${path}`,
      );
    }
    const { unknownKeys: _, ...values } = settings;
    return { path, values };
  };
}

/** The help text (lib/usage.ts, loaded only when shown). */
async function usage(): Promise<string> {
  return (await import(lazy("./usage.ts")) as typeof import("./usage.ts"))
    .USAGE;
}

/** Whether argv reads a profile from the config file. */
function readsProfile(argv: string[]): boolean {
  return argv.some((a) => a === "--profile" || a.startsWith("--profile="));
}

/**
 * Runs one invocation and returns the exit code: 0, 2 for a usage error, the
 * error's own code otherwise (1, or 130 after Ctrl-C).
 */
export async function cli(argv: string[], io: CliIo): Promise<number> {
  let command: Command;
  const warnings: string[] = [];
  const config = readsProfile(argv) ? await loadConfigModules() : undefined;
  try {
    command = parseCommandLine(
      argv,
      config && profileReader(io, config, warnings),
    );
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr(`awsprocesscreds-saml: ${error.message}\n\n${await usage()}\n`);
    return error.exitCode === 1 ? 2 : error.exitCode;
  }
  if (command.kind === "help") {
    io.stdout(`${await usage()}\n`);
    return 0;
  }
  if (command.kind === "version") {
    const { VERSION } = await import(
      lazy("./version.ts")
    ) as typeof import("./version.ts");
    io.stdout(`awsprocesscreds-saml ${VERSION}\n`);
    return 0;
  }
  const verbose = command.kind === "forget-password"
    ? command.verbose
    : command.options.verbose;
  const logger = createLogger(io.stderr, verbose);
  for (const warning of warnings) logger.warn(warning);
  const noGui = io.env.AWSPROCESSCREDS_NO_GUI === "1" ||
    (command.kind !== "forget-password" && command.options.noGui);
  const prompterFor = (username: string, endpoint: URL) =>
    choosePrompter({
      terminal: io.terminal,
      dialogs: io.dialogs
        ? () => io.dialogs!(username, endpoint.hostname)
        : undefined,
      noGui,
    });
  let prompter: Prompter = io.terminal;
  const cacheDir = io.home === undefined
    ? undefined
    : `${io.home}/.aws/cli/process-creds-cache`;
  try {
    if (command.kind === "forget-password") {
      return await forgetPassword(
        io,
        logger,
        command.username,
        command.endpoint,
      );
    }
    if (command.kind === "configure") {
      const { configure } = await import(
        lazy("./configure.ts")
      ) as typeof import("./configure.ts");
      await io.beforeLogin?.();
      prompter = choosePrompter({ terminal: io.terminal, noGui: true });
      return await configure(command.options, {
        ...io,
        logger,
        prompter,
        configPath: awsConfigPath(io, await loadConfigModules()),
        cacheDir,
      });
    }
    const { options } = command;
    prompter = prompterFor(options.username, options.endpoint);
    if (io.home === undefined && options.cache && !options.listRoles) {
      logger.warn(
        "No home directory (HOME is not set and the password database has none for this user); continuing without the cache",
      );
    }
    const result = await run(options, {
      fetch: io.fetch,
      clock: io.clock,
      logger,
      prompter,
      env: io.env,
      cacheDir,
      stsRequestInit: io.stsRequestInit,
      keychain: io.keychain,
      beforeLogin: io.beforeLogin,
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
      logger.warn(error.message + (verbose ? causes(error) : ""));
      return error.exitCode;
    }
    logger.warn(
      `Unexpected error: ${(error as Error)?.message ?? String(error)}${
        verbose ? `\n${(error as Error)?.stack ?? ""}` : ""
      }`,
    );
    return 1;
  } finally {
    prompter.close();
  }
}

/** --forget-password: removes the keychain entry; no request, nothing on stdout. */
async function forgetPassword(
  io: CliIo,
  logger: Logger,
  username: string,
  endpoint: URL,
): Promise<number> {
  const keychain = await io.keychain?.();
  if (!keychain) {
    logger.debug("No OS keychain here: nothing to forget");
    return 0;
  }
  const host = endpoint.hostname;
  const removed = await keychain.delete(username, host);
  logger.debug(
    removed
      ? `Removed the password of ${username} at ${host} from ${keychain.name}`
      : `${keychain.name} held no password for ${username} at ${host}`,
  );
  return 0;
}
