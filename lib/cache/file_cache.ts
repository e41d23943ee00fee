/**
 * The credential cache: one JSON file per profile in
 * ~/.aws/cli/process-creds-cache (the original tool's place), directory 0700,
 * files 0600, written atomically. An entry is trusted only if it is a regular
 * file owned by this user with mode 0600 and well-formed; anything else is a
 * miss with a warning, and the next login replaces it.
 *
 * @module
 */
import { sha256Hex } from "./sha256.ts";
import type { Clock } from "../clock.ts";
import type { Cookie } from "../http/cookie_jar.ts";
import { CacheError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { AwsCredentials } from "../aws/sts.ts";

/**
 * Joins a directory and a file name. Forward slashes work on every OS Deno
 * runs on; node:path would load the Node compatibility layer on the cache-hit
 * path (about 5 ms).
 */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") || dir.endsWith("\\")
    ? dir + name
    : `${dir}/${name}`;
}

/** Credentials are reused only while more than this remains (botocore asks again inside 15 minutes). */
export const EXPIRY_WINDOW_MS = 15 * 60_000;

/** What identifies one cached profile. */
export interface CacheKeyInput {
  /** The `-p` provider. */
  provider: string;
  /** The IdP URL, as a normalised href. */
  endpoint: string;
  /** The IdP user name. */
  username: string;
  /** The role asked for, if any. */
  roleArn?: string;
  /** The DurationSeconds asked for, if any. */
  duration?: number;
  /** The STS region asked for, if any. */
  region?: string;
}

/** A saved IdP session: its cookies, so a new assertion needs no password. */
export interface IdpSession {
  /** The IdP session cookies. */
  cookies: Cookie[];
  /** Epoch ms after which the session is not tried any more. */
  expires: number;
}

/** What one cache file holds. */
export interface CacheEntry {
  /** The cached credentials, if any. */
  credentials?: AwsCredentials;
  /** The role asked for, if any. */
  roleArn?: string;
  /** The saved IdP session, if any. */
  idpSession?: IdpSession;
}

/** Returns the cache key: a SHA-256 hex digest of the identifying fields. */
export function cacheKey(input: CacheKeyInput): string {
  const canonical = JSON.stringify([
    input.provider,
    input.endpoint,
    input.username,
    input.roleArn ?? null,
    input.duration ?? null,
    input.region ?? null,
  ]);
  return sha256Hex(new TextEncoder().encode(canonical));
}

/** Whether credentials are still good for more than the expiry window. */
export function isFresh(credentials: AwsCredentials, now: Date): boolean {
  return credentials.expiration.getTime() - now.getTime() > EXPIRY_WINDOW_MS;
}

function parseEntry(text: string): CacheEntry | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (r.Version !== 1) return undefined;
  const entry: CacheEntry = {};
  if (r.Credentials !== undefined) {
    const c = r.Credentials as Record<string, unknown>;
    const expiration = new Date(String(c?.Expiration));
    if (
      typeof c?.AccessKeyId !== "string" ||
      typeof c.SecretAccessKey !== "string" ||
      typeof c.SessionToken !== "string" || Number.isNaN(expiration.getTime())
    ) return undefined;
    entry.credentials = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration,
    };
  }
  if (typeof r.RoleArn === "string") entry.roleArn = r.RoleArn;
  if (r.IdpSession !== undefined) {
    const s = r.IdpSession as Record<string, unknown>;
    if (!Array.isArray(s?.Cookies) || typeof s.Expires !== "number") {
      return undefined;
    }
    entry.idpSession = { cookies: s.Cookies as Cookie[], expires: s.Expires };
  }
  return entry;
}

function serializeEntry(entry: CacheEntry): string {
  const out: Record<string, unknown> = { Version: 1 };
  if (entry.credentials) {
    out.Credentials = {
      AccessKeyId: entry.credentials.accessKeyId,
      SecretAccessKey: entry.credentials.secretAccessKey,
      SessionToken: entry.credentials.sessionToken,
      Expiration: entry.credentials.expiration.toISOString(),
    };
  }
  if (entry.roleArn) out.RoleArn = entry.roleArn;
  if (entry.idpSession) {
    out.IdpSession = {
      Cookies: entry.idpSession.cookies,
      Expires: entry.idpSession.expires,
    };
  }
  return JSON.stringify(out);
}

/** The file-backed cache in one directory. */
export class FileCache {
  /** The cache directory. */
  readonly dir: string;
  #logger: Logger;
  #isWindows = Deno.build.os === "windows";

  /** Uses `dir` (created 0700 on first write). */
  constructor(dir: string, logger: Logger) {
    this.dir = dir;
    this.#logger = logger;
  }

  /** Path of the entry for `key`. */
  path(key: string): string {
    return joinPath(this.dir, `${key}.json`);
  }

