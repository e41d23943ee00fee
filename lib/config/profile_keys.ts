/**
 * The AWS config keys of this tool's settings, in one place for the profile
 * reader, the command line's messages and configure. No imports: the
 * command line loads it on every run.
 *
 * @module
 */

/** The config key of each setting a profile can hold. */
export const PROFILE_KEYS = {
  provider: "saml_provider",
  endpoint: "saml_endpoint",
  username: "saml_username",
  roleArn: "saml_role_arn",
  mfa: "saml_mfa",
  duration: "saml_duration",
  region: "saml_region",
} as const;

/** The prefix of this tool's keys; other keys with it are reported unknown. */
export const KEY_PREFIX = "saml_";
