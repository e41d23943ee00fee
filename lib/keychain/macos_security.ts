/**
 * The macOS login Keychain through `/usr/bin/security`: a generic password
 * with service `awsprocesscreds-saml` and account `USER@HOST`.
 *
 * Keeping the password out of argv: `security -i` reads commands from stdin,
 * one per line, and runs each as if it had been given as arguments. The store
 * command is written there:
 *
 *     add-generic-password -U -s "awsprocesscreds-saml" -a "USER@HOST" -l "LABEL" -X HEX
 *
 * so the child's argv is only `security -i`. `-X` gives the password as hex of
 * its UTF-8 bytes, which needs no quoting at all and stores the same bytes as
 * `-w`. The other fields are quoted for security's own line splitter
 * (`split_line` in SecurityTool's security.c): inside double quotes a
 * backslash takes the next character literally and the closing quote ends the
 * argument, so `\` and `"` are escaped with a backslash; a line break, carriage
 * return or NUL cannot be quoted and is refused. A line is read into a
 * 4096-byte buffer, so a line longer than {@link MAX_LINE} bytes is refused
 * (a password of about 1,900 bytes). `-i` only prints a prompt when stdin is
 * a terminal, and exits with the status of the last command; because that
 * status is an OSStatus cut to 8 bits, the stored value is read back and
 * compared before `set` reports success.
 *
 * Reading: `find-generic-password -s … -a … -g` prints the attributes on
 * stdout and `password: …` on stderr, either `"text"` when every byte is
 * printable ASCII other than a backslash, or `0xHEX` (optionally followed by
 * a quoted rendering) otherwise, which is unambiguous, unlike `-w` (raw text
 * or bare hex). Status 44 (errSecItemNotFound, -25300, cut to 8 bits) means
 * no such item, for find and for delete.
 *
 * @module
 */
import {
  exitError,
  type Keychain,
  KEYCHAIN_SERVICE,
  keychainAccount,
  KeychainError,
  keychainLabel,
  keychainOf,
  type KeychainOptions,
  runHelper,
} from "./keychain.ts";

const STORE = "the macOS Keychain";

/** `security`'s exit status for errSecItemNotFound. */
export const ITEM_NOT_FOUND_EXIT = 44;

/** Longest command line (without its newline) `security -i` reads whole. */
export const MAX_LINE = 4094;

/**
 * One argument on a `security -i` line.
 *
 * @throws {Error} for a value with a line break, carriage return or NUL.
 */
export function securityQuote(value: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new Error("a line break or NUL cannot be passed to security -i");
  }
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The stdin line that stores `password` (ending in a newline). */
export function addPasswordLine(
  user: string,
  host: string,
  password: string,
): string {
  return [
    "add-generic-password",
    "-U",
    "-s",
    securityQuote(KEYCHAIN_SERVICE),
    "-a",
    securityQuote(keychainAccount(user, host)),
    "-l",
    securityQuote(keychainLabel(user, host)),
    "-X",
    hex(new TextEncoder().encode(password)),
  ].join(" ") + "\n";
}

/**
 * The password from `find-generic-password -g`'s stderr, or `undefined` when
 * it has no `password:` line.
 */
export function parsePasswordLine(stderr: string): string | undefined {
  const line = stderr.split(/\r?\n/).find((l) => l.startsWith("password:"));
  if (line === undefined) return undefined;
  const value = line.slice("password:".length).replace(/^ /, "");
  if (value === "") return "";
  const hexMatch = /^0x([0-9a-fA-F]*)(?:\s|$)/.exec(value);
  if (hexMatch) {
    const digits = hexMatch[1];
    const bytes = new Uint8Array(digits.length / 2);
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
    }
    return new TextDecoder().decode(bytes);
  }
  if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
    return value.slice(1, -1);
  }
  return undefined;
}

/** A {@link Keychain} over macOS `security`. */
export function macosKeychain(options: KeychainOptions = {}): Keychain {
  const program = options.program ?? "security";

  async function read(
    action: string,
    user: string,
    host: string,
  ): Promise<string | undefined> {
    const result = await runHelper(action, options, {
      program,
      args: [
        "find-generic-password",
        "-s",
        KEYCHAIN_SERVICE,
        "-a",
        keychainAccount(user, host),
        "-g",
      ],
    });
    if (result.code === ITEM_NOT_FOUND_EXIT) return undefined;
    if (result.code !== 0) throw exitError(action, program, result);
    const password = parsePasswordLine(new TextDecoder().decode(result.stderr));
    if (password === undefined) {
      throw new KeychainError(
        `${action}: ${program} printed no password line`,
      );
    }
    return password;
  }

  return keychainOf(STORE, {
    get: read,
    async set(action, user, host, password) {
      const line = addPasswordLine(user, host, password);
      if (new TextEncoder().encode(line).length - 1 > MAX_LINE) {
        throw new KeychainError(`${action}: the password is too long`);
      }
      const result = await runHelper(action, options, {
        program,
        args: ["-i"],
        stdin: line,
      });
      if (result.code !== 0) {
        throw exitError(action, program, result, [
          password,
          hex(new TextEncoder().encode(password)),
        ]);
      }
      const stored = await read(action, user, host);
      if (stored !== password) {
        throw new KeychainError(
          `${action}: ${program} reported success but the Keychain does not hold the new password`,
        );
      }
    },
    async delete(action, user, host) {
      const result = await runHelper(action, options, {
        program,
        args: [
          "delete-generic-password",
          "-s",
          KEYCHAIN_SERVICE,
          "-a",
          keychainAccount(user, host),
        ],
      });
      if (result.code === 0) return true;
      if (result.code === ITEM_NOT_FOUND_EXIT) return false;
      throw exitError(action, program, result);
    },
  });
}
