/**
 * The command line, compatible with the original awsprocesscreds-saml and
 * extended. Pure: argv (and, for `--profile`, the profile's settings, read
 * by the caller) in, a command out.
 *
 * @module
 */
import { PROFILE_KEYS } from "./config/profile_keys.ts";
import { UsageError } from "./errors.ts";
import { isMfaKind, type MfaKind } from "./mfa/mfa_kind.ts";
import { mfaKindsOf, providerEntry, PROVIDERS } from "./providers/registry.ts";

/** Everything a login run needs to know. */
export interface Options {
  /** The IdP URL (https). */
  endpoint: URL;
  /** The IdP user name. */
  username: string;
  /** A `-p` name from the provider registry. */
  provider: string;
  /** The role to assume, if chosen. */
  roleArn?: string;
  /** Read and write the credential cache. */
  cache: boolean;
  /** Log each step to stderr. */
  verbose: boolean;
  /** STS DurationSeconds, if chosen. */
  duration?: number;
  /** STS region, if chosen. */
  region?: string;
  /** Timeout of each network request, in ms. */
  timeoutMs: number;
  /** Print the roles instead of credentials. */
  listRoles: boolean;
  /** The second factor to use, if chosen. */
  mfa?: MfaKind;
  /** How long to wait for a push, in ms. */
  mfaTimeoutMs: number;
  /** How long to wait for a concurrent login, in ms. */
  lockTimeoutMs: number;
  /** Remove this profile's cache entry and exit. */
  clearCache: boolean;
  /** Keep and use the IdP session cookies. */
  sessionReuse: boolean;
  /** Never open a desktop dialog (--no-gui). */
  noGui: boolean;
  /** Store the password in the OS keychain after a successful login. */
  savePassword: boolean;
  /** The `--profile` the settings came from, if any. */
  profile?: string;
}

/** What `configure` was told; it asks for the rest. */
export interface ConfigureOptions {
  /** `-p`, if given. */
  provider?: string;
  /** `-e`, if given. */
  endpoint?: URL;
  /** `-u`, if given. */
  username?: string;
  /** `--mfa`, if given: written to every profile. */
  mfa?: MfaKind;
  /** `--profile-prefix`, if given. */
  prefix?: string;
  /** Configure every granted role without asking. */
  allRoles: boolean;
  /** Log each step to stderr. */
  verbose: boolean;
  /** Timeout of each network request, in ms. */
  timeoutMs: number;
  /** How long to wait for a push, in ms. */
  mfaTimeoutMs: number;
  /** Never open a desktop dialog. */
  noGui: boolean;
}

/** What to do. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "run"; options: Options }
  | {
    kind: "forget-password";
    endpoint: URL;
    username: string;
    verbose: boolean;
  }
  | { kind: "configure"; options: ConfigureOptions };

/** A profile's settings as the config file gives them (raw strings). */
export interface ProfileValues {
  /** The config file, for messages. */
  path: string;
  /** `saml_*` values by setting name (provider, endpoint, …). */
  values: Partial<Record<ProfileSetting, string>>;
}

/** The settings a profile can hold. */
export type ProfileSetting =
  | "provider"
  | "endpoint"
  | "username"
  | "roleArn"
  | "mfa"
  | "duration"
  | "region";

/** The flag each profile setting stands for. */
const SETTING_FLAGS: Record<ProfileSetting, string> = {
  provider: "provider",
  endpoint: "endpoint",
  username: "username",
  roleArn: "role-arn",
  mfa: "mfa",
  duration: "duration",
  region: "region",
};

