/**
 * The Okta Identity Engine (OIE, "IDX") pipeline of the Okta emulator:
 * `startOkta({ pipeline: "idx" })` in okta.ts builds it with
 * {@link createOktaIdxOrg} and hands it the embed link, SSO URL, clock and
 * SAML page builder.
 *
 * Modelled on tests/emulators/README.md §3 (Okta Identity Engine: §3.2 flow,
 * payloads E1–E10, §3.13 emulator notes), not on any client: embed link →
 * 302 → SSO URL → sign-in page with a JS-escaped `stateToken` (cookies
 * `JSESSIONID`, `DT`) → `POST /idp/idx/introspect` → Ion remediation forms
 * (identify, password, select authenticator, codes, push polling,
 * keep-me-signed-in) → `success` → `GET /login/token/redirect?stateToken=…`
 * (sets the `idx` session cookie) → SAML auto-post page.
 *
 * The server is strict where the reference says a client must be careful:
 * every POST must go to the `href` of a remediation of the latest response,
 * carry the latest `stateHandle` (when rotation is on) and send every
 * immutable field back exactly; the introspect token must be unescaped; the
 * sign-in page's `JSESSIONID` must come back. Each such refusal is an
 * E10-style Ion error, is named in an `X-Emulator-Error` header and is kept
 * in {@link OktaIdxControl.errors}.
 *
 * Everything here is invented (ids, tokens, users at example.com).
 *
 * @module
 */
import {
  OKTA_PROVIDER,
  PASSWORD,
  ROLE_DEV,
  ROLE_SHORT,
  SENT_CODE,
  TOTP_CODE,
} from "./fixtures.ts";
import type { GrantedRole } from "./saml_assertion.ts";
import { getCookie, html, liveSession, setCookie } from "./server.ts";

/** Authenticators a user can verify with as a second step (`authenticators[].key`). */
export type OktaIdxAuthenticatorKey =
  | "okta_verify"
  | "google_otp"
  | "phone_number"
  | "okta_email"
  | "webauthn";

/** Okta Verify methods: push, a code (`totp`), FastPass (`signed_nonce`). */
export type OktaVerifyMethod = "push" | "totp" | "signed_nonce";

/** Phone methods. */
export type OktaPhoneMethod = "sms" | "voice";

/** A step the emulator offers that a CLI cannot take (it should stop and name it). */
export type OktaIdxUnsupported =
  | "select-authenticator-enroll"
  | "redirect-idp"
  | "captcha";

/** A terminal refusal after the password (E10f–h). */
export type OktaIdxFailure = "not-assigned" | "access-denied" | "rate-limit";

/** How one emulated OIE user behaves. Every field is optional. */
export interface OktaIdxUser {
  /**
   * Right password; defaults to fixtures.PASSWORD. `null`: the user has no
   * password (passwordless); with identifier-first the second step comes
   * straight after identify, and the one-page form always fails.
   */
  password?: string | null;
  /** Roles in the assertion; defaults to ROLE_DEV and ROLE_ADMIN (OKTA_PROVIDER). */
  roles?: GrantedRole[];
  /** SessionDuration attribute; defaults to 3600, `null` omits it. */
  sessionDuration?: number | null;
  /** Write Role values in mixed order (provider first for every other role); default true. */
  mixOrder?: boolean;
  /** Enrolled authenticators for the second step, in the order offered; none = password only. */
  authenticators?: OktaIdxAuthenticatorKey[];
  /** Okta Verify methods offered; default `["push", "totp"]`. */
  oktaVerifyMethods?: OktaVerifyMethod[];
  /** Phone methods offered; default `["sms", "voice"]`. */
  phoneMethods?: OktaPhoneMethod[];
  /** Push with number challenge: `currentAuthenticator.value.contextualData.correctAnswer`. */
  numberChallenge?: boolean;
  /**
   * Push outcome: `approve` (default), `reject` (E10e) or `never` (stays
   * pending), given at poll number `polls` (1-based; default the option
   * `pushPolls`).
   */
  push?: { outcome?: "approve" | "reject" | "never"; polls?: number };
  /**
   * Identifier-first only: how the password is asked after identify —
   * `challenge` (E5, default) or `select` (a `select-authenticator-authenticate`
   * whose only option is the password, methodType `password`).
   */
  passwordStep?: "challenge" | "select";
  /** The account is locked: identify answers an error message about it. */
  locked?: boolean;
  /** A step the client cannot take (see {@link OktaIdxUnsupported}). */
  unsupported?: OktaIdxUnsupported;
  /** A terminal error after the password (E10f not assigned 400, E10g access denied 403, E10h 429). */
  failure?: OktaIdxFailure;
  /** Overrides the option `keepMeSignedIn` for this user. */
  keepMeSignedIn?: boolean;
}

/** Knobs of the OIE org (`OktaOptions.idx`). Defaults in brackets. */
export interface OktaIdxOptions {
  /** OIE users merged over {@link defaultOktaIdxUsers} (same key replaces). */
  users?: Record<string, OktaIdxUser>;
  /** The global session policy: one-page identify with the password, or identifier-first [one-page]. */
  identify?: "one-page" | "identifier-first";
  /**
   * Sign-in page template: `default` (template A, `var stateToken = '…'`),
   * `custom` (template B, `var oktaData = {…}` that is not JSON, with
   * `\uHHHH` escapes) or `empty` (template C: `var stateToken = '';`, no
   * transaction) [default].
   */
  pageTemplate?: "default" | "custom" | "empty";
  /** Require the sign-in page's JSESSIONID cookie on every IDX call [true]. */
  requireCookie?: boolean;
  /** A new stateHandle in every response; a stale one is refused [true]. */
  rotateStateHandle?: boolean;
  /** HTTP status of wrong password / wrong code / locked answers (E10a–c) [401]. */
  errorStatus?: number;
  /** `refresh` of `challenge-poll` and `device-challenge-poll`, in ms [4000]. */
  refreshMs?: number;
  /** Poll (1-based) at which a push gives its outcome, unless the user says otherwise [2]. */
  pushPolls?: number;
  /** Answer 429 `tooManyRequests` to a poll sent sooner than `refreshMs` after the previous answer [false]. */
  rejectEarlyPolls?: boolean;
  /** When Okta Verify is a user's only authenticator, offer `authenticator-verification-data` instead of a select [false]. */
  verificationData?: boolean;
  /** Ask `keep-me-signed-in` after authentication [false]. */
  keepMeSignedIn?: boolean;
  /** `success` as the top-level object, or as a `success-redirect` remediation [object]. */
  success?: "object" | "remediation";
  /** `/login/token/redirect`: 302 to the SSO URL, or the SAML page itself [redirect]. */
  tokenRedirect?: "redirect" | "form";
  /** App policy step-up: a live `idx` session still gets a new sign-in page [false]. */
  appStepUp?: boolean;
  /** Every identify form carries a `captchaVerify` field and a top-level `captcha` [false]. */
  captcha?: boolean;
}

/** One poll the emulator answered. */
export interface OktaIdxPoll {
  /** {@link OktaIdxLogin.id} of the login. */
  login: number;
  /** Remediation polled: `challenge-poll` or `device-challenge-poll`. */
  remediation: string;
  /** Time of the poll (ms since epoch, on the emulator's clock). */
  at: number;
  /** Time since the previous answer of this challenge: the challenge answer for the first poll, else the previous poll. */
  gapMs: number;
}

/** One code the emulator "sent". */
export interface OktaIdxCode {
  /** {@link OktaIdxLogin.id} of the login. */
  login: number;
  /** The user it went to (canonical name from the user table). */
  username: string;
  /** How it went: SMS, voice call or email. */
  method: "sms" | "voice" | "email";
  /** The code (always fixtures.SENT_CODE). */
  code: string;
}

/** What happened in one login (one sign-in page served = one transaction). */
export interface OktaIdxLogin {
  /** 1-based, in the order the sign-in pages were served. */
  id: number;
  /** The identifier the client sent, once it did. */
  username?: string;
  /** IDX requests that named this transaction (introspect and remediation POSTs, refused ones included). */
  idxRequests: number;
  /** Remediations accepted, in order (`introspect` first). */
  remediations: string[];
  /** Okta Verify pushes sent (first sends and resends). */
  pushes: number;
  /** Codes sent by SMS, voice or email (first sends and resends). */
  codes: number;
  /** Polls answered. */
  polls: OktaIdxPoll[];
  /** The success href was opened (the `idx` session exists). */
  succeeded: boolean;
}

