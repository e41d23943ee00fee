/**
 * The pipeline: cache lookup, single-flight lock, IdP login (or IdP session
 * reuse), SAML roles, role choice, STS, cache store. All I/O comes in as
 * parameters; main.ts wires the real ones.
 *
 * @module
 */
import type { Options } from "./args.ts";
import {
  type CacheEntry,
  cacheKey,
  FileCache,
  freshCredentials,
  joinPath,
} from "./cache/file_cache.ts";
import type { Clock } from "./clock.ts";
import { CookieJar } from "./http/cookie_jar.ts";
import { CacheError, PasswordRejectedError } from "./errors.ts";
import type { Keychain } from "./keychain/keychain.ts";
import { keychainHost } from "./keychain/keychain_host.ts";
import { PasswordSource } from "./password_source.ts";
import { HttpSession } from "./http/http_session.ts";
import { acquireLock, type HeldLock, LockTimeoutError } from "./cache/lock.ts";
import { prefetchLoginModules } from "./deps.ts";
import type { Logger } from "./logger.ts";
import type { Prompter } from "./prompt/prompter.ts";
import type { LoginContext } from "./providers/provider.ts";
import { providerEntry } from "./providers/registry.ts";
import { chooseRole } from "./aws/role_choice.ts";
import { parseSamlResponse, type RolePair } from "./aws/saml.ts";
import { assumeRoleWithSaml, type AwsCredentials } from "./aws/sts.ts";

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
}

/** What a run produced. */
export type RunResult =
  | { kind: "credentials"; credentials: AwsCredentials; cached: boolean }
  | { kind: "roles"; roles: RolePair[] }
  | { kind: "cleared"; removed: boolean; path: string };

/** How long a saved IdP session is tried at most. */
export const IDP_SESSION_MAX_MS = 12 * 3600_000;

