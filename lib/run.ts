/**
 * One invocation: the cache lookup, and on a miss the login (login.ts,
 * loaded only then, so a cache hit costs little more than Deno's start-up).
 * All I/O comes in as parameters; main.ts wires the real ones.
 *
 * @module
 */
import type { Options } from "./args.ts";
import type { RolePair } from "./aws/saml.ts";
import type { AwsCredentials } from "./aws/sts.ts";
import {
  type CacheEntry,
  cacheKey,
  FileCache,
  freshCredentials,
} from "./cache/file_cache.ts";
import type { Clock } from "./clock.ts";
import { CacheError } from "./errors.ts";
import type { Keychain } from "./keychain/keychain.ts";
import type { Logger } from "./logger.ts";
import { lazy } from "./lazy.ts";
import type { Prompter } from "./prompt/prompter.ts";

/** The I/O a run uses. */
export interface RunDeps {
  /** HTTP. */
  fetch: typeof fetch;
  /** Time. */
  clock: Clock;
  /** The -v log and warnings. */
  logger: Logger;
  /** The way to ask the person. */
  prompter: Prompter;
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** The cache directory (~/.aws/cli/process-creds-cache); none without a home. */
  cacheDir: string | undefined;
  /** Extra fetch options for STS (tests pass a client trusting their CA). */
  stsRequestInit?: () => RequestInit;
  /** The OS keychain, if this machine has one (looked up on first use). */
  keychain?: () => Promise<Keychain | undefined>;
  /** Called once when a login starts (after a cache miss). */
  beforeLogin?: () => void | Promise<void>;
}

/** What a run produced. */
export type RunResult =
  | { kind: "credentials"; credentials: AwsCredentials; cached: boolean }
  | { kind: "roles"; roles: RolePair[] }
  | { kind: "cleared"; removed: boolean; path: string };

/** Runs one invocation. */
export async function run(options: Options, deps: RunDeps): Promise<RunResult> {
  const { logger, clock } = deps;
  const cache = deps.cacheDir === undefined
    ? undefined
    : new FileCache(deps.cacheDir, logger);
  const key = cacheKey({
    provider: options.provider,
    endpoint: options.endpoint.href,
    username: options.username,
    roleArn: options.roleArn,
    duration: options.duration,
    region: options.region,
  });
  if (options.clearCache) {
    if (!cache) {
      throw new CacheError(
        "Cannot clear the cache: there is no home directory to hold it",
      );
    }
    const removed = await cache.remove(key);
    return { kind: "cleared", removed, path: cache.path(key) };
  }
  // A cache that cannot be used costs the cache, never the login.
  const usable = options.cache && !options.listRoles ? cache : undefined;
  let entry: CacheEntry | undefined;
  if (usable) {
    entry = usable.read(key);
    const hit = freshCredentials(entry, clock);
    logger.debug(`Cache ${hit ? "hit" : "miss"}: ${usable.path(key)}`);
    if (hit) return { kind: "credentials", credentials: hit, cached: true };
  }
  // A miss: everything a login needs is loaded only now.
  await deps.beforeLogin?.();
  const { loginAndCache } = await import(
    lazy("./login.ts")
  ) as typeof import("./login.ts");
  return await loginAndCache(options, deps, {
    cache: usable,
    key,
    entry,
  });
}
