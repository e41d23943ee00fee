/**
 * The IdPs this tool speaks to, in one table: the `-p` names, what `-e`
 * points at, which `--mfa` kinds each can drive and what they mean there.
 * The command line and its help text are derived from it. A provider's code
 * is loaded only when a login needs it, so a cache hit loads none.
 *
 * @module
 */
import { lazy } from "../lazy.ts";
import type { MfaKind } from "../mfa/mfa_kind.ts";
import type { Provider } from "./provider.ts";

/** One IdP. */
export interface ProviderEntry {
  /** The `-p` value. */
  name: string;
  /** The product name, for help texts. */
  title: string;
  /** What `-e` is for this IdP. */
  endpoint: string;
  /** The `--mfa` kinds this provider can drive, and what each means here. */
  mfa: Partial<Record<MfaKind, string>>;
  /** Loads the provider's code. */
  load(): Promise<Provider>;
}

/** Every provider, in the order help texts list them. */
export const PROVIDERS: readonly ProviderEntry[] = [
  {
    name: "okta",
    title: "Okta",
    endpoint: "the Okta AWS app embed link",
    mfa: {
      push: "Okta Verify push (the number challenge is shown)",
      totp: "Okta Verify or Google Authenticator code",
      sms: "code by SMS",
      call: "code by voice call",
      email: "code by email",
      yubikey: "YubiKey OTP",
    },
    load: async () =>
      (await import(lazy("./okta/okta.ts")) as typeof import("./okta/okta.ts"))
        .okta,
  },
  {
    name: "adfs",
    title: "ADFS",
    endpoint: "the ADFS IdpInitiatedSignOn.aspx?loginToRp=... URL",
    mfa: {
      push: "Azure MFA (or MFA Server) approval on the phone",
      totp:
        "a one-time-code page (Azure MFA code, RSA SecurID, Symantec VIP, …)",
      sms: "a method named SMS or text message",
      call: "a phone call method",
      email: "an e-mail method",
      yubikey: "a YubiKey or security key method",
    },
    load: async () =>
      (await import(lazy("./adfs/adfs.ts")) as typeof import("./adfs/adfs.ts"))
        .adfs,
  },
  {
    name: "form",
    title: "Form-based IdP (Shibboleth, Keycloak, SimpleSAMLphp, …)",
    endpoint: "the IdP-initiated SSO URL for urn:amazon:webservices",
    mfa: { totp: "a one-time-code page (Keycloak OTP, …)" },
    load: async () =>
      (await import(lazy("./form/form.ts")) as typeof import("./form/form.ts"))
        .form,
  },
];

/** The entry for `-p name`, or undefined. */
export function providerEntry(name: string): ProviderEntry | undefined {
  return PROVIDERS.find((p) => p.name === name);
}

/** The `--mfa` kinds `entry` can drive, in help order. */
export function mfaKindsOf(entry: ProviderEntry): MfaKind[] {
  return Object.keys(entry.mfa) as MfaKind[];
}
