/**
 * Where the home directory is, for the cache. HOME (USERPROFILE on Windows)
 * when set and not empty; else, on Unix, the user's entry in the password
 * database; else none. Never the working directory: credentials written
 * there would land wherever the AWS CLI happened to run.
 *
 * @module
 */

/** What the lookup needs. */
export interface HomeLookup {
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** `Deno.build.os`. */
  os: string;
  /** Reads this user's home from the password database, if it can. */
  passwdHome(): string | undefined;
}

/** The home directory, or undefined when there is none. */
export function homeDirectory(lookup: HomeLookup): string | undefined {
  const { env } = lookup;
  const fromEnv = lookup.os === "windows"
    ? env.USERPROFILE || env.HOME
    : env.HOME;
  if (fromEnv && fromEnv.trim()) return fromEnv;
  if (lookup.os === "windows") return undefined;
  const home = lookup.passwdHome();
  return home && home.startsWith("/") ? home : undefined;
}

/**
 * The home field of the passwd(5) line of user `uid` in `passwd`, the text
 * of /etc/passwd.
 */
export function passwdHomeOf(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split("\n")) {
    const fields = line.split(":");
    if (fields.length >= 7 && fields[2] === String(uid)) return fields[5];
  }
  return undefined;
}
