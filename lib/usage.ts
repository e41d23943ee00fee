/**
 * The help text, loaded only for --help or a usage error. Its provider part
 * comes from the registry.
 *
 * @module
 */
import { orList } from "./args.ts";
import { MFA_KINDS } from "./mfa/mfa_kind.ts";
import { mfaKindsOf, PROVIDERS } from "./providers/registry.ts";

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
  `Usage: awsprocesscreds-saml --profile NAME [options]
       awsprocesscreds-saml -e ENDPOINT -u USERNAME -p ${
    PROVIDERS.map((p) => p.name).join("|")
  } [-a ROLE_ARN] [options]
       awsprocesscreds-saml configure [-p NAME] [-e URL] [-u NAME]
                            [--profile-prefix P] [--all-roles] [--mfa FACTOR]

Prints temporary AWS credentials for credential_process after a SAML login.
"configure" signs in once and writes one AWS profile per chosen role.

Settings (from the command line, or from [profile NAME] in the AWS config file
as saml_endpoint, saml_username, saml_provider, saml_role_arn, saml_mfa,
saml_duration, saml_region; the command line wins):
      --profile NAME        read the settings from the AWS config file
                            (AWS_CONFIG_FILE, else ~/.aws/config)
  -e, --endpoint URL        IdP URL (https); see Providers below
  -u, --username NAME       IdP username
  -p, --provider NAME       ${orList(PROVIDERS.map((p) => p.name))}
  -a, --role-arn ARN        role to assume; without it a single granted role is
                            used, or you choose on the terminal
      --duration SECONDS    session length (900-43200); default: the assertion's
                            SessionDuration, else the role's default
      --region REGION       STS region (default: AWS_REGION, else the partition's)
      --mfa FACTOR          ${orList(MFA_KINDS)}; what each
                            means depends on the provider (below)

Options:
      --timeout SECONDS     timeout of each network request (default 30)
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
      --no-gui              never ask through a desktop dialog
      --save-password       after a successful login, keep the password in the
                            OS keychain (asked from there next time)
      --forget-password     remove the password from the OS keychain and exit
  -v, --verbose             log each step to stderr (secrets redacted)
  -h, --help                show this help
      --version             show the version

Providers:
${providerHelp()}

Environment:
  AWSPROCESSCREDS_PASSWORD  the password, for unattended use
  AWSPROCESSCREDS_MFA_CODE  one MFA code, for unattended use
  AWSPROCESSCREDS_NO_GUI=1  as --no-gui
  AWS_CONFIG_FILE, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, AWS_REGION,
  HTTPS_PROXY, NO_PROXY, DENO_CERT
                            as usual

Prompts go to the terminal (/dev/tty), or to a desktop dialog when there is no
terminal; never to stdout or stderr.`;