/** "a, b or c". */
export function orList(items: readonly string[]): string {
  return items.length < 2
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

type FlagSpec = { type: "string" | "boolean"; short?: string };

const FLAGS: Record<string, FlagSpec> = {
  endpoint: { type: "string", short: "e" },
  username: { type: "string", short: "u" },
  provider: { type: "string", short: "p" },
  "role-arn": { type: "string", short: "a" },
  profile: { type: "string" },
  "no-cache": { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  duration: { type: "string" },
  region: { type: "string" },
  timeout: { type: "string" },
  "list-roles": { type: "boolean" },
  mfa: { type: "string" },
  "mfa-timeout": { type: "string" },
  "lock-timeout": { type: "string" },
  "clear-cache": { type: "boolean" },
  "no-session-reuse": { type: "boolean" },
  "no-gui": { type: "boolean" },
  "save-password": { type: "boolean" },
  "forget-password": { type: "boolean" },
};

const CONFIGURE_FLAGS: Record<string, FlagSpec> = {
  endpoint: FLAGS.endpoint,
  username: FLAGS.username,
  provider: FLAGS.provider,
  mfa: FLAGS.mfa,
  "profile-prefix": { type: "string" },
  "all-roles": { type: "boolean" },
  verbose: FLAGS.verbose,
  help: FLAGS.help,
  timeout: FLAGS.timeout,
  "mfa-timeout": FLAGS["mfa-timeout"],
  "no-gui": FLAGS["no-gui"],
};

/**
 * A strict flag parser with node:util parseArgs semantics (`--name value`,
 * `--name=value`, `-x value`, `-xvalue`, booleans, no positionals).
 * node:util is not used because loading it brings in the Node compatibility
 * layer: about 5 ms on every cache hit.
 */
function parseFlags(
  argv: string[],
  flags: Record<string, FlagSpec>,
): Record<string, string | boolean> {
  const shorts = new Map(
    Object.entries(flags).filter(([, f]) => f.short).map((
      [name, f],
    ) => [f.short!, name]),
  );
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
    } else if (arg.startsWith("-") && arg.length > 1 && arg !== "--") {
      name = shorts.get(arg[1]);
      if (!name) throw new UsageError(`Unknown option '${arg}'`);
      if (arg.length > 2) inline = arg.slice(2);
    } else {
      throw new UsageError(`Unexpected argument '${arg}'`);
    }
    const flag = Object.hasOwn(flags, name) ? flags[name] : undefined;
    if (!flag) throw new UsageError(`Unknown option '--${name}'`);
    if (flag.type === "boolean") {
      if (inline !== undefined) {
        throw new UsageError(`Option '--${name}' does not take a value`);
      }
      out[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (
      value === undefined || (inline === undefined && value.startsWith("-"))
    ) {
      throw new UsageError(`Option '--${name}' needs a value`);
    }
    out[name] = value;
  }
  return out;
}

/** Reads one setting: the flag, else the profile; names its source in errors. */
class Settings {
  #flags: Record<string, string | boolean>;
  #profile: ProfileValues | undefined;
  #profileName: string | undefined;

  constructor(
    flags: Record<string, string | boolean>,
    profile?: { name: string; values: ProfileValues },
  ) {
    this.#flags = flags;
    this.#profile = profile?.values;
    this.#profileName = profile?.name;
  }

  /** The flag's string value. */
  flag(name: string): string | undefined {
    const v = this.#flags[name];
    return typeof v === "string" ? v : undefined;
  }

  /** Whether a boolean flag is set. */
  on(name: string): boolean {
    return this.#flags[name] === true;
  }

  /** A setting: the flag, else the profile's value. */
  get(setting: ProfileSetting): string | undefined {
    return this.flag(SETTING_FLAGS[setting]) ??
      this.#profile?.values[setting];
  }

  /** "--duration", or "saml_duration in [profile dev] of PATH" when it came from there. */
  source(setting: ProfileSetting): string {
    const flag = `--${SETTING_FLAGS[setting]}`;
    if (this.flag(SETTING_FLAGS[setting]) !== undefined || !this.#profile) {
      return flag;
    }
    return `${
      PROFILE_KEYS[setting]
    } (profile ${this.#profileName} in ${this.#profile.path})`;
  }
}

function seconds(
  label: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n < min || n > max) {
    throw new UsageError(
      `Invalid value for ${label}: ${value} (expected seconds from ${min} to ${max})`,
    );
  }
  return n;
}

function httpsUrl(label: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`Invalid value for ${label}: ${value} is not a URL`);
  }
  if (url.protocol !== "https:") {
    throw new UsageError(
      `Invalid value for ${label}: ${url.protocol}// is refused; the IdP must use https`,
    );
  }
  return url;
}

function checkProvider(label: string, provider: string): void {
  if (!providerEntry(provider)) {
    throw new UsageError(
      `Invalid value for ${label}: ${provider} (expected ${
        orList(PROVIDERS.map((p) => p.name))
      })`,
    );
  }
}

function checkMfa(
  label: string,
  mfa: string | undefined,
  provider: string,
): MfaKind | undefined {
  if (mfa === undefined) return undefined;
  const kinds = mfaKindsOf(providerEntry(provider)!);
  if (!(isMfaKind(mfa) && kinds.includes(mfa))) {
    throw new UsageError(
      `Invalid value for ${label}: ${mfa} (${provider} takes ${orList(kinds)})`,
    );
  }
  return mfa;
}

/** The role ARN shape `-a` and `saml_role_arn` must have. */
export const ROLE_ARN_PATTERN = /^arn:[a-z-]+:iam::\d{12}:role\/.+/;

/** How `--profile` gets its settings: the caller reads the config file. */
export interface ProfileReader {
  /**
   * The settings of `name`; throws a UsageError when it has none. `given`
   * are the settings the command line gives (the profile may lack those).
   */
  (name: string, given: ProfileSetting[]): ProfileValues;
}

/**
 * Parses argv.
 *
 * @param readProfile Reads a profile's settings for `--profile NAME`.
 * @throws {UsageError} for an unknown option, a missing required one or a
 *   bad value (naming the config key and file when the value came from a
 *   profile).
 */
