/**
 * Opt-in storage of the IdP password in the operating system's keychain:
 * the Secret Service on Linux and the BSDs (`secret-tool`), the login
 * Keychain on macOS (`security`), Credential Manager on Windows (PowerShell).
 *
 * Entries are keyed by user and IdP host (lower case, port dropped, see
 * {@link keychainHost}). No implementation ever puts a password in a child's
 * argv: it travels on stdin in, and on stdout back.
 *
 * Every failure is a {@link KeychainError} whose message names the action and
 * the store, e.g. "Cannot read the password for alice at example.okta.com from
 * the Secret Service: secret-tool exited with status 1 (…)". Callers are meant
 * to log it and fall through to asking.
 *
 * @module
 */
import { CliError } from "../errors.ts";
import {
  type CommandResult,
  type CommandRunner,
  type CommandSpec,
  denoCommandRunner,
  exitedWith,
  onPath,
  runCommand,
} from "../process/run_command.ts";
import { type OsName, UNIX_LIKE } from "../process/platform.ts";
import { POWERSHELL_PROGRAMS } from "../process/powershell.ts";
import { macosKeychain } from "./macos_security.ts";
import { secretToolKeychain } from "./secret_tool.ts";
import { windowsCredentialKeychain } from "./windows_credential.ts";

/**
 * The host part of an entry's key: lower case, without a port. Accepts a URL
 * too.
 */
export function keychainHost(host: string): string {
  let h = host.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(h)) {
    try {
      h = new URL(h).host;
    } catch {
      // Not a URL after all; use as given.
    }
  }
  h = h.toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end > 0 ? h.slice(0, end + 1) : h;
  }
  return h.replace(/:\d*$/, "");
}

/** The service name every entry is stored under. */
export const KEYCHAIN_SERVICE = "awsprocesscreds-saml";

/** A store for one password per user and IdP host. */
export interface Keychain {
  /** The store, for messages: "the Secret Service", "the macOS Keychain", … */
  readonly name: string;
  /**
   * The stored password, or `undefined` when there is none.
   *
   * @throws {KeychainError} when the store cannot be read.
   */
  get(user: string, host: string): Promise<string | undefined>;
  /**
   * Stores (or replaces) the password.
   *
   * @throws {KeychainError} when it cannot be stored.
   */
  set(user: string, host: string, password: string): Promise<void>;
  /**
   * Removes the password; `false` when there was none.
   *
   * @throws {KeychainError} when the store cannot be changed.
   */
  delete(user: string, host: string): Promise<boolean>;
}

/** A keychain operation failed; the message says which, where, and why. */
export class KeychainError extends CliError {
  /** "KeychainError". */
  override get name(): string {
    return "KeychainError";
  }
}

/** Options shared by the keychain implementations. */
export interface KeychainOptions {
  /** Starts the helper program (default: the real runner). */
  runner?: CommandRunner;
  /**
   * How long one helper may run (default {@link DEFAULT_KEYCHAIN_TIMEOUT_MS});
   * a locked store may show its own unlock prompt meanwhile.
   */
  timeoutMs?: number;
  /** Variables added to the helper's environment (tests set D-Bus here). */
  env?: Record<string, string>;
  /** The program to run, when not the usual name. */
  program?: string;
}

/** Two minutes: enough to type a keyring's unlock password. */
export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 120_000;

/** The account name used where a store has one field for both: `user@host`. */
export function keychainAccount(user: string, host: string): string {
  return `${user}@${keychainHost(host)}`;
}

/** The label shown by keychain managers for an entry. */
export function keychainLabel(user: string, host: string): string {
  return `${KEYCHAIN_SERVICE}: ${user} at ${keychainHost(host)}`;
}

/** Rejects values no store can key on. */
export function checkKey(action: string, user: string, host: string): void {
  if (user === "" || keychainHost(host) === "") {
    throw new KeychainError(`${action}: the user name or host is empty`);
  }
  if (/[\0\r\n]/.test(user + host)) {
    throw new KeychainError(
      `${action}: the user name or host has a line break or NUL in it`,
    );
  }
}

/** "for alice at example.okta.com": the entry, as messages name it. */
export function entryName(user: string, host: string): string {
  return `for ${user} at ${keychainHost(host)}`;
}

