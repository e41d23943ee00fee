/**
 * Okta Identity Engine authenticators in one table: for each authenticator
 * key and method, the `--mfa` kind that picks it (none if a command line
 * cannot do it), its name in menus, and for code methods the prompt and
 * the "code sent" line.
 *
 * @module
 */
import type { MfaKind } from "../../mfa/mfa_kind.ts";
import {
  type CodeText,
  type SentCodeKind,
  sentCodeText,
} from "../../mfa/sent_code_text.ts";
import { profileText } from "./classic_factors.ts";
import {
  type IdxAuthenticator,
  type IdxState,
  type IonField,
  type IonOption,
  optionFields,
} from "./idx_api.ts";

/** One authenticator method as this tool sees it. */
export interface IdxMethod {
  /** The --mfa kind; undefined when a command line cannot use it. */
  kind?: MfaKind;
  /** True for the password (answered with the password, not as MFA). */
  password?: boolean;
  /** Its name in menus and errors. */
  label: string;
  /** How a code method's code is named, asked for and announced. */
  code?: CodeText;
  /** Why a command line cannot use it, for errors. */
  why?: string;
}

/** A method whose code Okta sends, in the words every IdP uses. */
function sent(kind: SentCodeKind, to: string | undefined): IdxMethod {
  return { kind, ...sentCodeText(kind, to) };
}

/** What a command line cannot do, and what the person can do instead. */
export const CANNOT = {
  fastpass:
    "Okta FastPass (Okta Verify on this device) needs the Okta Verify app to answer on this computer",
  webauthn: "a security key or biometric (WebAuthn, passkey) needs a browser",
} as const;

/** Describes `key` with `methodType`. */
export function describeMethod(
  key: string,
  methodType: string | undefined,
  authenticator?: IdxAuthenticator,
  label?: string,
): IdxMethod {
  switch (key) {
    case "okta_password":
      return { password: true, label: "Password" };
    case "okta_verify":
      if (methodType === "push") {
        return { kind: "push", label: "Okta Verify push" };
      }
      if (methodType === "totp") {
        return {
          kind: "totp",
          label: "Okta Verify code",
          code: { name: "Okta Verify code", prompt: "Okta Verify code: " },
        };
      }
      return { label: "Okta FastPass", why: CANNOT.fastpass };
    case "google_otp":
      return {
        kind: "totp",
        label: "Google Authenticator code",
        code: {
          name: "Google Authenticator code",
          prompt: "Google Authenticator code: ",
        },
      };
    case "phone_number":
      return sent(
        methodType === "voice" ? "call" : "sms",
        profileText(authenticator, "phoneNumber"),
      );
    case "okta_email":
      return sent("email", profileText(authenticator, "email"));
    case "webauthn":
      return {
        label: "Security key or biometric (WebAuthn)",
        why: CANNOT.webauthn,
      };
    default:
      return {
        label: label || authenticator?.displayName || key || "unknown",
        why: "it needs a browser or an app this tool cannot drive",
      };
  }
}

/** One choice an options field offers: an option with a method. */
export interface IdxChoice {
  /** The option to send. */
  option: IonOption;
  /** The methodType to send with it, if the option has one. */
  methodType?: string;
  /** What it is. */
  method: IdxMethod;
}

/** Resolves a `relatesTo` JSONPath such as `$.authenticators.value[1]`. */
export function related(
  state: IdxState,
  path: string | string[] | undefined,
): IdxAuthenticator | undefined {
  const p = Array.isArray(path) ? path[0] : path;
  const m =
    /^\$\.(authenticators|authenticatorEnrollments|currentAuthenticator|currentAuthenticatorEnrollment)(?:\.value(?:\[(\d+)\])?)?$/
      .exec(p ?? "");
  if (!m) return undefined;
  const holder = state[m[1] as keyof IdxState] as
    | { value?: IdxAuthenticator | IdxAuthenticator[] }
    | undefined;
  const value = holder?.value;
  if (Array.isArray(value)) {
    return m[2] === undefined ? undefined : value[Number(m[2])];
  }
  return value;
}

/** Every (option, method) pair an options field offers, in Okta's order. */
export function choicesOf(state: IdxState, field: IonField): IdxChoice[] {
  const out: IdxChoice[] = [];
  for (const option of field.options ?? []) {
    const fields = optionFields(option) ?? [];
    const authenticator = related(state, option.relatesTo);
    const key = authenticator?.key ?? "";
    const methodField = fields.find((f) => f.name === "methodType");
    const types: (string | undefined)[] = methodField?.options?.length
      ? methodField.options.map((o) => String(o.value))
      : typeof methodField?.value === "string"
      ? [methodField.value]
      : authenticator?.methods?.length
      ? authenticator.methods.map((m) => m.type)
      : [undefined];
    for (const methodType of types) {
      out.push({
        option,
        methodType: methodField ? methodType : undefined,
        method: describeMethod(key, methodType, authenticator, option.label),
      });
    }
  }
  return out;
}