/** Test access to the OIE org (`OktaEmulator.idx`). */
export interface OktaIdxControl {
  /** The live OIE user table (identifier → behaviour); tests may add or change users. */
  users: Record<string, OktaIdxUser>;
  /** Every login so far, oldest first (live records). */
  logins(): OktaIdxLogin[];
  /** Okta Verify pushes sent, all logins. */
  pushesSent(): number;
  /** Codes sent, all logins, in order. */
  codesSent(): OktaIdxCode[];
  /** Polls answered, all logins, in order. */
  polls(): OktaIdxPoll[];
  /** Protocol errors the emulator answered (stale stateHandle, changed immutable field, …), in order. */
  errors(): string[];
  /** Number of live `idx` sessions. */
  sessionCount(): number;
  /** How many times the embed link or SSO URL was opened with `?sessionToken=` (ignored on OIE). */
  ignoredSessionTokens(): number;
}

/** What okta.ts gives the OIE org. */
export interface OktaIdxContext {
  /** Path of the embed link. */
  embedPath: string;
  /** Path of the SAML SSO URL. */
  ssoPath: string;
  /** The emulator's clock. */
  clock: () => Date;
  /** Lifetime of an `idx` session. */
  sessionLifetimeMs: number;
  /** The SAML auto-post page for a user (assertion from buildSamlResponse). */
  samlPage(username: string, user: OktaIdxUser): string;
}

/** The OIE org as okta.ts drives it. */
export interface OktaIdxOrg {
  /** Test access. */
  control: OktaIdxControl;
  /** Answers the OIE routes; `undefined` for any other request. */
  handle(req: Request, url: URL): Promise<Response | undefined>;
  /**
   * `/api/v1/authn` on the OIE org for an OIE user: `undefined` when the
   * name is not an OIE user, else the canonical name and the outcome.
   */
  classicLogin(
    username: string,
    password: unknown,
  ): { username: string; result: "ok" | "bad" | "locked" } | undefined;
  /** Ends every `idx` session. */
  expireSessions(): void;
  /** Forgets every transaction (next introspect or POST answers E10d). */
  expireTransactions(): void;
}

/** Authenticator ids (`authenticators[].id`, the immutable `id` of select options). */
export const OKTA_IDX_AUTHENTICATOR_IDS: Readonly<
  Record<OktaIdxAuthenticatorKey | "okta_password", string>
> = {
  okta_password: "autEMULATORPASSWORD0",
  okta_verify: "autEMULATOROKTAVERIF",
  google_otp: "autEMULATORGOOGLEOTP",
  phone_number: "autEMULATORPHONE0000",
  okta_email: "autEMULATOREMAIL0000",
  webauthn: "autEMULATORWEBAUTHN0",
};

/** Enrollment id of the phone (the immutable `enrollmentId` of its option). */
export const OKTA_IDX_PHONE_ENROLLMENT_ID = "paeEMULATORPHONE0000";

/** `contextualData.correctAnswer` of a number-challenge push (a string, as in the reference). */
export const OKTA_IDX_CORRECT_ANSWER = "47";

/** Default `refresh` of the poll remediations, ms. */
export const OKTA_IDX_REFRESH_MS = 4000;

/** Path of the success href. */
export const OKTA_IDX_TOKEN_REDIRECT_PATH = "/login/token/redirect";

/** Lifetime of a transaction (sliding: each request renews it). */
export const OKTA_IDX_TRANSACTION_LIFETIME_MS = 10 * 60_000;

/**
 * Returns a fresh copy of the default OIE user table (all @example.com,
 * password fixtures.PASSWORD, codes fixtures.TOTP_CODE / SENT_CODE):
 *
 * - `alice`: password only. `solo`: password only, one role (ROLE_DEV).
 * - `push`: Okta Verify push only (approved at poll `pushPolls`).
 * - `push-number`: push with number challenge.
 * - `push-reject`: push rejected on the phone (E10e). `push-never`: stays pending.
 * - `totp`: Okta Verify code only (answer field `totp`).
 * - `google`: Google Authenticator (`passcode`).
 * - `sms`, `voice`: Phone with only that method; `phone`: both methods (choose or
 *   get `authenticator-verification-data`).
 * - `email`: Email (`passcode`, resend).
 * - `multi`: Okta Verify (push, totp), Phone (sms, voice), Google, Email.
 * - `fastpass`: Okta Verify with FastPass (`signed_nonce`) only.
 * - `webauthn`: Security key / biometric only.
 * - `locked`: locked account.
 * - `select-password` (identifier-first variant): password offered as a select option, then Email.
 * - `passwordless` (identifier-first variant): no password, Okta Verify push right after identify.
 * - `kmsi`: password only, then `keep-me-signed-in`.
 * - `enroll`: password, then only `select-authenticator-enroll`.
 * - `redirect-idp`: identify answers only `redirect-idp`.
 * - `captcha`: identify answers the identify form with `captchaVerify` and `captcha`.
 * - `not-assigned` (400), `access-denied` (403), `ratelimit` (429): terminal errors after the password.
 */
export function defaultOktaIdxUsers(): Record<string, OktaIdxUser> {
  const u = (name: string) => `${name}@example.com`;
  return {
    [u("alice")]: {},
    [u("solo")]: { roles: [{ role: ROLE_DEV, principal: OKTA_PROVIDER }] },
    [u("long")]: {
      roles: [{ role: ROLE_SHORT, principal: OKTA_PROVIDER }],
      sessionDuration: 28800,
    },
    [u("push")]: { authenticators: ["okta_verify"] },
    [u("push-number")]: {
      authenticators: ["okta_verify"],
      numberChallenge: true,
    },
    [u("push-reject")]: {
      authenticators: ["okta_verify"],
      push: { outcome: "reject" },
    },
    [u("push-never")]: {
      authenticators: ["okta_verify"],
      push: { outcome: "never" },
    },
    [u("totp")]: {
      authenticators: ["okta_verify"],
      oktaVerifyMethods: ["totp"],
    },
    [u("google")]: { authenticators: ["google_otp"] },
    [u("sms")]: { authenticators: ["phone_number"], phoneMethods: ["sms"] },
    [u("voice")]: { authenticators: ["phone_number"], phoneMethods: ["voice"] },
    [u("phone")]: { authenticators: ["phone_number"] },
    [u("email")]: { authenticators: ["okta_email"] },
    [u("multi")]: {
      authenticators: [
        "okta_verify",
        "phone_number",
        "google_otp",
        "okta_email",
      ],
    },
    [u("fastpass")]: {
      authenticators: ["okta_verify"],
      oktaVerifyMethods: ["signed_nonce"],
    },
    [u("webauthn")]: { authenticators: ["webauthn"] },
    [u("locked")]: { locked: true },
    [u("select-password")]: {
      passwordStep: "select",
      authenticators: ["okta_email"],
    },
    [u("passwordless")]: { password: null, authenticators: ["okta_verify"] },
    [u("kmsi")]: { keepMeSignedIn: true },
    [u("enroll")]: { unsupported: "select-authenticator-enroll" },
    [u("redirect-idp")]: { unsupported: "redirect-idp" },
    [u("captcha")]: { unsupported: "captcha" },
    [u("not-assigned")]: { failure: "not-assigned" },
    [u("access-denied")]: { failure: "access-denied" },
    [u("ratelimit")]: { failure: "rate-limit" },
  };
}

// ---------------------------------------------------------------------------
// Ion shapes

interface IdxMessage {
  message: string;
  i18n: { key: string; params?: unknown[] };
  class: "ERROR" | "WARNING" | "INFO";
}

interface FieldOption {
  label: string;
  value: string | { form: { value: Field[] } };
  relatesTo?: string;
}

interface Field {
  name: string;
  label?: string;
  type?: string;
  required?: boolean;
  secret?: boolean;
  value?: unknown;
  visible?: boolean;
  mutable?: boolean;
  form?: { value: Field[] };
  options?: FieldOption[];
  messages?: { type: "array"; value: IdxMessage[] };
}

