/**
 * Names and secrets every emulator agrees on. All invented.
 *
 * @module
 */

/** The AWS account of every role. */
export const ACCOUNT = "123456789012";
/** SAML provider the Okta emulator's roles trust. */
export const OKTA_PROVIDER = `arn:aws:iam::${ACCOUNT}:saml-provider/okta`;
/** SAML provider the ADFS emulator's roles trust. */
export const ADFS_PROVIDER = `arn:aws:iam::${ACCOUNT}:saml-provider/adfs`;
/** A role with MaxSessionDuration 43200 in the STS emulator. */
export const ROLE_DEV = `arn:aws:iam::${ACCOUNT}:role/dev`;
/** A second role with MaxSessionDuration 43200. */
export const ROLE_ADMIN = `arn:aws:iam::${ACCOUNT}:role/admin`;
/** A role with MaxSessionDuration 3600 (the STS default). */
export const ROLE_SHORT = `arn:aws:iam::${ACCOUNT}:role/short`;
/** A role whose trust policy the STS emulator refuses (AccessDenied). */
export const ROLE_DENIED =
  `arn:aws:iam::${ACCOUNT}:role/denied-by-trust-policy`;
/** MaxSessionDuration per role in the STS emulator; roles not listed have 3600. */
export const ROLE_MAX_SESSION: Record<string, number> = {
  [ROLE_DEV]: 43200,
  [ROLE_ADMIN]: 43200,
  [ROLE_SHORT]: 3600,
  [ROLE_DENIED]: 3600,
};
/** The one right password for every emulator user. */
export const PASSWORD = "correct horse battery staple";
/** The right TOTP / one-time code (Okta TOTP, ADFS code pages). */
export const TOTP_CODE = "123456";
/** The code the emulators "send" by SMS, call or email. */
export const SENT_CODE = "654321";
/** A valid YubiKey OTP (44 modhex characters). */
export const YUBIKEY_OTP = "cccccbhuinjdlnbgfcfdhjkfdbthenlfkglhcvbndehj";
