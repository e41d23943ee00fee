/**
 * The Secret Service (GNOME Keyring, KWallet, KeePassXC…) through
 * `secret-tool` from libsecret. Entries carry the attributes
 * `service awsprocesscreds-saml`, `username USER` and `server HOST`.
 *
 * - store: `secret-tool store --label=LABEL ATTRS…`, the password on stdin
 *   (read to end of input when stdin is not a terminal; no newline is added).
 * - lookup: `secret-tool lookup ATTRS…` prints the password on stdout (no
 *   newline when stdout is a pipe); status 1 with nothing on stderr means no
 *   such entry.
 * - clear: `secret-tool clear ATTRS…`; status 1 with nothing on stderr means
 *   there was nothing to remove.
 *
 * Any other status, or status 1 with a message (no D-Bus session, no Secret
 * Service), is an error.
 *
 * @module
 */
import type { CommandResult } from "../process/run_command.ts";
import {
  exitError,
  type Keychain,
  KEYCHAIN_SERVICE,
  keychainHost,
  keychainLabel,
  keychainOf,
  type KeychainOptions,
  runHelper,
} from "./keychain.ts";

const STORE = "the Secret Service";

function attributes(user: string, host: string): string[] {
  return [
    "service",
    KEYCHAIN_SERVICE,
    "username",
    user,
    "server",
    keychainHost(host),
  ];
}

function quietMiss(result: CommandResult): boolean {
  return result.code === 1 &&
    new TextDecoder().decode(result.stderr).trim() === "";
}

/** A {@link Keychain} over `secret-tool`. */
export function secretToolKeychain(options: KeychainOptions = {}): Keychain {
  const program = options.program ?? "secret-tool";
  return keychainOf(STORE, {
    async get(action, user, host) {
      const result = await runHelper(action, options, {
        program,
        args: ["lookup", ...attributes(user, host)],
      });
      if (result.code === 0) return new TextDecoder().decode(result.stdout);
      if (quietMiss(result)) return undefined;
      throw exitError(action, program, result);
    },
    async set(action, user, host, password) {
      const result = await runHelper(action, options, {
        program,
        args: [
          "store",
          `--label=${keychainLabel(user, host)}`,
          ...attributes(user, host),
        ],
        stdin: password,
      });
      if (result.code !== 0) {
        throw exitError(action, program, result, [password]);
      }
    },
    async delete(action, user, host) {
      const result = await runHelper(action, options, {
        program,
        args: ["clear", ...attributes(user, host)],
      });
      if (result.code === 0) return true;
      if (quietMiss(result)) return false;
      throw exitError(action, program, result);
    },
  });
}
