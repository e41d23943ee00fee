/**
 * `awsprocesscreds-saml configure`: asks for what its flags do not give,
 * signs in once, lets the person pick granted roles, and writes one
 * `[profile NAME]` per role into the AWS config file, each with the
 * `saml_*` settings and `credential_process = <this program> --profile
 * NAME`. The first chosen role is assumed at once and cached under its
 * profile's key; every other chosen profile gets the IdP session, so its
 * first use needs no password while that session lives.
 *
 * @module
 */
import type { ConfigureOptions, Options } from "./args.ts";
import { cacheKey, FileCache, freshCredentials } from "./cache/file_cache.ts";
import type { CliIo } from "./cli.ts";
import { readConfigFile, writeConfigFile } from "./config/config_file.ts";
import { updateProfiles } from "./config/config_update.ts";
import { KEY_PREFIX, PROFILE_KEYS } from "./config/profile_keys.ts";
import { quoteCommand } from "./config/shell_quote.ts";
import { NoTerminalError, UsageError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { Prompter } from "./prompt/prompter.ts";
import { providerEntry, PROVIDERS } from "./providers/registry.ts";
import { idpSessionOf, signIn } from "./login.ts";
import { parseSamlResponse, type RolePair } from "./aws/saml.ts";
import { assumeRoleWithSaml } from "./aws/sts.ts";

/** What configure uses beyond the program's I/O. */
export interface ConfigureDeps extends CliIo {
  /** The -v log and warnings. */
  logger: Logger;
  /** Asks on the terminal. */
  prompter: Prompter;
  /** The AWS config file to write. */
  configPath: string;
  /** The credentials cache directory; none without a home. */
  cacheDir: string | undefined;
}

/** Whether `key` is one configure writes (the rest of a section stays). */
export function ownedKey(key: string): boolean {
  return key === "credential_process" || key.startsWith(KEY_PREFIX);
}

/** The default profile name: `<prefix><account>-<role name>` (last path part). */
export function defaultProfileName(prefix: string, roleArn: string): string {
  const account = roleArn.split(":")[4] ?? "";
  const name = roleArn.slice(roleArn.indexOf(":role/") + 6).split("/").at(-1);
  return `${prefix}${account}-${name}`;
}

/**
 * Reads "2, 3", "2 3" or "all" against `count` items; undefined when the
 * answer is not that.
 */
export function parseSelection(
  answer: string,
  count: number,
): number[] | undefined {
  const text = answer.trim().toLowerCase();
  if (text === "all" || text === "*") {
    return Array.from({ length: count }, (_, i) => i);
  }
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) return undefined;
  const picked: number[] = [];
  for (const part of parts) {
    if (!/^\d+$/.test(part)) return undefined;
    const n = Number(part);
    if (n < 1 || n > count) return undefined;
    if (!picked.includes(n - 1)) picked.push(n - 1);
  }
  return picked;
}

const TRIES = 3;

/** Asks one line with a default; Enter takes it. */
async function ask(
  prompter: Prompter,
  question: string,
  fallback: string | undefined,
  check: (answer: string) => string | undefined,
  what: string,
): Promise<string> {
  const label = fallback === undefined
    ? `${question}: `
    : `${question} [${fallback}]: `;
  for (let i = 0; i < TRIES; i++) {
    let answer: string;
    try {
      answer = (await prompter.line(label)).trim();
    } catch (error) {
      if (error instanceof NoTerminalError && fallback !== undefined) {
        const problem = check(fallback);
        if (problem) throw new UsageError(`Cannot configure: ${problem}`);
        return fallback;
      }
      if (error instanceof NoTerminalError) {
        throw new UsageError(
          `Cannot configure: ${what} is needed and there is no terminal to ask; pass it as a flag`,
        );
      }
      throw error;
    }
    if (answer === "" && fallback !== undefined) answer = fallback;
    const problem = check(answer);
    if (!problem) return answer;
    await prompter.say(problem);
  }
  throw new UsageError(
    `Cannot configure: no valid ${what} after ${TRIES} tries`,
  );
}

function checkUrl(answer: string): string | undefined {
  try {
    return new URL(answer).protocol === "https:"
      ? undefined
      : "The IdP URL must start with https://";
  } catch {
    return "That is not a URL.";
  }
}