/** A POST form (a remediation, or `resend` / `cancel` / `recover` elsewhere in the document). */
interface Form {
  rel: string[];
  name: string;
  relatesTo?: string[];
  href: string;
  method: "POST";
  produces: string;
  refresh?: number;
  value: Field[];
  accepts: string;
}

const ION = "application/ion+json; okta-version=1.0.0";
const ACCEPTS = "application/json; okta-version=1.0.0";

const ionArray = <T>(value: T[]) => ({ type: "array" as const, value });

function msg(
  message: string,
  key: string,
  cls: IdxMessage["class"] = "ERROR",
  params?: unknown[],
): IdxMessage {
  return { message, i18n: params ? { key, params } : { key }, class: cls };
}

const MSG = {
  authFailed: () => msg("Authentication failed", "errors.E0000004"),
  incorrectPassword: () => msg("Password is incorrect", "incorrectPassword"),
  invalidCode: () =>
    msg(
      "Invalid code. Try again.",
      "api.authn.error.PASSCODE_INVALID",
      "ERROR",
      [],
    ),
  // What Okta answers for a locked account on OIE is not established by the
  // reference (okta-auth-js treats "locked or suspended" as the generic
  // E0000004 when user enumeration protection is on). The text is the Sign-In
  // Widget's own `error.auth.lockedOut` string and the key the Classic
  // "account locked" code: invented, but plausible and explicit.
  locked: () =>
    msg(
      "Your account is locked. Please contact your administrator.",
      "errors.E0000119",
    ),
  expired: () =>
    msg(
      "You have been logged out due to inactivity. Refresh or return to the sign in screen.",
      "idx.session.expired",
    ),
  pushRejected: () =>
    msg(
      "You have chosen to reject this login.",
      "api.authn.poll.error.push_rejected",
      "ERROR",
      [],
    ),
  notAssigned: () =>
    msg(
      "User is not assigned to this application.",
      "idx.error.user.not.assigned.to.app",
    ),
  accessDenied: () =>
    msg(
      "You do not have permission to perform the requested action.",
      "security.access_denied",
    ),
  tooMany: () => msg("Too many requests", "tooManyRequests"),
  webauthn: () =>
    msg(
      "The emulator cannot verify a security key or biometric.",
      "authfactor.webauthn.error.invalid_assertion",
    ),
};

const METHOD_LABELS: Record<string, string> = {
  push: "Get a push notification",
  totp: "Enter a code",
  signed_nonce: "Use Okta FastPass",
  sms: "SMS",
  voice: "Voice call",
  email: "Email",
  webauthn: "Security Key or Biometric",
  password: "Password",
};

type AnyKey = OktaIdxAuthenticatorKey | "okta_password";

interface AuthenticatorDef {
  type: string;
  displayName: string;
  enrollmentId: string;
  profile?: Record<string, string>;
}

const AUTHENTICATORS: Record<AnyKey, AuthenticatorDef> = {
  okta_password: {
    type: "password",
    displayName: "Password",
    enrollmentId: "laeEMULATORPASSWORD0",
  },
  okta_verify: {
    type: "app",
    displayName: "Okta Verify",
    enrollmentId: "pfdEMULATOROVDEVICE0",
    profile: { deviceName: "Emulated iPhone" },
  },
  google_otp: {
    type: "app",
    displayName: "Google Authenticator",
    enrollmentId: "gaeEMULATORGOOGLE000",
  },
  phone_number: {
    type: "phone",
    displayName: "Phone",
    enrollmentId: OKTA_IDX_PHONE_ENROLLMENT_ID,
    profile: { phoneNumber: "+1 XXX-XXX-1234" },
  },
  okta_email: {
    type: "email",
    displayName: "Email",
    enrollmentId: "eaeEMULATOREMAIL0000",
    profile: { email: "u***r@example.com" },
  },
  webauthn: {
    type: "security_key",
    displayName: "Security Key or Biometric",
    enrollmentId: "fwfEMULATORWEBAUTHN0",
  },
};

const CAPTCHA_ID = "capEMULATORHCAPTCHA0";
const IDP_ID = "0oaEMULATORIDP000000";
const APP = {
  type: "object",
  value: {
    name: "amazon_aws",
    label: "AWS Account Federation",
    id: "0oaEMULATOR00000000",
  },
};
const AUTHENTICATION = {
  type: "object",
  value: { protocol: "SAML2.0", request: {} },
};

// ---------------------------------------------------------------------------
// Small helpers

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

function randomHex(bytes: number): string {
  return Array.from(randomBytes(bytes), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

function b64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

/** A compact-JWE-looking stateToken of a few thousand characters, with `-` and `_`. */
function makeStateToken(): string {
  const header = b64url(
    new TextEncoder().encode(JSON.stringify({
      zip: "DEF",
      alias: "encryptionkey",
      ver: "1",
      oid: "00oEMULATOR00000000",
      enc: "A256GCM",
      alg: "dir",
    })),
  );
  const body = b64url(randomBytes(2400));
  const half = body.length >> 1;
  return `${header}..${b64url(randomBytes(12))}.${body.slice(0, half)}` +
    `-emulator_token-${body.slice(half)}.${b64url(randomBytes(16))}`;
}

/**
 * Okta's JS string escaping: every character but letters, digits and `.`
 * (and `_` on template A) as `\xHH`; template B also writes every other `-`
 * as `\u002D` and `_` as `\x5F`.
 */
function escapeJs(value: string, custom: boolean): string {
  let out = "";
  let dashes = 0;
  for (const c of value) {
    if (/[A-Za-z0-9.]/.test(c) || (!custom && c === "_")) {
      out += c;
      continue;
    }
    const code = c.codePointAt(0) ?? 0;
    if (custom && c === "-" && dashes++ % 2 === 1) {
      out += "\\u002D";
    } else if (code < 0x100) {
      out += `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`;
    } else {
      out += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    }
  }
  return out;
}

/** Undoes {@link escapeJs} (to tell which login an escaped token meant). */
function unescapeJs(value: string): string {
  return value.replace(
    /\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|(.))/g,
    (_, x, u, c) => x || u ? String.fromCharCode(parseInt(x ?? u, 16)) : c,
  );
}

function userId(username: string): string {
  let hash = 0;
  for (const c of username.toLowerCase()) {
    hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  }
  return `00u${hash.toString(36).padStart(7, "0")}IDXEMULATOR`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length &&
    keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
}

function optionId(option: FieldOption): unknown {
  if (typeof option.value !== "object") return undefined;
  return option.value.form.value.find((f) => f.name === "id")?.value;
}

/**
 * Checks a request body against a form's fields the way the server must:
 * immutable fields exactly as offered, required fields present, option
 * values among the options, nested objects recursively. Returns the first
 * problem, or undefined.
 */
function validate(
  fields: Field[],
  body: unknown,
  path = "",
): string | undefined {
  if (!isObject(body)) return `${path || "the body "}must be a JSON object`;
  for (const f of fields) {
    const where = `${path}${f.name}`;
    const v = body[f.name];
    if (f.mutable === false && f.value !== undefined) {
      if (!sameJson(v, f.value)) {
        return `immutable field ${where} was not sent back exactly as offered`;
      }
      continue;
    }
    if (v === undefined) {
      if (f.required === true) return `required field ${where} is missing`;
      continue;
    }
    if (f.options) {
      const forms = f.options.filter((o) => typeof o.value === "object");
      if (forms.length > 0) {
        if (!isObject(v)) {
          return `${where} must be an object (an option's form)`;
        }
        const chosen = forms.find((o) => optionId(o) === v.id);
        if (!chosen || typeof chosen.value !== "object") {
          return `${where}.id matches none of the offered options`;
        }
        const err = validate(chosen.value.form.value, v, `${where}.`);
        if (err) return err;
      } else if (!f.options.some((o) => o.value === v)) {
        return `${where} ${
          JSON.stringify(v)
        } is not one of the offered options (${
          f.options.map((o) => String(o.value)).join(", ")
        })`;
      }
      continue;
    }
    if (f.form) {
      const err = validate(f.form.value, v, `${where}.`);
      if (err) return err;
      continue;
    }
    if (f.type === "boolean" && typeof v !== "boolean") {
      return `${where} must be a boolean`;
    }
  }
  return undefined;
}

function ion(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": ION, ...headers },
  });
}