/**
 * Runs a keychain helper for `action` ("Cannot read the password … from …"),
 * turning a missing program or a timeout into a {@link KeychainError}.
 */
export async function runHelper(
  action: string,
  options: KeychainOptions,
  spec: CommandSpec,
): Promise<CommandResult> {
  const runner = options.runner ?? denoCommandRunner;
  const timeoutMs = options.timeoutMs ?? DEFAULT_KEYCHAIN_TIMEOUT_MS;
  let result;
  try {
    result = await runCommand(
      runner,
      { ...spec, env: { ...spec.env, ...options.env } },
      timeoutMs,
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new KeychainError(`${action}: ${spec.program} was not found`);
    }
    throw new KeychainError(
      `${action}: ${spec.program} could not be started (${
        (error as Error).message
      })`,
      { cause: error },
    );
  }
  if (result.timedOut) {
    throw new KeychainError(
      `${action}: ${spec.program} did not finish within ${
        Math.round(timeoutMs / 1000)
      } s (is the store locked and waiting for its password?)`,
    );
  }
  return result;
}

/** The error for a helper that ended with an unexpected status. */
export function exitError(
  action: string,
  program: string,
  result: CommandResult,
  redact: string[] = [],
): KeychainError {
  return new KeychainError(
    `${action}: ${
      exitedWith(program, result, (detail) => {
        for (const secret of redact) {
          if (secret) detail = detail.split(secret).join("***");
        }
        return detail;
      })
    }`,
  );
}

/** What one store does, given the message prefix of the action. */
export interface KeychainOps {
  /** Reads the password, or undefined when there is none. */
  get(action: string, user: string, host: string): Promise<string | undefined>;
  /** Stores a (non-empty) password. */
  set(
    action: string,
    user: string,
    host: string,
    password: string,
  ): Promise<void>;
  /** Removes the password; false when there was none. */
  delete(action: string, user: string, host: string): Promise<boolean>;
}

/**
 * A {@link Keychain} named `name` over `ops`, with what every store shares:
 * the message of each action ("Cannot read the password … from NAME"), the
 * key checks, and the refusal of an empty password.
 */
export function keychainOf(name: string, ops: KeychainOps): Keychain {
  const action = (verb: string, user: string, host: string) => {
    const text = `${verb} ${entryName(user, host)} ${
      verb.startsWith("Cannot store") ? "in" : "from"
    } ${name}`;
    checkKey(text, user, host);
    return text;
  };
  return {
    name,
    get: (user, host) =>
      ops.get(action("Cannot read the password", user, host), user, host),
    async set(user, host, password) {
      const text = action("Cannot store the password", user, host);
      if (password === "") {
        throw new KeychainError(`${text}: the password is empty`);
      }
      await ops.set(text, user, host, password);
    },
    delete: (user, host) =>
      ops.delete(action("Cannot remove the password", user, host), user, host),
  };
}

/**
 * The keychain for an operating system, or `undefined` when its helper is
 * missing. Pure apart from the `has` it is given.
 *
 * @param os `Deno.build.os`.
 * @param has Whether a program of that name is on PATH.
 */
export function chooseKeychain(
  os: OsName,
  has: (program: string) => boolean,
  options: KeychainOptions = {},
): Keychain | undefined {
  if (UNIX_LIKE.includes(os)) {
    const program = options.program ?? "secret-tool";
    return has(program)
      ? secretToolKeychain({ ...options, program })
      : undefined;
  }
  if (os === "darwin") {
    const program = options.program ?? "security";
    return has(program) ? macosKeychain({ ...options, program }) : undefined;
  }
  if (os === "windows") {
    const programs = options.program ? [options.program] : POWERSHELL_PROGRAMS;
    const program = programs.find(has);
    return program
      ? windowsCredentialKeychain({ ...options, program })
      : undefined;
  }
  return undefined;
}

/** {@link chooseKeychain} for this machine (its OS, and PATH from `env`). */
export function systemKeychain(
  env: Readonly<Record<string, string | undefined>>,
  options: KeychainOptions = {},
): Keychain | undefined {
  const os = Deno.build.os;
  return chooseKeychain(os, (program) => onPath(program, env, os), options);
}