/** Runs configure; returns the exit code. */
export async function configure(
  options: ConfigureOptions,
  deps: ConfigureDeps,
): Promise<number> {
  const { prompter, logger } = deps;
  const provider = options.provider ?? await ask(
    prompter,
    `IdP type (${PROVIDERS.map((p) => p.name).join(", ")})`,
    PROVIDERS[0].name,
    (a) =>
      providerEntry(a)
        ? undefined
        : `Choose one of ${PROVIDERS.map((p) => p.name).join(", ")}.`,
    "--provider",
  );
  const entry = providerEntry(provider)!;
  const endpoint = options.endpoint ?? new URL(
    await ask(
      prompter,
      `IdP URL (${entry.endpoint})`,
      undefined,
      checkUrl,
      "--endpoint",
    ),
  );
  const username = options.username ?? await ask(
    prompter,
    "IdP username",
    undefined,
    (a) => a ? undefined : "The username cannot be empty.",
    "--username",
  );
  const prefix = options.prefix ?? await ask(
    prompter,
    "Profile name prefix (Enter for none)",
    "",
    (a) =>
      /^[\w.@+-]*$/.test(a) ? undefined : "Letters, digits and _ . @ + - only.",
    "--profile-prefix",
  );
  const login: Options = {
    endpoint,
    username,
    provider,
    cache: false,
    verbose: options.verbose,
    timeoutMs: options.timeoutMs,
    listRoles: true,
    mfaTimeoutMs: options.mfaTimeoutMs,
    lockTimeoutMs: 0,
    clearCache: false,
    sessionReuse: true,
    noGui: true,
    savePassword: false,
  };
  if (options.mfa) login.mfa = options.mfa;
  const { cacheDir } = deps;
  const runDeps = {
    fetch: deps.fetch,
    clock: deps.clock,
    logger,
    prompter,
    env: deps.env,
    cacheDir,
    stsRequestInit: deps.stsRequestInit,
    keychain: deps.keychain,
  };
  const { saml, jar } = await signIn(login, runDeps);
  const info = await parseSamlResponse(saml);
  const roles = await pickRoles(
    prompter,
    info.roles,
    options.allRoles,
    await deps.terminal.available(),
  );
  const names = await nameProfiles(prompter, roles, prefix);
  const self = deps.selfCommand?.() ?? ["awsprocesscreds-saml"];
  const windows = Deno.build.os === "windows";
  const updates = roles.map((role, i) => {
    const values: Record<string, string> = {
      credential_process: quoteCommand([...self, "--profile", names[i]], {
        windows,
      }),
      [PROFILE_KEYS.provider]: provider,
      [PROFILE_KEYS.endpoint]: endpoint.href,
      [PROFILE_KEYS.username]: username,
      [PROFILE_KEYS.roleArn]: role.roleArn,
    };
    if (options.mfa) values[PROFILE_KEYS.mfa] = options.mfa;
    return { name: names[i], values };
  });
  const before = readConfigFile(deps.configPath) ?? "";
  const after = updateProfiles(before, updates, ownedKey, deps.configPath);
  const written = await writeConfigFile(deps.configPath, after);
  logger.debug(
    written.changed
      ? `Wrote ${updates.length} profile(s) to ${deps.configPath}${
        written.backupPath ? ` (previous content in ${written.backupPath})` : ""
      }`
      : `${deps.configPath} already holds these profiles`,
  );

  // The first chosen role, assumed now with the same assertion and cached
  // under its profile's key; the others get the IdP session only.
  const credentials = await assumeRoleWithSaml({
    role: roles[0],
    samlResponse: saml,
    durationSeconds: info.sessionDuration,
    timeoutMs: options.timeoutMs,
    env: deps.env,
    logger,
    requestInit: deps.stsRequestInit,
  });
  if (cacheDir) {
    const cache = new FileCache(cacheDir, logger);
    const idpSession = idpSessionOf(jar, deps.clock.now().getTime());
    for (const [i, role] of roles.entries()) {
      const key = cacheKey({
        provider,
        endpoint: endpoint.href,
        username,
        roleArn: role.roleArn,
      });
      // Fresh credentials already cached for another chosen role stay.
      const kept = i === 0
        ? credentials
        : freshCredentials(cache.read(key), deps.clock);
      try {
        await cache.write(
          key,
          kept
            ? { credentials: kept, roleArn: role.roleArn, idpSession }
            : { roleArn: role.roleArn, idpSession },
        );
      } catch (error) {
        logger.warn(`${(error as Error).message}; not cached`);
      }
    }
  }
  const lines = [
    `Wrote ${updates.length} profile${
      updates.length > 1 ? "s" : ""
    } to ${deps.configPath}:`,
    ...roles.map((role, i) => `  ${names[i]}  ${role.roleArn}`),
    `Try: aws sts get-caller-identity --profile ${names[0]}`,
  ];
  if (await deps.terminal.available()) {
    for (const line of lines) await prompter.say(line);
  } else {
    for (const line of lines) deps.stderr(`${line}\n`);
  }
  return 0;
}

async function pickRoles(
  prompter: Prompter,
  roles: RolePair[],
  all: boolean,
  canAsk: boolean,
): Promise<RolePair[]> {
  if (all || roles.length === 1) return roles;
  if (!canAsk) {
    throw new UsageError(
      `Cannot configure: the IdP grants ${roles.length} roles and there is no terminal to choose; pass --all-roles`,
    );
  }
  try {
    await prompter.say("The IdP grants these roles:");
  } catch {
    // nothing to show it on: the question below says why
  }
  for (const [i, role] of roles.entries()) {
    await prompter.say(`  ${i + 1}) ${role.roleArn}`);
  }
  const answer = await ask(
    prompter,
    "Roles to configure (numbers such as 2, 3 or 2 3, or all)",
    "all",
    (a) =>
      parseSelection(a, roles.length)
        ? undefined
        : `Enter numbers from 1 to ${roles.length}, or all.`,
    "the roles (or --all-roles)",
  );
  return parseSelection(answer, roles.length)!.map((i) => roles[i]);
}

async function nameProfiles(
  prompter: Prompter,
  roles: RolePair[],
  prefix: string,
): Promise<string[]> {
  const names: string[] = [];
  for (const role of roles) {
    const fallback = defaultProfileName(prefix, role.roleArn);
    names.push(
      await ask(
        prompter,
        `Profile name for ${role.roleArn}`,
        fallback,
        (a) =>
          !/^[\w.@+-]+$/.test(a)
            ? "Letters, digits and _ . @ + - only."
            : names.includes(a)
            ? "That name is already used for another role."
            : undefined,
        "a profile name",
      ),
    );
  }
  return names;
}