// ---------------------------------------------------------------------------
// Transactions

type Step =
  | { kind: "identify" }
  | { kind: "password" }
  | { kind: "password-select" }
  | { kind: "select" }
  | { kind: "verification-data"; key: "okta_verify" | "phone_number" }
  | {
    kind: "code";
    key: "okta_verify" | "google_otp" | "phone_number" | "okta_email";
    method: string;
  }
  | { kind: "webauthn" }
  | { kind: "push"; rejected: boolean }
  | { kind: "fastpass" }
  | { kind: "kmsi" }
  | { kind: "success" }
  | {
    kind: "unsupported";
    name: "select-authenticator-enroll" | "redirect-idp";
  }
  | { kind: "terminal" };

interface Txn {
  login: OktaIdxLogin;
  /** The decoded stateToken of the sign-in page. */
  token: string;
  jsessionId: string;
  /** `02.id.…`: the part of every stateHandle before `~`, and the success href's token. */
  prefix: string;
  /** The latest stateHandle (undefined before introspect). */
  handle?: string;
  expiresAt: number;
  step: Step;
  username?: string;
  user?: OktaIdxUser;
  /** Identifier-first with an unknown identifier: a password step that always fails. */
  phantom: boolean;
  passwordOk: boolean;
  mfaOk: boolean;
  kmsiDone: boolean;
  captchaRequired: boolean;
  /** POST forms of the latest rendered state. */
  offered: Form[];
  /** Polls of the current push, and when the previous answer of it was given. */
  push: { polls: number; lastAt: number };
}

interface IdxSession {
  username: string;
  expiresAt: number;
  /** Just created by the success href: satisfies an app step-up once. */
  fresh: boolean;
}

interface RenderExtras {
  messages?: IdxMessage[];
  /** Put on the answer field of `challenge-authenticator` (E10c) instead of top-level messages. */
  fieldMessage?: IdxMessage;
  status?: number;
  /** Offer `unlock-account` beside identify. */
  unlock?: boolean;
}

/**
 * Builds the OIE org. okta.ts calls this once per emulator and routes
 * requests to {@link OktaIdxOrg.handle} when `pipeline` is `idx`.
 *
 * @param options The knobs and users.
 * @param ctx Paths, clock and SAML page builder from okta.ts.
 */
