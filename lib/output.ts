/**
 * The credential_process output: exactly one JSON object, Version 1, with an
 * RFC 3339 UTC Expiration (botocore needs the offset).
 *
 * @module
 */
import type { AwsCredentials } from "./aws/sts.ts";
import type { RolePair } from "./aws/saml.ts";

/** Formats credentials as the one JSON line credential_process prints. */
export function formatCredentials(credentials: AwsCredentials): string {
  return JSON.stringify({
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: credentials.expiration.toISOString().replace(/\.\d{3}Z$/, "Z"),
  });
}

/** Formats roles for --list-roles: "ROLE_ARN PRINCIPAL_ARN" per line. */
export function formatRoles(roles: RolePair[]): string {
  return roles.map((r) => `${r.roleArn} ${r.principalArn}`).join("\n");
}