export function parseCommandLine(
  argv: string[],
  readProfile?: ProfileReader,
): Command {
  if (argv[0] === "configure") return parseConfigure(argv.slice(1));
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) return { kind: "help" };
  if (flags.version) return { kind: "version" };
  const profileName = typeof flags.profile === "string"
    ? flags.profile
    : undefined;
  if (profileName !== undefined && !readProfile) {
    throw new UsageError("--profile cannot be read here");
  }
  const s = new Settings(
    flags,
    profileName === undefined ? undefined : {
      name: profileName,
      values: readProfile!(
        profileName,
        (Object.keys(SETTING_FLAGS) as ProfileSetting[]).filter((k) =>
          typeof flags[SETTING_FLAGS[k]] === "string"
        ),
      ),
    },
  );
  const required: ProfileSetting[] = flags["forget-password"]
    ? ["endpoint", "username"]
    : ["endpoint", "username", "provider"];
  const missing = required.filter((k) => !s.get(k));
  if (missing.length) {
    throw new UsageError(
      `Missing required option${missing.length > 1 ? "s" : ""}: ${
        missing.map((m) => `--${SETTING_FLAGS[m]}`).join(", ")
      }${
        profileName === undefined
          ? " (or --profile NAME)"
          : ` (not on the command line nor in profile ${profileName})`
      }`,
    );
  }
  const endpoint = httpsUrl(s.source("endpoint"), s.get("endpoint")!);
  if (flags["forget-password"]) {
    return {
      kind: "forget-password",
      endpoint,
      username: s.get("username")!,
      verbose: s.on("verbose"),
    };
  }
  const provider = s.get("provider")!;
  checkProvider(s.source("provider"), provider);
  const roleArn = s.get("roleArn");
  if (roleArn !== undefined && !ROLE_ARN_PATTERN.test(roleArn)) {
    throw new UsageError(
      `Invalid value for ${
        s.source("roleArn")
      }: ${roleArn} (expected arn:aws:iam::ACCOUNT:role/NAME)`,
    );
  }
  const region = s.get("region");
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new UsageError(
      `Invalid value for ${s.source("region")}: ${region}`,
    );
  }
  const mfa = checkMfa(s.source("mfa"), s.get("mfa"), provider);
  const duration = seconds(s.source("duration"), s.get("duration"), 900, 43200);
  if (duration !== undefined && !Number.isInteger(duration)) {
    throw new UsageError(
      `Invalid value for ${s.source("duration")}: ${s.get("duration")}`,
    );
  }
  const options: Options = {
    endpoint,
    username: s.get("username")!,
    provider,
    cache: !s.on("no-cache"),
    verbose: s.on("verbose"),
    timeoutMs: (seconds("--timeout", s.flag("timeout"), 0.1, 3600) ?? 30) *
      1000,
    listRoles: s.on("list-roles"),
    mfaTimeoutMs:
      (seconds("--mfa-timeout", s.flag("mfa-timeout"), 1, 3600) ?? 60) * 1000,
    lockTimeoutMs:
      (seconds("--lock-timeout", s.flag("lock-timeout"), 0, 86400) ?? 120) *
      1000,
    clearCache: s.on("clear-cache"),
    sessionReuse: !s.on("no-session-reuse"),
    noGui: s.on("no-gui"),
    savePassword: s.on("save-password"),
  };
  if (roleArn !== undefined) options.roleArn = roleArn;
  if (region !== undefined) options.region = region;
  if (duration !== undefined) options.duration = duration;
  if (mfa !== undefined) options.mfa = mfa;
  if (profileName !== undefined) options.profile = profileName;
  return { kind: "run", options };
}

function parseConfigure(argv: string[]): Command {
  const flags = parseFlags(argv, CONFIGURE_FLAGS);
  if (flags.help) return { kind: "help" };
  const s = new Settings(flags);
  const options: ConfigureOptions = {
    allRoles: s.on("all-roles"),
    verbose: s.on("verbose"),
    timeoutMs: (seconds("--timeout", s.flag("timeout"), 0.1, 3600) ?? 30) *
      1000,
    mfaTimeoutMs:
      (seconds("--mfa-timeout", s.flag("mfa-timeout"), 1, 3600) ?? 60) * 1000,
    noGui: s.on("no-gui"),
  };
  const provider = s.flag("provider");
  if (provider !== undefined) {
    checkProvider("--provider", provider);
    options.provider = provider;
    const mfa = checkMfa("--mfa", s.flag("mfa"), provider);
    if (mfa) options.mfa = mfa;
  } else if (s.flag("mfa") !== undefined) {
    throw new UsageError("Option '--mfa' of configure needs --provider too");
  }
  const endpoint = s.flag("endpoint");
  if (endpoint !== undefined) {
    options.endpoint = httpsUrl("--endpoint", endpoint);
  }
  const username = s.flag("username");
  if (username !== undefined) options.username = username;
  const prefix = s.flag("profile-prefix");
  if (prefix !== undefined) {
    if (!/^[\w.@+-]*$/.test(prefix)) {
      throw new UsageError(
        `Invalid value for --profile-prefix: ${prefix} (letters, digits and _ . @ + - only)`,
      );
    }
    options.prefix = prefix;
  }
  return { kind: "configure", options };
}
