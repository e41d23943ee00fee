/**
 * Cross-process single-flight: an exclusive OS lock on a sentinel file per
 * cache key (never the data file), taken around the whole login. The lock
 * dies with its process, so a crashed holder never blocks the others.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { CacheError } from "../errors.ts";

/** Another login of the same profile held the lock for the whole wait. */
export class LockTimeoutError extends CacheError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "LockTimeoutError";
  }
}

/**
 * Opens the lock file without following a symlink: an existing one must be a
 * regular file of this user; a new one is created exclusively (O_EXCL, which
 * refuses a symlink too), so no file is ever created outside the directory.
 */
async function openLockFile(path: string): Promise<Deno.FsFile> {
  for (let attempt = 0;; attempt++) {
    let info: Deno.FileInfo | undefined;
    try {
      info = await Deno.lstat(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (info) {
      if (info.isSymlink) throw new Error("it is a symbolic link");
      if (!info.isFile) throw new Error("it is not a regular file");
      if (
        Deno.build.os !== "windows" && info.uid !== null &&
        info.uid !== Deno.uid()
      ) throw new Error("it is owned by another user");
      return await Deno.open(path, { read: true, write: true });
    }
    try {
      return await Deno.open(path, {
        read: true,
        write: true,
        createNew: true,
        mode: 0o600,
      });
    } catch (error) {
      // Another process created it between lstat and open: look again.
      if (!(error instanceof Deno.errors.AlreadyExists) || attempt > 2) {
        throw error;
      }
    }
  }
}

/** A held lock. */
export interface HeldLock {
  /** Unlocks and closes the lock file. */
  release(): void;
}

/** How to wait for the lock. */
export interface LockOptions {
  /** How long to wait for the holder, in ms. */
  timeoutMs: number;
  /** The clock for the deadline and the polls. */
  clock: Clock;
  /** Called once, when the lock is found taken. */
  onWait?: () => void | Promise<void>;
  /** Poll interval in ms (default 100). */
  pollMs?: number;
}

/**
 * Takes the exclusive lock on `path` (created 0600), waiting at most
 * `timeoutMs`.
 *
 * @throws {LockTimeoutError} when the wait runs out.
 * @throws {CacheError} when the lock file cannot be opened or is not to be
 *   trusted (a symlink, another user's file).
 */
export async function acquireLock(
  path: string,
  options: LockOptions,
): Promise<HeldLock> {
  let file: Deno.FsFile;
  try {
    file = await openLockFile(path);
  } catch (error) {
    throw new CacheError(
      `Cannot open the lock file ${path}: ${(error as Error).message}`,
    );
  }
  const deadline = options.clock.now().getTime() + options.timeoutMs;
  let told = false;
  while (!(await file.tryLock(true))) {
    if (!told) {
      told = true;
      await options.onWait?.();
    }
    if (options.clock.now().getTime() >= deadline) {
      file.close();
      throw new LockTimeoutError(
        `Timed out after ${
          options.timeoutMs / 1000
        } s waiting for another login to the same profile to finish (lock ${path}); raise --lock-timeout to wait longer`,
      );
    }
    await options.clock.sleep(options.pollMs ?? 100);
  }
  return {
    release() {
      try {
        file.unlockSync();
      } finally {
        file.close();
      }
    },
  };
}
