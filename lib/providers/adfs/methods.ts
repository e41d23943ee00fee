/**
 * How `--mfa` picks a method on the ADFS "choose how to sign in" page.
 *
 * Rules per kind, tried in order; the first rule that matches any method
 * wins, and the first matching method in page order is used:
 * - push: `AzureMfaAuthentication`, `AzureMfaServerAuthentication`,
 *   `SilverfortAdfs`, or a label naming a push, notification or approval;
 * - totp: `TOTPAuthenticationProvider`, `SymantecVipAdapter`,
 *   `VIPAuthenticationProvider*`,
 *   `SecurIDAuthentication`, `SecurIDv2Authentication`, `SafeNet-MFA`,
 *   `Defender AD FS Adapter`, or a label naming a code/OTP/token; when none
 *   of those is offered, `AzureMfaAuthentication` (Azure MFA in code mode);
 * - sms, call, email, yubikey: a method whose id or label names it (text
 *   message/SMS; phone call/voice; e-mail; YubiKey/security key); `call`
 *   also takes `AzureMfaServerAuthentication` (on-premises MFA Server calls).
 *
 * @module
 */
import { MFA_KINDS, type MfaKind } from "../../mfa/mfa_kind.ts";
import type { AdfsMethod } from "./pages.ts";

/** Rules mapping an --mfa kind to methods, tried in order. */
export const MFA_METHOD_RULES: Readonly<Record<MfaKind, readonly RegExp[]>> = {
  push: [
    /^(AzureMfa(Server)?Authentication|SilverfortAdfs)$/i,
    /push|notification|approv/i,
  ],
  totp: [
    /^(TOTPAuthenticationProvider|SymantecVipAdapter|VIPAuthenticationProvider.*|SecurID(v2)?Authentication|SafeNet-MFA|Defender AD FS Adapter)$/i,
    /\b(code|otp|totp|oath|token|securid|vip)\b|passcode/i,
    /^AzureMfaAuthentication$/i,
  ],
  sms: [/\bsms\b|text message/i],
  call: [/\bcall\b|voice|phone call/i, /^AzureMfaServerAuthentication$/i],
  email: [/e-?mail/i],
  yubikey: [/yubi|security key/i],
};

/** The methods that match an --mfa kind, best rule first. */
export function methodsFor(
  kind: MfaKind,
  methods: readonly AdfsMethod[],
): AdfsMethod[] {
  for (const rule of MFA_METHOD_RULES[kind]) {
    const found = methods.filter((m) => rule.test(m.id) || rule.test(m.label));
    if (found.length) return found;
  }
  return [];
}

/** The --mfa kinds that would pick `method` among `methods`. */
export function kindsFor(
  method: AdfsMethod,
  methods: readonly AdfsMethod[],
): MfaKind[] {
  return MFA_KINDS.filter((k) => methodsFor(k, methods).includes(method));
}