export function createOktaIdxOrg(
  options: OktaIdxOptions,
  ctx: OktaIdxContext,
): OktaIdxOrg {
  const users: Record<string, OktaIdxUser> = {
    ...defaultOktaIdxUsers(),
    ...options.users,
  };
  const onePage = (options.identify ?? "one-page") === "one-page";
  const rotate = options.rotateStateHandle ?? true;
  const requireCookie = options.requireCookie ?? true;
  const errorStatus = options.errorStatus ?? 401;
  const refreshMs = options.refreshMs ?? OKTA_IDX_REFRESH_MS;
  const template = options.pageTemplate ?? "default";
  const now = () => ctx.clock().getTime();

  const byToken = new Map<string, Txn>();
  const byHandle = new Map<string, Txn>();
  const bySuccess = new Map<string, Txn>();
  const sessions = new Map<string, IdxSession>();
  const logins: OktaIdxLogin[] = [];
  const codes: OktaIdxCode[] = [];
  const polls: OktaIdxPoll[] = [];
  const errors: string[] = [];
  let pushes = 0;
  let ignoredSessionTokens = 0;

  function findUser(
    name: string,
  ): { username: string; user: OktaIdxUser } | undefined {
    if (Object.hasOwn(users, name)) {
      return { username: name, user: users[name] };
    }
    const lower = name.toLowerCase();
    for (const [key, user] of Object.entries(users)) {
      if (key.toLowerCase() === lower) return { username: key, user };
    }
    return undefined;
  }

  const ovMethods = (u: OktaIdxUser): OktaVerifyMethod[] =>
    u.oktaVerifyMethods ?? ["push", "totp"];
  const phoneMethods = (u: OktaIdxUser): OktaPhoneMethod[] =>
    u.phoneMethods ?? ["sms", "voice"];
  const authenticatorsOf = (u: OktaIdxUser | undefined) =>
    u?.authenticators ?? [];

  function methodsOf(key: AnyKey, u: OktaIdxUser): string[] {
    switch (key) {
      case "okta_verify":
        return ovMethods(u);
      case "phone_number":
        return phoneMethods(u);
      case "google_otp":
        return ["otp"];
      case "okta_email":
        return ["email"];
      case "webauthn":
        return ["webauthn"];
      case "okta_password":
        return ["password"];
    }
  }

  // ---- Forms ---------------------------------------------------------------

  const sh = (h: string): Field => ({
    name: "stateHandle",
    required: true,
    value: h,
    visible: false,
    mutable: false,
  });

  function form(
    origin: string,
    name: string,
    path: string,
    value: Field[],
    extra: { relatesTo?: string[]; refresh?: number } = {},
  ): Form {
    return {
      rel: ["create-form"],
      name,
      ...(extra.relatesTo ? { relatesTo: extra.relatesTo } : {}),
      href: `${origin}${path}`,
      method: "POST",
      produces: ION,
      ...(extra.refresh !== undefined ? { refresh: extra.refresh } : {}),
      value,
      accepts: ACCEPTS,
    };
  }

  function methodField(methods: string[], required = false): Field {
    if (methods.length === 1) {
      return {
        name: "methodType",
        required,
        value: methods[0],
        mutable: false,
      };
    }
    return {
      name: "methodType",
      type: "string",
      required,
      options: methods.map((m) => ({ label: METHOD_LABELS[m] ?? m, value: m })),
    };
  }

  /** The fields of an authenticator's option (id immutable, methodType, enrollmentId). */
  function optionFields(key: AnyKey, u: OktaIdxUser): Field[] {
    const fields: Field[] = [{
      name: "id",
      required: true,
      value: OKTA_IDX_AUTHENTICATOR_IDS[key],
      mutable: false,
    }];
    if (key !== "google_otp") fields.push(methodField(methodsOf(key, u)));
    if (key === "phone_number") {
      fields.push({
        name: "enrollmentId",
        required: true,
        value: OKTA_IDX_PHONE_ENROLLMENT_ID,
        mutable: false,
      });
    }
    return fields;
  }

  function selectForm(
    origin: string,
    h: string,
    keys: AnyKey[],
    u: OktaIdxUser,
    name = "select-authenticator-authenticate",
  ): Form {
    return form(origin, name, "/idp/idx/challenge", [{
      name: "authenticator",
      type: "object",
      options: keys.map((key, i) => ({
        label: AUTHENTICATORS[key].displayName,
        value: { form: { value: optionFields(key, u) } },
        relatesTo: `$.authenticators.value[${i}]`,
      })),
    }, sh(h)]);
  }

  function authenticatorObject(
    key: AnyKey,
    u: OktaIdxUser,
    methods?: string[],
  ) {
    const def = AUTHENTICATORS[key];
    return {
      type: def.type,
      key,
      id: OKTA_IDX_AUTHENTICATOR_IDS[key],
      displayName: def.displayName,
      methods: (methods ?? methodsOf(key, u)).map((type) => ({ type })),
    };
  }

  function enrollmentObject(key: AnyKey, u: OktaIdxUser, methods?: string[]) {
    const def = AUTHENTICATORS[key];
    return {
      ...(def.profile ? { profile: def.profile } : {}),
      type: def.type,
      key,
      id: def.enrollmentId,
      displayName: def.displayName,
      methods: (methods ?? methodsOf(key, u)).map((type) => ({ type })),
    };
  }

  function listed(
    doc: Record<string, unknown>,
    keys: AnyKey[],
    u: OktaIdxUser,
  ) {
    doc.authenticators = ionArray(keys.map((k) => authenticatorObject(k, u)));
    doc.authenticatorEnrollments = ionArray(
      keys.map((k) => enrollmentObject(k, u)),
    );
  }

  function identifyForm(origin: string, h: string, captcha: boolean): Form {
    const fields: Field[] = [{
      name: "identifier",
      label: "Username",
      required: true,
    }];
    if (onePage) {
      fields.push({
        name: "credentials",
        type: "object",
        required: true,
        form: {
          value: [{ name: "passcode", label: "Password", secret: true }],
        },
      });
    }
    fields.push({
      name: "rememberMe",
      type: "boolean",
      label: "Keep me signed in",
    });
    if (captcha) {
      fields.push({
        name: "captchaVerify",
        label: "captchaVerify",
        required: true,
        form: {
          value: [
            { name: "captchaToken", label: "captchaToken", required: true },
            {
              name: "captchaId",
              required: true,
              value: CAPTCHA_ID,
              mutable: false,
            },
          ],
        },
      });
    }
    fields.push(sh(h));
    return form(origin, "identify", "/idp/idx/identify", fields);
  }

  // ---- Rendering -----------------------------------------------------------

  function rotateHandle(txn: Txn) {
    if (txn.handle && !rotate) return;
    txn.handle = `${txn.prefix}~c.${b64url(randomBytes(24))}`;
    byHandle.set(txn.handle, txn);
  }

  function successHref(origin: string, txn: Txn): string {
    return `${origin}${OKTA_IDX_TOKEN_REDIRECT_PATH}?stateToken=${txn.prefix}`;
  }

  /** The Ion document of the transaction's current step; rotates the stateHandle. */
  function render(
    txn: Txn,
    origin: string,
    extras: RenderExtras = {},
  ): Response {
    txn.expiresAt = now() + OKTA_IDX_TRANSACTION_LIFETIME_MS;
    if (txn.step.kind === "terminal") {
      txn.offered = [];
      return ion({
        version: "1.0.0",
        messages: ionArray(extras.messages ?? []),
      }, extras.status ?? 400);
    }
    rotateHandle(txn);
    const h = txn.handle as string;
    const u = txn.user ?? {};
    const doc: Record<string, unknown> = {
      version: "1.0.0",
      stateHandle: h,
      expiresAt: new Date(txn.expiresAt).toISOString(),
      intent: "LOGIN",
    };
    const remediation: unknown[] = [];
    const offered: Form[] = [];
    const top: Record<string, unknown> = {};
    const offer = (f: Form) => {
      remediation.push(f);
      offered.push(f);
    };
    const mfaKeys = authenticatorsOf(txn.user);
    const step = txn.step;
    switch (step.kind) {
      case "identify": {
        const captcha = options.captcha === true || txn.captchaRequired;
        offer(identifyForm(origin, h, captcha));
        offer(
          form(origin, "select-enroll-profile", "/idp/idx/enroll", [sh(h)]),
        );
        if (extras.unlock) {
          offer(
            form(origin, "unlock-account", "/idp/idx/unlock-account", [sh(h)]),
          );
        }
        if (onePage) {
          top.currentAuthenticator = {
            type: "object",
            value: authenticatorObject("okta_password", u),
          };
        }
        if (captcha) {
          top.captcha = {
            type: "object",
            value: {
              id: CAPTCHA_ID,
              name: "hCaptcha",
              siteKey: "10000000-ffff-ffff-ffff-000000000001",
              type: "HCAPTCHA",
            },
          };
        }
        break;
      }
      case "password": {
        offer(
          form(origin, "challenge-authenticator", "/idp/idx/challenge/answer", [
            {
              name: "credentials",
              type: "object",
              required: true,
              form: {
                value: [{
                  name: "passcode",
                  label: "Password",
                  secret: true,
                  required: true,
                }],
              },
            },
            sh(h),
          ], { relatesTo: ["$.currentAuthenticatorEnrollment"] }),
        );
        const recover = form(origin, "recover", "/idp/idx/recover", [sh(h)]);
        offered.push(recover);
        top.currentAuthenticatorEnrollment = {
          type: "object",
          value: { ...enrollmentObject("okta_password", u), recover },
        };
        break;
      }
      case "password-select": {
        offer(selectForm(origin, h, ["okta_password"], u));
        listed(top, ["okta_password"], u);
        break;
      }
      case "select": {
        offer(selectForm(origin, h, mfaKeys, u));
        listed(top, mfaKeys, u);
        break;
      }
      case "verification-data": {
        const fields = optionFields(step.key, u);
        fields[1] = {
          name: "methodType",
          required: true,
          options: methodsOf(step.key, u).map((m) => ({
            label: METHOD_LABELS[m] ?? m,
            value: m,
          })),
        };
        if (step.key === "okta_verify") {
          fields.push({
            name: "autoChallenge",
            type: "boolean",
            required: false,
            value: false,
            label: "Send push automatically",
            visible: true,
            mutable: true,
          });
        }
        offer(
          form(
            origin,
            "authenticator-verification-data",
            "/idp/idx/challenge",
            [{
              name: "authenticator",
              label: AUTHENTICATORS[step.key].displayName,
              form: { value: fields },
            }, sh(h)],
            { relatesTo: ["$.currentAuthenticator"] },
          ),
        );
        if (mfaKeys.length > 1) offer(selectForm(origin, h, mfaKeys, u));
        top.currentAuthenticator = {
          type: "object",
          value: authenticatorObject(step.key, u),
        };
        listed(top, mfaKeys, u);
        break;
      }
      case "code": {
        const answer: Field = {
          name: step.key === "okta_verify" ? "totp" : "passcode",
          label: "Enter code",
          required: true,
          ...(extras.fieldMessage
            ? { messages: ionArray([extras.fieldMessage]) }
            : {}),
        };
        offer(
          form(origin, "challenge-authenticator", "/idp/idx/challenge/answer", [
            {
              name: "credentials",
              type: "object",
              required: true,
              form: { value: [answer] },
            },
            sh(h),
          ], { relatesTo: ["$.currentAuthenticatorEnrollment"] }),
        );
        if (mfaKeys.length > 1) offer(selectForm(origin, h, mfaKeys, u));
        const value: Record<string, unknown> = enrollmentObject(step.key, u, [
          step.method,
        ]);
        if (step.key === "phone_number" || step.key === "okta_email") {
          const resend = form(origin, "resend", "/idp/idx/challenge/resend", [
            sh(h),
          ]);
          offered.push(resend);
          value.resend = resend;
        }
        top.currentAuthenticatorEnrollment = { type: "object", value };
        listed(top, mfaKeys, u);
        break;
      }
      case "webauthn": {
        const names = ["clientData", "authenticatorData", "signatureData"];
        offer(
          form(origin, "challenge-authenticator", "/idp/idx/challenge/answer", [
            {
              name: "credentials",
              type: "object",
              required: true,
              form: {
                value: names.map((name, i) => ({
                  name,
                  label: name,
                  required: true,
                  ...(i === 0 && extras.fieldMessage
                    ? { messages: ionArray([extras.fieldMessage]) }
                    : {}),
                })),
              },
            },
            sh(h),
          ], { relatesTo: ["$.currentAuthenticatorEnrollment"] }),
        );
        if (mfaKeys.length > 1) offer(selectForm(origin, h, mfaKeys, u));
        top.currentAuthenticatorEnrollment = {
          type: "object",
          value: {
            ...enrollmentObject("webauthn", u),
            credentialId: "RU1VTEFUT1JDUkVERU5USUFM",
            contextualData: {
              challengeData: {
                challenge: b64url(randomBytes(24)),
                userVerification: "preferred",
                extensions: { appid: origin },
              },
            },
          },
        };
        listed(top, mfaKeys, u);
        break;
      }
      case "push": {
        const resendFields = [{
          name: "authenticator",
          required: true,
          value: {
            methodType: "push",
            id: OKTA_IDX_AUTHENTICATOR_IDS.okta_verify,
          },
          visible: false,
          mutable: false,
        }, sh(h)];
        const resend = form(
          origin,
          "resend",
          "/idp/idx/challenge",
          resendFields,
        );
        if (step.rejected) {
          offer(resend);
        } else {
          offer(
            form(origin, "challenge-poll", "/idp/idx/authenticators/poll", [{
              name: "autoChallenge",
              type: "boolean",
              label: "Send push automatically",
              required: false,
              value: true,
              mutable: true,
            }, sh(h)], {
              relatesTo: ["$.currentAuthenticator"],
              refresh: refreshMs,
            }),
          );
        }
        offer(selectForm(origin, h, mfaKeys, u));
        const value: Record<string, unknown> = authenticatorObject(
          "okta_verify",
          u,
          ["push"],
        );
        if (u.numberChallenge && !step.rejected) {
          value.contextualData = { correctAnswer: OKTA_IDX_CORRECT_ANSWER };
        }
        if (!step.rejected) {
          value.resend = resend;
          offered.push(resend);
        }
        top.currentAuthenticator = { type: "object", value };
        listed(top, mfaKeys, u);
        break;
      }
      case "fastpass": {
        offer(
          form(
            origin,
            "device-challenge-poll",
            "/idp/idx/authenticators/poll",
            [
              sh(h),
            ],
            { relatesTo: ["$.currentAuthenticator"], refresh: refreshMs },
          ),
        );
        offer(form(
          origin,
          "cancel-polling",
          "/idp/idx/authenticators/poll/cancel",
          [sh(h)],
        ));
        top.currentAuthenticator = {
          type: "object",
          value: {
            ...authenticatorObject("okta_verify", u, ["signed_nonce"]),
            contextualData: {
              challenge: {
                value: {
                  challengeMethod: "LOOPBACK",
                  domain: "http://localhost",
                  ports: [8769, 65111, 65112],
                  probeTimeoutMillis: 100,
                  challengeRequest: b64url(randomBytes(48)),
                },
              },
            },
          },
        };
        break;
      }
      case "kmsi": {
        offer(form(origin, "keep-me-signed-in", "/idp/idx/keep-me-signed-in", [{
          name: "keepMeSignedIn",
          type: "boolean",
          label: "Stay signed in",
          required: true,
          value: false,
          mutable: true,
        }, sh(h)]));
        break;
      }
      case "success": {
        bySuccess.set(txn.prefix, txn);
        const href = successHref(origin, txn);
        if (options.success === "remediation") {
          remediation.push({ name: "success-redirect", href, method: "GET" });
        } else {
          top.success = { name: "success-redirect", href };
        }
        break;
      }
      case "unsupported": {
        if (step.name === "redirect-idp") {
          remediation.push({
            rel: ["create-form"],
            name: "redirect-idp",
            type: "SAML2",
            idp: { id: IDP_ID, name: "Emulated corporate IdP" },
            href: `${origin}/sso/idps/${IDP_ID}?stateToken=${txn.prefix}`,
            method: "GET",
          });
        } else {
          const keys: AnyKey[] = ["okta_verify", "google_otp"];
          offer(selectForm(origin, h, keys, {}, "select-authenticator-enroll"));
          listed(top, keys, {});
          delete top.authenticatorEnrollments;
        }
        break;
      }
    }
    if (remediation.length > 0) doc.remediation = ionArray(remediation);
    if (extras.messages) doc.messages = ionArray(extras.messages);
    Object.assign(doc, top);
    if (txn.username) {
      doc.user = {
        type: "object",
        value: { id: userId(txn.username), identifier: txn.username },
      };
    }
    if (step.kind !== "success") {
      const cancel = form(origin, "cancel", "/idp/idx/cancel", [sh(h)]);
      doc.cancel = cancel;
      offered.push(cancel);
    }
    doc.app = APP;
    doc.authentication = AUTHENTICATION;
    txn.offered = offered;
    return ion(doc, extras.status ?? 200);
  }

  /** An E10-style refusal of a request the emulator will not take. */
  function refuse(
    status: number,
    reason: string,
    message: IdxMessage = msg(
      `Emulator: ${reason}`,
      "emulator.request.invalid",
    ),
  ): Response {
    errors.push(reason);
    return ion(
      { version: "1.0.0", messages: ionArray([message]) },
      status,
      { "x-emulator-error": reason.replace(/[^\x20-\x7E]/g, "?") },
    );
  }

  /** E10d with the emulator's reason. */
  const expired = (reason: string) => refuse(401, reason, MSG.expired());

  // ---- The state machine ---------------------------------------------------

  /** After the password: enrollment, refusal, MFA, keep-me-signed-in, success. */
  function proceed(txn: Txn, origin: string): Response {
    const u = txn.user ?? {};
    if (u.unsupported === "select-authenticator-enroll") {
      txn.step = { kind: "unsupported", name: "select-authenticator-enroll" };
      return render(txn, origin);
    }
    if (u.failure) {
      txn.step = { kind: "terminal" };
      const [status, message] = u.failure === "not-assigned"
        ? [400, MSG.notAssigned()]
        : u.failure === "access-denied"
        ? [403, MSG.accessDenied()]
        : [429, MSG.tooMany()];
      return render(txn, origin, { status, messages: [message] });
    }
    const keys = authenticatorsOf(u);
    if (!txn.mfaOk && keys.length > 0) {
      txn.step = options.verificationData && keys.length === 1 &&
          keys[0] === "okta_verify"
        ? { kind: "verification-data", key: "okta_verify" }
        : { kind: "select" };
      return render(txn, origin);
    }
    if ((u.keepMeSignedIn ?? options.keepMeSignedIn) && !txn.kmsiDone) {
      txn.step = { kind: "kmsi" };
      return render(txn, origin);
    }
    txn.step = { kind: "success" };
    return render(txn, origin);
  }

  function identify(txn: Txn, body: Record<string, unknown>, origin: string) {
    const identifier = String(body.identifier);
    const found = findUser(identifier);
    txn.login.username = found?.username ?? identifier;
    if (found?.user.locked) {
      txn.step = { kind: "identify" };
      return render(txn, origin, {
        status: errorStatus,
        messages: [MSG.locked()],
        unlock: true,
      });
    }
    if (
      found?.user.unsupported === "captcha" && body.captchaVerify === undefined
    ) {
      txn.captchaRequired = true;
      return render(txn, origin);
    }
    if (found?.user.unsupported === "redirect-idp") {
      txn.username = found.username;
      txn.user = found.user;
      txn.step = { kind: "unsupported", name: "redirect-idp" };
      return render(txn, origin);
    }
    if (onePage) {
      const credentials = body.credentials as Record<string, unknown>;
      if (
        !found || found.user.password === null ||
        credentials.passcode !== (found.user.password ?? PASSWORD)
      ) {
        return render(txn, origin, {
          status: errorStatus,
          messages: [MSG.authFailed()],
        });
      }
      txn.username = found.username;
      txn.user = found.user;
      txn.passwordOk = true;
      return proceed(txn, origin);
    }
    txn.username = found?.username ?? identifier;
    txn.user = found?.user ?? {};
    txn.phantom = !found;
    if (found && found.user.password === null) {
      txn.passwordOk = true;
      return proceed(txn, origin);
    }
    txn.step = found?.user.passwordStep === "select"
      ? { kind: "password-select" }
      : { kind: "password" };
    return render(txn, origin);
  }

  function sendCode(txn: Txn, method: "sms" | "voice" | "email") {
    txn.login.codes++;
    codes.push({
      login: txn.login.id,
      username: txn.username ?? "",
      method,
      code: SENT_CODE,
    });
  }

  function startPush(txn: Txn, origin: string): Response {
    pushes++;
    txn.login.pushes++;
    txn.push = { polls: 0, lastAt: now() };
    txn.step = { kind: "push", rejected: false };
    return render(txn, origin);
  }

  function choose(txn: Txn, chosen: Record<string, unknown>, origin: string) {
    const u = txn.user ?? {};
    const key = (Object.keys(OKTA_IDX_AUTHENTICATOR_IDS) as AnyKey[]).find((
      k,
    ) => OKTA_IDX_AUTHENTICATOR_IDS[k] === chosen.id);
    let method = typeof chosen.methodType === "string"
      ? chosen.methodType
      : undefined;
    switch (key) {
      case "okta_password":
        txn.step = { kind: "password" };
        return render(txn, origin);
      case "okta_verify": {
        const methods = ovMethods(u);
        method ??= methods.length === 1 ? methods[0] : undefined;
        if (method === "push") return startPush(txn, origin);
        if (method === "totp") {
          txn.step = { kind: "code", key, method: "totp" };
        } else if (method === "signed_nonce") {
          txn.push = { polls: 0, lastAt: now() };
          txn.step = { kind: "fastpass" };
        } else {
          txn.step = { kind: "verification-data", key };
        }
        return render(txn, origin);
      }
      case "phone_number": {
        const methods = phoneMethods(u);
        method ??= methods.length === 1 ? methods[0] : undefined;
        if (method === "sms" || method === "voice") {
          sendCode(txn, method);
          txn.step = { kind: "code", key, method };
        } else {
          txn.step = { kind: "verification-data", key };
        }
        return render(txn, origin);
      }
      case "google_otp":
        txn.step = { kind: "code", key, method: "otp" };
        return render(txn, origin);
      case "okta_email":
        sendCode(txn, "email");
        txn.step = { kind: "code", key, method: "email" };
        return render(txn, origin);
      case "webauthn":
        txn.step = { kind: "webauthn" };
        return render(txn, origin);
      default:
        return refuse(400, `unknown authenticator id ${String(chosen.id)}`);
    }
  }

  function answer(txn: Txn, body: Record<string, unknown>, origin: string) {
    const credentials = body.credentials as Record<string, unknown>;
    const step = txn.step;
    if (step.kind === "password") {
      const right = txn.user?.password ?? PASSWORD;
      if (txn.phantom || credentials.passcode !== right) {
        return render(txn, origin, {
          status: errorStatus,
          messages: [MSG.incorrectPassword()],
        });
      }
      txn.passwordOk = true;
      return proceed(txn, origin);
    }
    if (step.kind === "code") {
      const given = step.key === "okta_verify"
        ? credentials.totp
        : credentials.passcode;
      const expected = step.key === "okta_verify" || step.key === "google_otp"
        ? TOTP_CODE
        : SENT_CODE;
      if (given !== expected) {
        return render(txn, origin, {
          status: errorStatus,
          fieldMessage: MSG.invalidCode(),
        });
      }
      txn.mfaOk = true;
      return proceed(txn, origin);
    }
    // WebAuthn: nothing a CLI sends can be right.
    return render(txn, origin, {
      status: errorStatus,
      fieldMessage: MSG.webauthn(),
    });
  }

  function poll(txn: Txn, remediation: string, origin: string): Response {
    const at = now();
    const record: OktaIdxPoll = {
      login: txn.login.id,
      remediation,
      at,
      gapMs: at - txn.push.lastAt,
    };
    polls.push(record);
    txn.login.polls.push(record);
    if (options.rejectEarlyPolls && record.gapMs < refreshMs) {
      return refuse(
        429,
        `poll ${record.gapMs} ms after the previous answer, refresh is ${refreshMs} ms`,
        MSG.tooMany(),
      );
    }
    txn.push.lastAt = at;
    if (txn.step.kind === "fastpass") return render(txn, origin);
    txn.push.polls++;
    const u = txn.user ?? {};
    const outcome = u.push?.outcome ?? "approve";
    const outcomePoll = u.push?.polls ?? options.pushPolls ?? 2;
    if (outcome !== "never" && txn.push.polls >= outcomePoll) {
      if (outcome === "reject") {
        txn.step = { kind: "push", rejected: true };
        return render(txn, origin, { messages: [MSG.pushRejected()] });
      }
      txn.mfaOk = true;
      return proceed(txn, origin);
    }
    return render(txn, origin);
  }

  function dispatch(
    txn: Txn,
    f: Form,
    body: Record<string, unknown>,
    origin: string,
  ): Response {
    switch (f.name) {
      case "identify":
        return identify(txn, body, origin);
      case "challenge-authenticator":
        return answer(txn, body, origin);
      case "select-authenticator-authenticate":
      case "authenticator-verification-data":
        return choose(
          txn,
          body.authenticator as Record<string, unknown>,
          origin,
        );
      case "resend": {
        if (new URL(f.href).pathname === "/idp/idx/challenge") {
          return startPush(txn, origin);
        }
        const step = txn.step;
        if (step.kind === "code") {
          sendCode(txn, step.method as "sms" | "voice" | "email");
        }
        return render(txn, origin);
      }
      case "challenge-poll":
      case "device-challenge-poll":
        return poll(txn, f.name, origin);
      case "cancel-polling":
        txn.step = { kind: "select" };
        return render(txn, origin);
      case "keep-me-signed-in":
        txn.kmsiDone = true;
        return proceed(txn, origin);
      case "cancel":
        Object.assign(txn, {
          step: { kind: "identify" },
          username: undefined,
          user: undefined,
          phantom: false,
          passwordOk: false,
          mfaOk: false,
          kmsiDone: false,
          captchaRequired: false,
        });
        return render(txn, origin);
      default:
        return refuse(
          400,
          `the emulator does not implement the ${f.name} remediation`,
        );
    }
  }

  // ---- Routes ----------------------------------------------------------------

  async function readJson(
    req: Request,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const body = await req.json();
      return isObject(body) ? body : undefined;
    } catch {
      return undefined;
    }
  }

  function live(txn: Txn | undefined): Txn | undefined {
    if (!txn) return undefined;
    if (now() >= txn.expiresAt) return undefined;
    return txn;
  }

  function cookieProblem(req: Request, txn: Txn): Response | undefined {
    if (!requireCookie) return undefined;
    const jsession = getCookie(req, "JSESSIONID");
    if (jsession === txn.jsessionId) return undefined;
    return expired(
      jsession === undefined
        ? "the JSESSIONID cookie of the sign-in page is missing"
        : "the JSESSIONID cookie is not the sign-in page's",
    );
  }

  async function introspect(req: Request, origin: string): Promise<Response> {
    const body = await readJson(req);
    if (!body) return refuse(400, "introspect body is not a JSON object");
    let txn: Txn | undefined;
    if (typeof body.stateToken === "string") {
      if (/\\x|\\u/i.test(body.stateToken)) {
        const meant = byToken.get(unescapeJs(body.stateToken));
        if (meant) meant.login.idxRequests++;
        return expired("introspect stateToken is still JS-escaped");
      }
      txn = live(byToken.get(body.stateToken));
      if (!txn) return expired("introspect stateToken is unknown or expired");
    } else if (typeof body.stateHandle === "string") {
      txn = live(byHandle.get(body.stateHandle));
      if (!txn) return expired("introspect stateHandle is unknown or expired");
      txn.login.idxRequests++;
      if (body.stateHandle !== txn.handle) {
        return expired("stale stateHandle: not the one of the latest response");
      }
    } else {
      return refuse(400, "introspect needs stateToken (or stateHandle)");
    }
    if (typeof body.stateToken === "string") txn.login.idxRequests++;
    const bad = cookieProblem(req, txn);
    if (bad) return bad;
    txn.login.remediations.push("introspect");
    return render(txn, origin);
  }

  async function remediate(req: Request, url: URL): Promise<Response> {
    const body = await readJson(req);
    if (!body) return refuse(400, `${url.pathname}: body is not a JSON object`);
    const handle = body.stateHandle;
    if (typeof handle !== "string") {
      return refuse(400, `${url.pathname}: stateHandle missing`);
    }
    const txn = live(byHandle.get(handle));
    if (!txn) return expired("stateHandle unknown or expired");
    txn.login.idxRequests++;
    if (handle !== txn.handle) {
      return refuse(
        401,
        "stale stateHandle: not the one of the latest response",
        msg(
          "Emulator: stale stateHandle; send the stateHandle of the latest response.",
          "idx.session.expired",
        ),
      );
    }
    const bad = cookieProblem(req, txn);
    if (bad) return bad;
    const candidates = txn.offered.filter((f) => {
      const href = new URL(f.href);
      return href.origin === url.origin && href.pathname === url.pathname;
    });
    if (candidates.length === 0) {
      return refuse(
        400,
        `no form of the latest response posts to ${url.pathname} (offered: ${
          txn.offered.map((f) => f.name).join(", ") || "none"
        })`,
      );
    }
    let problem = "";
    for (const f of candidates) {
      const err = validate(f.value, body);
      if (err === undefined) {
        txn.login.remediations.push(f.name);
        return dispatch(txn, f, body, url.origin);
      }
      problem ||= `${f.name}: ${err}`;
    }
    return refuse(400, problem);
  }

  function idxSession(req: Request): IdxSession | undefined {
    return liveSession(req, "idx", sessions, now());
  }

  function samlFor(username: string): string {
    return ctx.samlPage(username, findUser(username)?.user ?? {});
  }

  function signInPage(req: Request, origin: string): Response {
    const headers = new Headers();
    if (!getCookie(req, "DT")) {
      setCookie(
        headers,
        "DT",
        `DI1${b64url(randomBytes(16))}`,
        "Path=/; Max-Age=157680000; Secure; HttpOnly; SameSite=None",
      );
    }
    if (template === "empty") {
      return html(pageHtml(origin, "", false), { headers });
    }
    const login: OktaIdxLogin = {
      id: logins.length + 1,
      idxRequests: 0,
      remediations: [],
      pushes: 0,
      codes: 0,
      polls: [],
      succeeded: false,
    };
    logins.push(login);
    const txn: Txn = {
      login,
      token: makeStateToken(),
      jsessionId: randomHex(16).toUpperCase(),
      prefix: `02.id.${b64url(randomBytes(30))}`,
      expiresAt: now() + OKTA_IDX_TRANSACTION_LIFETIME_MS,
      step: { kind: "identify" },
      phantom: false,
      passwordOk: false,
      mfaOk: false,
      kmsiDone: false,
      captchaRequired: false,
      offered: [],
      push: { polls: 0, lastAt: 0 },
    };
    byToken.set(txn.token, txn);
    setCookie(headers, "JSESSIONID", txn.jsessionId);
    return html(
      pageHtml(origin, escapeJs(txn.token, template === "custom"), true),
      { headers },
    );
  }

  function pageHtml(
    origin: string,
    escaped: string,
    hasToken: boolean,
  ): string {
    const custom = template === "custom" && hasToken;
    const baseUrl = escapeJs(origin, custom);
    const fromUri = escapeJs(ctx.ssoPath, custom);
    const head = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="robots" content="noindex,nofollow"/>
<title>Emulated Okta - Sign In</title>
<script type="text/javascript" nonce="${
      randomHex(8)
    }">var okta = { locale: 'en', deviceFingerprintingEnabled: true };</script>
