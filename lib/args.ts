/**
 * The command line, compatible with the original awsprocesscreds-saml and
 * extended. Pure: argv in, options out.
 *
 * @module
 */
import { UsageError } from "./errors.ts";
import { isMfaKind, MFA_KINDS, type MfaKind } from "./mfa/mfa_kind.ts";
import { mfaKindsOf, providerEntry, PROVIDERS } from "./providers/registry.ts";

/** Everything the command line says. */
export interface Options {
  endpoint: URL;
  username: string;
  /** A `-p` name from the provider registry. */
  provider: string;
  roleArn?: string;
  cache: boolean;
  verbose: boolean;
  duration?: number;
  region?: string;
  timeoutMs: number;
  listRoles: boolean;
  mfa?: MfaKind;
  mfaTimeoutMs: number;
  lockTimeoutMs: number;
  clearCache: boolean;
  sessionReuse: boolean;
}

/** What to do. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "run"; options: Options };

function orList(items: readonly string[]): string {
  return items.length < 2
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

function providerHelp(): string {
  return PROVIDERS.map((p) => {
    const kinds = mfaKindsOf(p).map((k) =>
      `      --mfa ${k.padEnd(8)} ${p.mfa[k]}`
    );
    return [`  ${p.name} (${p.title}): -e is ${p.endpoint}`, ...kinds].join(
      "\n",
    );
  }).join("\n");
}

/** The usage text; the provider parts come from the registry. */
export const USAGE: string =
  `Usage: awsprocesscreds-saml -e ENDPOINT -u USERNAME -p ${
    PROVIDERS.map((p) => p.name).join("|")
  } [-a ROLE_ARN] [options]

Prints temporary AWS credentials for credential_process after a SAML login.

Required:
  -e, --endpoint URL        IdP URL (https); see Providers below
  -u, --username NAME       IdP username
  -p, --provider NAME       ${orList(PROVIDERS.map((p) => p.name))}

Options:
  -a, --role-arn ARN        role to assume; without it a single granted role is
                            used, or you choose on the terminal
      --duration SECONDS    session length (900-43200); default: the assertion's
                            SessionDuration, else the role's default
      --region REGION       STS region (default: AWS_REGION, else the partition's)
      --timeout SECONDS     timeout of each network request (default 30)
      --mfa FACTOR          ${orList(MFA_KINDS)}; what each
                            means depends on the provider (below)
      --mfa-timeout SECONDS how long to wait for a push approval (default 60)
      --lock-timeout SECONDS
                            how long to wait for a concurrent login of the same
                            profile (default 120)
      --list-roles          log in and print the granted roles, one per line as
                            "ROLE_ARN PRINCIPAL_ARN"; no STS call
      --no-cache            neither read nor write the credential cache
      --no-session-reuse    always log in with the password, never with the
                            saved IdP session
      --clear-cache         remove this profile's cache entry and exit
  -v, --verbose             log each step to stderr (secrets redacted)
  -h, --help                show this help
      --version             show the version

Providers:
${providerHelp()}

Environment:
  AWSPROCESSCREDS_PASSWORD  the password, for unattended use
  AWSPROCESSCREDS_MFA_CODE  one MFA code, for unattended use
  AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, AWS_REGION, HTTPS_PROXY, NO_PROXY,
  DENO_CERT                 as usual

Prompts go to the terminal (/dev/tty), never to stdout or stderr.`;

function seconds(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n < min || n > max) {
    throw new UsageError(
      `Invalid value for --${name}: ${value} (expected seconds from ${min} to ${max})`,
    );
  }
  return n;
}

const FLAGS: Record<string, { type: "string" | "boolean"; short?: string }> = {
  endpoint: { type: "string", short: "e" },
  username: { type: "string", short: "u" },
  provider: { type: "string", short: "p" },
  "role-arn": { type: "string", short: "a" },
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
};

/**
 * A strict flag parser with node:util parseArgs semantics for the flags above
 * (`--name value`, `--name=value`, `-x value`, `-xvalue`, booleans, no
 * positionals). node:util is not used because loading it brings in the Node
 * compatibility layer: about 5 ms on every cache hit.
 */
function parseFlags(argv: string[]): Record<string, string | boolean> {
  const shorts = new Map(
    Object.entries(FLAGS).filter(([, f]) => f.short).map((
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
    const flag = FLAGS[name];
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

/**
 * Parses argv.
 *
 * @throws {UsageError} for an unknown option, a missing required one or a bad value.
 */
export function parseCommandLine(argv: string[]): Command {
  const v = parseFlags(argv);
  if (v.help) return { kind: "help" };
  if (v.version) return { kind: "version" };
  const str = (k: string) =>
    typeof v[k] === "string" ? v[k] as string : undefined;
  const missing = ["endpoint", "username", "provider"].filter((k) => !str(k));
  if (missing.length) {
    throw new UsageError(
      `Missing required option${missing.length > 1 ? "s" : ""}: ${
        missing.map((m) => `--${m}`).join(", ")
      }`,
    );
  }
  let endpoint: URL;
  try {
    endpoint = new URL(str("endpoint")!);
  } catch {
    throw new UsageError(
      `Invalid value for --endpoint: ${str("endpoint")} is not a URL`,
    );
  }
  if (endpoint.protocol !== "https:") {
    throw new UsageError(
      `Invalid value for --endpoint: ${endpoint.protocol}// is refused; the IdP must use https`,
    );
  }
  const provider = str("provider")!;
  const entry = providerEntry(provider);
  if (!entry) {
    throw new UsageError(
      `Invalid value for --provider: ${provider} (expected ${
        orList(PROVIDERS.map((p) => p.name))
      })`,
    );
  }
  const roleArn = str("role-arn");
  if (
    roleArn !== undefined && !/^arn:[a-z-]+:iam::\d{12}:role\/.+/.test(roleArn)
  ) {
    throw new UsageError(
      `Invalid value for --role-arn: ${roleArn} (expected arn:aws:iam::ACCOUNT:role/NAME)`,
    );
  }
  const region = str("region");
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new UsageError(`Invalid value for --region: ${region}`);
  }
  const mfa = str("mfa");
  const kinds = mfaKindsOf(entry);
  if (mfa !== undefined && !(isMfaKind(mfa) && kinds.includes(mfa))) {
    throw new UsageError(
      `Invalid value for --mfa: ${mfa} (${entry.name} takes ${orList(kinds)})`,
    );
  }
  const duration = seconds("duration", str("duration"), 900, 43200);
  if (duration !== undefined && !Number.isInteger(duration)) {
    throw new UsageError(`Invalid value for --duration: ${str("duration")}`);
  }
  const options: Options = {
    endpoint,
    username: str("username")!,
    provider,
    cache: !v["no-cache"],
    verbose: v.verbose === true,
    timeoutMs: (seconds("timeout", str("timeout"), 0.1, 3600) ?? 30) * 1000,
    listRoles: v["list-roles"] === true,
    mfaTimeoutMs: (seconds("mfa-timeout", str("mfa-timeout"), 1, 3600) ?? 60) *
      1000,
    lockTimeoutMs:
      (seconds("lock-timeout", str("lock-timeout"), 0, 86400) ?? 120) * 1000,
    clearCache: v["clear-cache"] === true,
    sessionReuse: !v["no-session-reuse"],
  };
  if (roleArn !== undefined) options.roleArn = roleArn;
  if (region !== undefined) options.region = region;
  if (duration !== undefined) options.duration = duration;
  if (mfa !== undefined) options.mfa = mfa as MfaKind;
  return { kind: "run", options };
}
