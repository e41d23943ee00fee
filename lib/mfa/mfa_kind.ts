/**
 * The `--mfa` vocabulary: kinds of second factor, the same words for every
 * IdP. Each provider says in the registry which kinds it can drive and what
 * each means there.
 *
 * @module
 */

/** A kind of second factor, as named by `--mfa`. */
export type MfaKind = "push" | "totp" | "sms" | "call" | "email" | "yubikey";

/** Every `--mfa` value, in the order help texts list them. */
export const MFA_KINDS: readonly MfaKind[] = [
  "push",
  "totp",
  "sms",
  "call",
  "email",
  "yubikey",
];

/** Whether `value` is an `--mfa` kind. */
export function isMfaKind(value: string): value is MfaKind {
  return (MFA_KINDS as readonly string[]).includes(value);
}
