/**
 * A login after a cache miss: the per-profile lock (single flight), a second
 * cache look, the IdP session or a full sign-in, roles, STS and the cache
 * write. Loaded by run.ts only on a miss.
 *
 * @module
 */
import type { Options } from "./args.ts";
import { chooseRole } from "./aws/role_choice.ts";
import { parseSamlResponse } from "./aws/saml.ts";
import { assumeRoleWithSaml } from "./aws/sts.ts";
import {
  type CacheEntry,
  type FileCache,
  freshCredentials,
  type IdpSession,
  joinPath,
} from "./cache/file_cache.ts";
import { acquireLock, type HeldLock, LockTimeoutError } from "./cache/lock.ts";
import { prefetchLoginModules } from "./deps.ts";
import { CacheError, PasswordRejectedError } from "./errors.ts";
import { CookieJar } from "./http/cookie_jar.ts";
import { HttpSession } from "./http/http_session.ts";
import { PasswordSource } from "./password_source.ts";
import type { LoginContext } from "./providers/provider.ts";
import { providerEntry } from "./providers/registry.ts";
import type { RunDeps, RunResult } from "./run.ts";

/** How long a saved IdP session is tried at most. */
const IDP_SESSION_MAX_MS = 12 * 3600_000;

/**
 * The IdP session to save from `jar` at `now` (ms): its unexpired cookies,
 * tried for 12 hours at most; undefined when none is left.
 */
export function idpSessionOf(
  jar: CookieJar,
  now: number,
): IdpSession | undefined {
  const cookies = jar.toJSON().filter((c) =>
    c.expires === undefined || c.expires > now
  );
  return cookies.length
    ? { cookies, expires: now + IDP_SESSION_MAX_MS }
    : undefined;
}

/** The cache state run.ts hands over. */
export interface MissState {
  /** The cache, when it is to be used. */
  cache: FileCache | undefined;
  /** This profile's cache key. */
  key: string;
  /** The entry read (stale credentials, a saved IdP session), if any. */
  entry: CacheEntry | undefined;
}

/** Logs in (once per profile across processes) and caches the result. */
export async function loginAndCache(
  options: Options,
  deps: RunDeps,
  state: MissState,
): Promise<RunResult> {
  const { logger, clock } = deps;
  const { key } = state;
  let { cache, entry } = state;
  let lock: HeldLock | undefined;
  if (cache) {
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
      cache = undefined;
    }
  }
  try {
    if (cache) {
      entry = cache.read(key);
      const hit = freshCredentials(entry, clock);
      if (hit) {
        logger.debug("Cache hit after waiting: another process logged in");
        return { kind: "credentials", credentials: hit, cached: true };
      }
    }
    const password = new PasswordSource(
      deps,
      options.username,
      options.endpoint.hostname,
    );
    const { saml, jar } = await getAssertion(
      options,
      whilePrefetching(deps, { sts: !options.listRoles }),
      entry,
      password,
    );
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
    if (cache) {
      try {
        await cache.write(key, {
          credentials,
          roleArn: role.roleArn,
          idpSession: options.sessionReuse
            ? idpSessionOf(jar, clock.now().getTime())
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
  deps = whilePrefetching(deps, { sts: true });
  const password = new PasswordSource(
    deps,
    options.username,
    options.endpoint.hostname,
  );
  return await getAssertion(options, deps, undefined, password);
}

/**
 * `deps` that start loading the parsers and the STS SDK at the first moment
 * the login waits anyway: the first IdP response (the TLS handshake and the
 * first request are out of the way, and the round trips that follow hide the
 * imports), or the first question to the person, whichever comes first.
 * Started earlier, the imports held up the first response instead (measured
 * overhead of an Okta login at 100 ms per response: 261 ms started with the
 * lock held, 154 ms started after the first response; deno task bench
 * --latency).
 */
function whilePrefetching(
  deps: RunDeps,
  what: { sts: boolean },
): RunDeps & { onResponse: () => void } {
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    prefetchLoginModules(what);
  };
  const asking =
    <A extends unknown[], T>(ask: (...a: A) => Promise<T>) =>
    (...a: A): Promise<T> => {
      start();
      return ask(...a);
    };
  const p = deps.prompter;
  return {
    ...deps,
    onResponse: start,
    prompter: {
      secret: asking(p.secret.bind(p)),
      line: asking(p.line.bind(p)),
      choose: asking(p.choose.bind(p)),
      say: p.say.bind(p),
      notice: p.notice.bind(p),
      close: p.close.bind(p),
    },
  };
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
  deps: RunDeps & { onResponse?: () => void },
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
      onResponse: deps.onResponse,
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
