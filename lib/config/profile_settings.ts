/**
 * The `saml_*` settings of one profile of the AWS config file, for
 * `--profile NAME`. Values stay raw strings: the command-line parser
 * validates them. No dependencies: this runs on every cache hit.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import {
  type AwsConfig,
  type ConfigOption,
  type ConfigSection,
  DEFAULT_SECTION,
  profileSection,
} from "./aws_config.ts";

import { KEY_PREFIX, PROFILE_KEYS } from "./profile_keys.ts";

const REQUIRED = ["provider", "endpoint", "username"] as const;
const OPTIONAL = ["roleArn", "mfa", "duration", "region"] as const;
const KNOWN: ReadonlySet<string> = new Set(Object.values(PROFILE_KEYS));

/** What a profile says, as written in the file. */
export interface ProfileSettings {
  /** `saml_provider` (absent only when the command line gives it). */
  provider?: string;
  /** `saml_endpoint` (absent only when the command line gives it). */
  endpoint?: string;
  /** `saml_username` (absent only when the command line gives it). */
  username?: string;
  /** `saml_role_arn`, if set. */
  roleArn?: string;
  /** `saml_mfa`, if set. */
  mfa?: string;
  /** `saml_duration`, if set. */
  duration?: string;
  /** `saml_region`, if set. */
  region?: string;
  /** Other `saml_*` keys of the profile, in file order, for a warning. */
  unknownKeys: string[];
}

/**
 * The profile cannot give settings: it does not exist, or a key is missing,
 * empty or spread over several lines. A usage error (exit code 2).
 */
export class ProfileError extends UsageError {
  /** The profile asked for. */
  readonly profile: string;
  /** The config file. */
  readonly path: string;
  /** The key at fault, if one is. */
  readonly key: string | undefined;

  /** Builds the error; `message` names the profile, the file and the key. */
  constructor(message: string, profile: string, path: string, key?: string) {
    super(message);
    this.profile = profile;
    this.path = path;
    this.key = key;
  }

  /** The class name, for stack traces. */
  override get name(): string {
    return "ProfileError";
  }
}

function findOption(
  config: AwsConfig,
  section: ConfigSection,
  key: string,
): ConfigOption | undefined {
  const own = section.options.find((o) => o.key === key);
  if (own) return own;
  for (const s of config.sections) {
    if (s.header !== DEFAULT_SECTION) continue;
    const inherited = s.options.find((o) => o.key === key);
    if (inherited) return inherited;
  }
  return undefined;
}

/**
 * Reads the settings of profile `profileName` from a parsed config file, as
 * botocore would see that profile (`[profile NAME]`, or `[default]` for
 * `default`; the later section wins when several name it; `[DEFAULT]` keys
 * are inherited).
 *
 * @param config the parsed file, or undefined when the file does not exist.
 * @param path the file, for messages.
 * @param fromFlags settings the command line gives: a required key of one
 * of these may be missing from the profile.
 * @throws {ProfileError} when the profile is missing, or a required key is
 * missing, or a key is empty or spans several lines.
 */
export function readProfileSettings(
  config: AwsConfig | undefined,
  profileName: string,
  path: string,
  fromFlags: ReadonlySet<string> = new Set(),
): ProfileSettings {
  const section = config ? profileSection(config, profileName) : undefined;
  if (!config || !section) {
    const header = profileName === "default"
      ? "[default] or [profile default]"
      : `[profile ${profileName}]`;
    throw new ProfileError(
      config
        ? `Profile "${profileName}" not found in ${path}: no ${header} section`
        : `Profile "${profileName}" not found: ${path} does not exist`,
      profileName,
      path,
    );
  }
  const own = section.values;
  const defaults = config.defaults;
  const get = (key: string): string | undefined => {
    const value = key in own ? own[key] : defaults[key];
    if (value === undefined) return undefined;
    if (value === "" || value.includes("\n")) {
      const option = findOption(config, section, key);
      throw new ProfileError(
        `Profile "${profileName}" in ${path}: ${key}${
          option ? ` (line ${option.line})` : ""
        } ${
          value === ""
            ? "is empty"
            : "spans several lines; write it on one line"
        }`,
        profileName,
        path,
        key,
      );
    }
    return value;
  };
  const required = (field: typeof REQUIRED[number]): string | undefined => {
    const key = PROFILE_KEYS[field];
    const value = get(key);
    if (value === undefined && !fromFlags.has(field)) {
      throw new ProfileError(
        `Profile "${profileName}" in ${path} (line ${section.line}) has no ${key}`,
        profileName,
        path,
        key,
      );
    }
    return value;
  };
  const settings: ProfileSettings = { unknownKeys: [] };
  for (const field of REQUIRED) {
    const value = required(field);
    if (value !== undefined) settings[field] = value;
  }
  for (const field of OPTIONAL) {
    const value = get(PROFILE_KEYS[field]);
    if (value !== undefined) settings[field] = value;
  }
  const unknown = (key: string) =>
    key.startsWith(KEY_PREFIX) && !KNOWN.has(key) &&
    !settings.unknownKeys.includes(key);
  for (const option of section.options) {
    if (unknown(option.key)) settings.unknownKeys.push(option.key);
  }
  for (const key in defaults) {
    if (unknown(key)) settings.unknownKeys.push(key);
  }
  return settings;
}