  /**
   * Reads an entry. Missing is undefined; untrustworthy or corrupt is
   * undefined with a warning on stderr.
   */
  read(key: string): CacheEntry | undefined {
    const path = this.path(key);
    let info: Deno.FileInfo;
    try {
      // Synchronous on purpose: this is the cache-hit path, and a small local
      // read costs less than the hand-off to a thread and back (measured:
      // 0.47 against 0.9 ms for the whole read).
      info = Deno.lstatSync(path);
    } catch (error) {
      // No entry, or no cache directory at all (a path part is a file): a
      // plain miss; writing will say what is wrong, if anything.
      if (
        error instanceof Deno.errors.NotFound ||
        error instanceof Deno.errors.NotADirectory
      ) return undefined;
      this.#warnOnce(`Ignoring the cache entry ${path}: cannot read it`);
      return undefined;
    }
    if (info.isDirectory) {
      // Not an entry anyone could plant credentials in; the write will fail
      // and say so.
      this.#logger.debug(`Cache entry ${path} is a directory: a miss`);
      return undefined;
    }
    const problem = this.#distrust(info);
    if (problem) {
      this.#warnOnce(
        `Ignoring the cache entry ${path}: ${problem}; a fresh login will replace it`,
      );
      return undefined;
    }
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch {
      this.#warnOnce(`Ignoring the cache entry ${path}: cannot read it`);
      return undefined;
    }
    const entry = parseEntry(text);
    if (!entry) {
      this.#warnOnce(
        `Ignoring the cache entry ${path}: it is malformed; a fresh login will replace it`,
      );
    }
    return entry;
  }

  /** The entry is read twice (before and after the lock): say things once. */
  #warned = new Set<string>();

  #warnOnce(message: string): void {
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    this.#logger.warn(message);
  }

  #distrust(info: Deno.FileInfo): string | undefined {
    if (info.isSymlink) return "it is a symbolic link";
    if (!info.isFile) return "it is not a regular file";
    if (this.#isWindows) return undefined;
    if (info.uid !== null && info.uid !== Deno.uid()) {
      return "it is owned by another user";
    }
    if (info.mode !== null && (info.mode & 0o777) !== 0o600) {
      return `its mode is ${(info.mode & 0o777).toString(8)}, not 600`;
    }
    return undefined;
  }

  /**
   * Creates the directory with mode 0700, and checks an existing one: it
   * must be a directory (not a symlink) owned by this user and writable by
   * no one else; group or world read access on it is removed.
   *
   * @throws {CacheError} naming the directory and what is wrong with it.
   */
  async ensureDir(): Promise<void> {
    try {
      await Deno.mkdir(this.dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new CacheError(
        `Cannot create the cache directory ${this.dir}: ${
          (error as Error).message
        }`,
      );
    }
    const problem = await this.#distrustDir();
    if (problem) {
      throw new CacheError(
        `Cannot use the cache directory ${this.dir}: ${problem}`,
      );
    }
  }

  /**
   * Why the directory must not hold credentials, or undefined: it must be a
   * real directory (not a symlink) owned by this user that nobody else can
   * write to. Group or world read access on a directory of ours is removed.
   */
  async #distrustDir(): Promise<string | undefined> {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(this.dir);
    } catch (error) {
      return `cannot inspect it (${(error as Error).message})`;
    }
    if (info.isSymlink) return "it is a symbolic link";
    if (!info.isDirectory) return "it is not a directory";
    if (this.#isWindows || info.mode === null) return undefined;
    if (info.uid !== null && info.uid !== Deno.uid()) {
      return "it is owned by another user";
    }
    if ((info.mode & 0o022) !== 0) {
      return `others can write to it (mode ${
        (info.mode & 0o777).toString(8)
      }, expected 700)`;
    }
    if ((info.mode & 0o077) !== 0) {
      try {
        await Deno.chmod(this.dir, 0o700);
      } catch (error) {
        return `cannot make it private (${(error as Error).message})`;
      }
    }
    return undefined;
  }

  /**
   * Writes an entry atomically: a 0600 temporary file in the same directory,
   * then a rename over the old entry. Leftover temporary files of this key
   * (from a process killed mid-write) are removed first.
   */
  async write(key: string, entry: CacheEntry): Promise<void> {
    await this.ensureDir();
    await this.#removeTemporaries(key);
    const tmp = joinPath(
      this.dir,
      `${key}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`,
    );
    try {
      await Deno.writeTextFile(tmp, serializeEntry(entry), {
        mode: 0o600,
        createNew: true,
      });
      await Deno.rename(tmp, this.path(key));
    } catch (error) {
      await Deno.remove(tmp).catch(() => {});
      throw new CacheError(
        `Cannot write the cache entry ${this.path(key)}: ${
          (error as Error).message
        }`,
      );
    }
  }

  /** Removes the entry for `key`; returns whether there was one. */
  async remove(key: string): Promise<boolean> {
    try {
      await Deno.remove(this.path(key));
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw new CacheError(
        `Cannot remove the cache entry ${this.path(key)}: ${
          (error as Error).message
        }`,
      );
    }
  }

  async #removeTemporaries(key: string): Promise<void> {
    try {
      for await (const item of Deno.readDir(this.dir)) {
        if (item.name.startsWith(`${key}.`) && item.name.endsWith(".tmp")) {
          await Deno.remove(joinPath(this.dir, item.name)).catch(() => {});
        }
      }
    } catch {
      // Nothing to tidy.
    }
  }
}

/** Reads fresh credentials from an entry, or undefined. */
export function freshCredentials(
  entry: CacheEntry | undefined,
  clock: Clock,
): AwsCredentials | undefined {
  const c = entry?.credentials;
  return c && isFresh(c, clock.now()) ? c : undefined;
}