/** Runs one invocation. */
export async function run(options: Options, deps: RunDeps): Promise<RunResult> {
  const { logger, clock } = deps;
  const cache = deps.cacheDir === undefined
    ? undefined
    : new FileCache(deps.cacheDir, logger);
  const key = await cacheKey({
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
  let useCache = !!cache && options.cache && !options.listRoles;
  let entry: CacheEntry | undefined;
  if (cache && useCache) {
    entry = await cache.read(key);
    const hit = freshCredentials(entry, clock);
    logger.debug(`Cache ${hit ? "hit" : "miss"}: ${cache.path(key)}`);
    if (hit) return { kind: "credentials", credentials: hit, cached: true };
  }
  let lock: HeldLock | undefined;
  if (cache && useCache) {
    try {
      await cache.ensureDir();
      lock = await acquireLock(joinPath(cache.dir, `${key}.lock`), {
        timeoutMs: options.lockTimeoutMs,
        clock,
        onWait: async () => {
          logger.debug("Waiting for another login to the same profile");
          await deps.prompter.say(
            "Another login for this profile is in progress; waiting for it...",
          );
        },
      });
    } catch (error) {
      if (!(error instanceof CacheError) || error instanceof LockTimeoutError) {
        throw error;
      }
      logger.warn(`${error.message}; continuing without the cache`);
      useCache = false;
    }
  }
  prefetchLoginModules({ sts: !options.listRoles });
  try {
    if (cache && useCache) {
      entry = await cache.read(key);
      const hit = freshCredentials(entry, clock);
      if (hit) {
        logger.debug("Cache hit after waiting: another process logged in");
        return { kind: "credentials", credentials: hit, cached: true };
      }
    }
    const password = new PasswordSource(
      deps,
      options.username,
      keychainHost(options.endpoint.hostname),
    );
    const { saml, jar } = await getAssertion(options, deps, entry, password);
    const info = await parseSamlResponse(saml);
    logger.debug(
      `The assertion grants ${info.roles.length} role(s)${
        info.sessionDuration ? `, SessionDuration ${info.sessionDuration}` : ""
      }`,
    );
    if (options.listRoles) return { kind: "roles", roles: info.roles };
    const role = await chooseRole(info.roles, options.roleArn, deps.prompter);
    logger.debug(
      `Role chosen: ${role.roleArn} (provider ${role.principalArn})`,
    );
    const credentials = await assumeRoleWithSaml({
      role,
      samlResponse: saml,
      durationSeconds: options.duration ?? info.sessionDuration,
      region: options.region,
      timeoutMs: options.timeoutMs,
      env: deps.env,
      logger,
      requestInit: deps.stsRequestInit,
    });
    if (cache && useCache) {
      const now = clock.now().getTime();
      const cookies = jar.toJSON().filter((c) =>
        c.expires === undefined || c.expires > now
      );
      try {
        await cache.write(key, {
          credentials,
          roleArn: role.roleArn,
          idpSession: options.sessionReuse && cookies.length
            ? { cookies, expires: now + IDP_SESSION_MAX_MS }
            : undefined,
        });
        logger.debug(`Cached until ${credentials.expiration.toISOString()}`);
      } catch (error) {
        if (!(error instanceof CacheError)) throw error;
        logger.warn(
          `${error.message}; the new credentials are printed but not cached`,
        );
      }
    }
    if (options.savePassword) await password.save();
    return { kind: "credentials", credentials, cached: false };
  } finally {
    lock?.release();
  }
}

/**
 * Signs in from scratch (no cache, no saved session, no lock) and returns
 * the assertion and the IdP session's cookies: what `configure` needs.
 */
export async function signIn(
  options: Options,
  deps: RunDeps,
): Promise<{ saml: string; jar: CookieJar }> {
  prefetchLoginModules({ sts: true });
  const password = new PasswordSource(
    deps,
    options.username,
    keychainHost(options.endpoint.hostname),
  );
  return await getAssertion(options, deps, undefined, password);
}

async function getAssertion(
  options: Options,
  deps: RunDeps,
  entry: CacheEntry | undefined,
  password: PasswordSource,
): Promise<{ saml: string; jar: CookieJar }> {
  const registered = providerEntry(options.provider);
  if (!registered) throw new Error(`No provider ${options.provider}`);
  const provider = await registered.load();
  const saved = options.sessionReuse && entry?.idpSession &&
      entry.idpSession.expires > deps.clock.now().getTime()
    ? entry.idpSession
    : undefined;
  if (saved) {
    const jar = new CookieJar(saved.cookies);
    for (const value of jar.values()) deps.logger.secret(value);
    const ctx = loginContext(options, deps, jar, password);
    deps.logger.debug("Trying the saved IdP session");
    const saml = await provider.resume(ctx);
    if (saml) {
      deps.logger.debug("The saved IdP session gave a new assertion");
      return { saml, jar };
    }
    deps.logger.debug("The saved IdP session was refused; logging in");
  }
  for (;;) {
    const jar = new CookieJar();
    const ctx = loginContext(options, deps, jar, password);
    try {
      return { saml: await provider.login(ctx), jar };
    } catch (error) {
      // A stored password is tried once; then it is deleted and asked for.
      if (
        !(error instanceof PasswordRejectedError) || !(await password.refused())
      ) {
        throw error;
      }
    }
  }
}

function loginContext(
  options: Options,
  deps: RunDeps,
  jar: CookieJar,
  password: PasswordSource,
): LoginContext {
  let envCode = deps.env.AWSPROCESSCREDS_MFA_CODE;
  deps.logger.secret(envCode);
  const ctx: LoginContext = {
    http: new HttpSession({
      fetch: deps.fetch,
      clock: deps.clock,
      logger: deps.logger,
      timeoutMs: options.timeoutMs,
      jar,
    }),
    prompter: deps.prompter,
    logger: deps.logger,
    clock: deps.clock,
    endpoint: options.endpoint,
    username: options.username,
    password: () => password.get(),
    mfaTimeoutMs: options.mfaTimeoutMs,
    takeEnvCode() {
      const code = envCode;
      envCode = undefined;
      return code;
    },
  };
  if (options.mfa) ctx.mfa = options.mfa;
  return ctx;
}