</head>
<body class="auth okta-container">
<div id="signin-container"></div>
`;
    if (custom) {
      const stepUp = escapeJs(`${origin}/login/step-up/redirect`, true);
      return `${head}<script type="text/javascript">
var stateTokenAllFlows;
var oktaData = {"redirectUri":"${baseUrl}${fromUri}","isMobileSso":false,"fromUri":"${fromUri}","isMobileClientLogin":false,"stateTokens":"not\\x2Dthis\\x2Done","signIn":{"logoText":"Emulated","brandName":"Emulated Okta","consent":{"cancel":function(){window.location.href='${stepUp}';}},"i18n":{"en":{"primaryauth.title":"Sign In"}},"relayState":"${fromUri}","baseUrl":"${baseUrl}","stateToken":"${escaped}","features":{"rememberMe":true,"router":false},"interstitialBeforeLoginRedirect":"DEFAULT"},"accountChooserDiscoveryUrl":"${baseUrl}\\x2Flogin\\x2Fdiscovery"};
var OktaUtil = { getSignInWidgetConfig: function () { return oktaData.signIn; } };
</script>
</body>
</html>
`;
    }
    return `${head}<script type="text/javascript" nonce="${randomHex(8)}">
(function(){
  var baseUrl = '${baseUrl}';
  var suppliedRedirectUri = '';
  var repost = false;
  var stateTokenAllFlows;
  var stateTokens = "not-this-one";
  var stateToken = '${escaped}';
  var fromUri = '${fromUri}';
  var username = '';
  var rememberMe = true;
  var authScheme = 'SAML2';
  var INVALID_TOKEN_ERROR_CODE = 'errors.E0000011';
  var loginPageConfig = { fromUri: fromUri, signIn: { el: '#signin-container', baseUrl: baseUrl, stateToken: stateToken } };
})();
</script>
</body>
</html>
`;
  }

  /** SSO URL (and the end of the embed link's redirect): SAML page with a session, else a sign-in page. */
  function sso(req: Request, url: URL): Response {
    if (url.searchParams.has("sessionToken")) ignoredSessionTokens++;
    const session = idxSession(req);
    if (session && (!options.appStepUp || session.fresh)) {
      session.fresh = false;
      return html(samlFor(session.username));
    }
    return signInPage(req, url.origin);
  }

  function tokenRedirect(url: URL): Response {
    const token = url.searchParams.get("stateToken") ?? "";
    const txn = bySuccess.get(token);
    if (!txn) {
      errors.push(
        "success href opened with an unknown, used or full-stateHandle token",
      );
      return html(
        `<!DOCTYPE html><html><body><h1>403</h1><p>The token is invalid or has expired.</p></body></html>`,
        { status: 403 },
      );
    }
    bySuccess.delete(token);
    byToken.delete(txn.token);
    txn.login.succeeded = true;
    const id = b64url(randomBytes(24));
    const username = txn.username ?? "";
    const session: IdxSession = {
      username,
      expiresAt: now() + ctx.sessionLifetimeMs,
      fresh: true,
    };
    sessions.set(id, session);
    const headers = new Headers();
    setCookie(headers, "idx", id, "Path=/; Secure; HttpOnly; SameSite=None");
    if (options.tokenRedirect === "form") {
      session.fresh = false;
      return html(samlFor(username), { headers });
    }
    headers.set("location", `${url.origin}${ctx.ssoPath}`);
    return new Response(null, { status: 302, headers });
  }

  function sessionsMe(req: Request): Response {
    const s = idxSession(req);
    const headers = { "content-type": "application/json" };
    if (!s) {
      return new Response(
        JSON.stringify({
          errorCode: "E0000007",
          errorSummary: "Not found: Resource not found: me (Session)",
          errorLink: "E0000007",
          errorId: `oae${randomHex(10)}`,
          errorCauses: [],
        }),
        { status: 404, headers },
      );
    }
    return new Response(
      JSON.stringify({
        id: `idx${randomHex(8)}`,
        userId: userId(s.username),
        login: s.username,
        expiresAt: new Date(s.expiresAt).toISOString(),
        status: "ACTIVE",
        amr: ["pwd"],
      }),
      { headers },
    );
  }

  async function handle(req: Request, url: URL): Promise<Response | undefined> {
    const path = url.pathname;
    if (req.method === "GET") {
      if (path === ctx.embedPath) {
        if (url.searchParams.has("sessionToken")) ignoredSessionTokens++;
        return new Response(null, {
          status: 302,
          headers: { location: `${url.origin}${ctx.ssoPath}` },
        });
      }
      if (path === ctx.ssoPath) return sso(req, url);
      if (path === OKTA_IDX_TOKEN_REDIRECT_PATH) return tokenRedirect(url);
      if (path === "/api/v1/sessions/me") return sessionsMe(req);
      return undefined;
    }
    if (req.method === "POST" && path.startsWith("/idp/idx/")) {
      if (path === "/idp/idx/introspect") {
        return await introspect(req, url.origin);
      }
      return await remediate(req, url);
    }
    return undefined;
  }

  return {
    control: {
      users,
      logins: () => logins,
      pushesSent: () => pushes,
      codesSent: () => codes,
      polls: () => polls,
      errors: () => errors,
      sessionCount: () => {
        const t = now();
        return [...sessions.values()].filter((s) => t < s.expiresAt).length;
      },
      ignoredSessionTokens: () => ignoredSessionTokens,
    },
    handle,
    classicLogin(username, password) {
      const found = findUser(username);
      if (!found) return undefined;
      const result = found.user.locked
        ? "locked"
        : found.user.password !== null &&
            password === (found.user.password ?? PASSWORD)
        ? "ok"
        : "bad";
      return { username: found.username, result };
    },
    expireSessions: () => sessions.clear(),
    expireTransactions: () => {
      byToken.clear();
      byHandle.clear();
      bySuccess.clear();
    },
  };
}
