/**
 * Cross-process single-flight: an exclusive OS lock on a sentinel file per
 * cache key (never the data file), taken around the whole login. The lock
 * dies with its process, so a crashed holder never blocks the others.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { CacheError } from "../errors.ts";

/** A held lock. */
export interface HeldLock {
  release(): void;
}

/** How to wait for the lock. */
export interface LockOptions {
  timeoutMs: number;
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
 * @throws {CacheError} when the wait runs out.
 */
export async function acquireLock(
  path: string,
  options: LockOptions,
): Promise<HeldLock> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, {
      read: true,
      write: true,
      create: true,
      mode: 0o600,
    });
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
      throw new CacheError(
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
