/**
 * Okta Classic factors in one table: for each factor type, the `--mfa` kind
 * that picks it (none if this tool cannot drive it), its name in menus, and
 * for code factors the prompt, the name of the code and the "code sent" line.
 *
 * @module
 */
import type { MfaKind } from "../../mfa/mfa_kind.ts";
import {
  type CodeText,
  type SentCodeKind,
  sentCodeText,
} from "../../mfa/sent_code_text.ts";
import type { OktaFactor } from "./classic_api.ts";

/** How a code factor is asked for. */
/** What this tool knows about one enrolled factor. */
export interface FactorInfo {
  /** The --mfa kind that picks it; undefined when this tool cannot drive it. */
  kind?: MfaKind;
  /** Its name in menus and errors. */
  label: string;
  /** Set for code factors. */
  code?: CodeText;
}

/** A non-empty text of an Okta factor's or authenticator's profile. */
export function profileText(
  owner: { profile?: Record<string, unknown> } | undefined,
  key: string,
): string | undefined {
  const value = owner?.profile?.[key];
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

function totpName(provider: string, raw: OktaFactor): string {
  if (provider === "OKTA") return "Okta Verify code";
  if (provider === "GOOGLE") return "Google Authenticator code";
  return `Authenticator app code (${raw.provider || "unknown provider"})`;
}

type Row = (factor: OktaFactor, provider: string) => FactorInfo | undefined;

/** A factor whose code Okta sends, in the words every IdP uses. */
function sent(kind: SentCodeKind, to: string | undefined): FactorInfo {
  return { kind, ...sentCodeText(kind, to) };
}

/** factorType → what it is; a row answers undefined for a provider it does not know. */
const FACTORS: Record<string, Row> = {
  "push": (f, provider) => {
    if (provider !== "OKTA") return undefined;
    const device = profileText(f, "name");
    return {
      kind: "push",
      label: `Okta Verify push${device ? ` (${device})` : ""}`,
    };
  },
  "token:software:totp": (f, provider) => {
    const name = totpName(provider, f);
    return { kind: "totp", label: name, code: { name, prompt: `${name}: ` } };
  },
  "token:hardware": (_f, provider) =>
    provider === "YUBICO"
      ? {
        kind: "yubikey",
        label: "YubiKey",
        code: { name: "YubiKey OTP", prompt: "YubiKey: press the button: " },
      }
      : { label: "Hardware token" },
  "sms": (f) => sent("sms", profileText(f, "phoneNumber")),
  "call": (f) => sent("call", profileText(f, "phoneNumber")),
  "email": (f) => sent("email", profileText(f, "email")),
  "web": (_f, provider) =>
    provider === "DUO" ? { label: "Duo Security (web)" } : undefined,
  "webauthn": () => ({ label: "Security key or biometric (WebAuthn)" }),
  "u2f": () => ({ label: "U2F security key" }),
  "question": () => ({ label: "Security question" }),
  "token": (_f, provider) =>
    provider === "RSA"
      ? { label: "RSA SecurID" }
      : provider === "SYMANTEC"
      ? { label: "Symantec VIP" }
      : undefined,
  "signed_nonce": () => ({ label: "Okta FastPass" }),
  "claims_provider": () => ({
    label: "Another identity provider (claims provider)",
  }),
};

/** Looks a factor up in the table. */
export function factorInfo(factor: OktaFactor): FactorInfo {
  const provider = String(factor.provider ?? "").toUpperCase();
  const row = Object.hasOwn(FACTORS, factor.factorType)
    ? FACTORS[factor.factorType]
    : undefined;
  return row?.(factor, provider) ?? {
    label: `${factor.factorType || "unknown factor"}${
      factor.provider ? ` (${factor.provider})` : ""
    }`,
  };
}

/** What this tool can drive, for the "nothing usable" error. */
export const SUPPORTED_HINT =
  "this tool can use Okta Verify push, TOTP codes (Okta Verify, Google Authenticator), SMS, voice call, email or a YubiKey";
