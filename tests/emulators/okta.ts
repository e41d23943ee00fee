/**
 * An emulator of an Okta Classic org: the Authentication API
 * (`/api/v1/authn`, factor verification) and the AWS SAML app (embed link →
 * `sid` cookie → auto-post SAML page), as described in
 * tests/emulators/README.md §2 (Okta Classic).
 *
 * Every link in a response is an absolute URL on the origin of the request it
 * answers. Users are looked up case-insensitively in a live table that tests
 * may change.
 *
 * `pipeline: "idx"` turns the org into an Okta Identity Engine org instead
 * (okta_idx.ts): the embed link leads to an OIE sign-in page and the IDX API,
 * while `/api/v1/authn` still answers SUCCESS for OIE users (a sessionToken
 * that the embed link then ignores, as on real OIE orgs).
 * `/.well-known/okta-organization` tells the pipeline in both modes.
 *
 * @module
 */
import {
  OKTA_PROVIDER,
  PASSWORD,
  ROLE_ADMIN,
  ROLE_DENIED,
  ROLE_DEV,
  ROLE_SHORT,
  SENT_CODE,
  TOTP_CODE,
  YUBIKEY_OTP,
} from "./fixtures.ts";
import {
  buildSamlResponse,
  type GrantedRole,
  oktaEscape,
} from "./saml_assertion.ts";
import {
  createOktaIdxOrg,
  type OktaIdxControl,
  type OktaIdxOptions,
} from "./okta_idx.ts";
import {
  escapeHtml,
  html,
  json,
  liveSession,
  type RunningServer,
  serveTls,
  setCookie,
} from "./server.ts";

export {
  defaultOktaIdxUsers,
  OKTA_IDX_AUTHENTICATOR_IDS,
  OKTA_IDX_CORRECT_ANSWER,
  OKTA_IDX_PHONE_ENROLLMENT_ID,
  OKTA_IDX_REFRESH_MS,
  OKTA_IDX_TOKEN_REDIRECT_PATH,
  OKTA_IDX_TRANSACTION_LIFETIME_MS,
  type OktaIdxAuthenticatorKey,
  type OktaIdxCode,
  type OktaIdxControl,
  type OktaIdxFailure,
  type OktaIdxLogin,
  type OktaIdxOptions,
  type OktaIdxPoll,
  type OktaIdxUnsupported,
  type OktaIdxUser,
  type OktaPhoneMethod,
  type OktaVerifyMethod,
} from "./okta_idx.ts";

/** Path of the AWS app's embed link (the `-e` endpoint). */
export const OKTA_EMBED_PATH = "/home/amazon_aws/0oaEMULATOR00000000/272";
/** Path of the AWS app's SAML SSO URL; the embed link redirects here. */
export const OKTA_SSO_PATH = "/app/amazon_aws/exkEMULATOR/sso/saml";
/** The number a number-challenge push asks the user to tap. */
export const OKTA_CORRECT_ANSWER = 92;
/** Lifetime of a sessionToken (single use) and of a transaction's stateToken. */
export const OKTA_TOKEN_LIFETIME_MS = 5 * 60_000;
/** Lifetime of a `sid` session. */
export const OKTA_SESSION_LIFETIME_MS = 2 * 3600_000;

/** The factors a user can be enrolled in (each kind has a fixed factor id). */
export type OktaFactorKind =
  | "push"
  | "push-number"
  | "push-reject"
  | "push-timeout"
  | "totp"
  | "google"
  | "sms"
  | "call"
  | "email"
  | "yubikey"
  | "duo";

/** Factor id of each factor kind, as it appears in `_embedded.factors[].id` and verify hrefs. */
export const OKTA_FACTOR_IDS: Readonly<Record<OktaFactorKind, string>> = {
  "push": "opfEMULATORPUSH00000",
  "push-number": "opfEMULATORPUSHNUM00",
  "push-reject": "opfEMULATORPUSHREJ00",
  "push-timeout": "opfEMULATORPUSHTMO00",
  "totp": "ostEMULATORTOTP00000",
  "google": "uftEMULATORGOOG00000",
  "sms": "smsEMULATORSMS000000",
  "call": "clfEMULATORCALL00000",
  "email": "emfEMULATORMAIL00000",
  "yubikey": "ykfEMULATORYUBI00000",
  "duo": "dsfEMULATORDUO000000",
};

/** How one emulated user behaves. Every field is optional. */
export interface OktaUser {
  /** Right password; defaults to fixtures.PASSWORD. */
  password?: string;
  /** Roles in the assertion; defaults to ROLE_DEV and ROLE_ADMIN (OKTA_PROVIDER). */
  roles?: GrantedRole[];
  /** SessionDuration attribute; defaults to 3600, `null` omits it. */
  sessionDuration?: number | null;
  /** Write Role values in mixed order (provider first for every other role); default true. */
  mixOrder?: boolean;
  /** Enrolled factors: primary authentication answers MFA_REQUIRED with these. */
  factors?: OktaFactorKind[];
  /**
   * Fixed answer status instead of SUCCESS / MFA_REQUIRED: "LOCKED_OUT",
   * "PASSWORD_EXPIRED", "MFA_ENROLL", or any other string (sent as an
   * unknown status with a stateToken).
   */
  status?: string;
  /** Answer PASSWORD_WARN first when the request asks for warnings. */
  passwordWarn?: boolean;
  /** Answer `times` 429 E0000047 (Infinity: always) with X-Rate-Limit-Reset `resetSeconds` ahead. */
  rateLimit?: { times: number; resetSeconds: number };
  /** Answer authn with a 200 that is not JSON. */
  garbage?: boolean;
  /** Sleep this long before answering authn (cut short when the emulator closes). */
  slowMs?: number;
  /** The assertion carries a DOCTYPE. */
  doctype?: boolean;
  /** The SAML page's form has its assertion in an input not named SAMLResponse. */
  changedHtml?: boolean;
}

/** Options of {@link startOkta}. */
export interface OktaOptions {
  /** Users merged over {@link defaultOktaUsers} (same key replaces). */
  users?: Record<string, OktaUser>;
  /** WAITING answers a push gives (the verify POST's included) before its outcome; default 2, at least 1. */
  pushPolls?: number;
  /** Clock for token lifetimes, rate-limit resets and IssueInstant. */
  now?: () => Date;
  /** Delay before answering every request (cut short when the emulator closes). */
  delayMs?: number;
  /** Fixed delay before every response, applied by serveTls. */
  latencyMs?: number;
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
  /** `v1` (default): an Okta Classic org; `idx`: an Okta Identity Engine org (okta_idx.ts). */
  pipeline?: "v1" | "idx";
  /** Knobs and users of the Identity Engine org (used when `pipeline` is `idx`). */
  idx?: OktaIdxOptions;
  /** Answer `GET /.well-known/okta-organization` (default true); false answers 404. */
  wellKnown?: boolean;
}

/** A running Okta emulator. */
export interface OktaEmulator extends RunningServer {
  /** The AWS app embed link: `${url}/home/amazon_aws/0oaEMULATOR00000000/272`. */
  embedUrl: string;
  /** The app's SAML SSO URL the embed link redirects to. */
  ssoUrl: string;
  /** The live user table (username → behaviour); tests may add or change users. */
  users: Record<string, OktaUser>;
  /** Number of POST /api/v1/authn received. */
  authnCount(): number;
  /** How many codes / pushes were sent for a factor id (first sends and resends). */
  sent(factorId: string): number;
  /** Number of live `sid` sessions. */
  sessionCount(): number;
  /** Ends every `sid` session and every `idx` session (the cookies stop working). */
  expireSessions(): void;
  /** Invalidates every unused sessionToken. */
  expireSessionTokens(): void;
  /** Invalidates every stateToken (next use answers 401 E0000011) and every IDX transaction (E10d). */
  expireTransactions(): void;
  /** The Identity Engine side: OIE users, logins, pushes, codes, polls, protocol errors. */
  idx: OktaIdxControl;
  /** Number of requests to `/api/v1/*` (Classic API, sessions API included). */
  classicCalls(): number;
  /** Number of requests to `/oauth2/*`. */
  oauthCalls(): number;
  /** Whether any request carried `client_id` in its query or body. */
  sawClientId(): boolean;
}

/** Returns a fresh copy of the default user table (all @example.com, password fixtures.PASSWORD). */
export function defaultOktaUsers(): Record<string, OktaUser> {
  const u = (name: string) => `${name}@example.com`;
  return {
    [u("alice")]: {},
    [u("solo")]: { roles: [{ role: ROLE_DEV, principal: OKTA_PROVIDER }] },
    [u("long")]: {
      roles: [{ role: ROLE_SHORT, principal: OKTA_PROVIDER }],
      sessionDuration: 28800,
    },
    [u("denied")]: { roles: [{ role: ROLE_DENIED, principal: OKTA_PROVIDER }] },
    [u("doctype")]: { doctype: true },
    [u("changed")]: { changedHtml: true },
    [u("slow")]: { slowMs: 5000 },
    [u("push")]: { factors: ["push"] },
    [u("push-number")]: { factors: ["push-number"] },
    [u("push-reject")]: { factors: ["push-reject"] },
    [u("push-timeout")]: { factors: ["push-timeout"] },
    [u("totp")]: { factors: ["totp"] },
    [u("google")]: { factors: ["google"] },
    [u("sms")]: { factors: ["sms"] },
    [u("call")]: { factors: ["call"] },
    [u("email")]: { factors: ["email"] },
    [u("yubikey")]: { factors: ["yubikey"] },
    [u("multi")]: { factors: ["push", "totp", "sms"] },
    [u("duo")]: { factors: ["duo"] },
    [u("locked")]: { status: "LOCKED_OUT" },
    [u("expired")]: { status: "PASSWORD_EXPIRED" },
    [u("warn")]: { passwordWarn: true },
    [u("warn-mfa")]: { passwordWarn: true, factors: ["totp"] },
    [u("enroll")]: { status: "MFA_ENROLL" },
    [u("ratelimit")]: { rateLimit: { times: 1, resetSeconds: 1 } },
    [u("ratelimit-long")]: {
      rateLimit: { times: Infinity, resetSeconds: 600 },
    },
    [u("weird")]: { status: "UNAUTHENTICATED_WEIRD" },
    [u("garbage")]: { garbage: true },
  };
}

const DEFAULT_ROLES: GrantedRole[] = [
  { role: ROLE_DEV, principal: OKTA_PROVIDER },
  { role: ROLE_ADMIN, principal: OKTA_PROVIDER },
];

interface FactorDef {
  factorType: string;
  provider: string;
  profile: Record<string, string>;
}

const PUSH_PROFILE = {
  credentialId: "user@example.com",
  deviceType: "SmartPhone_IPhone",
  name: "Emulated iPhone",
  platform: "IOS",
  version: "17.0",
};

const FACTOR_DEFS: Record<OktaFactorKind, FactorDef> = {
  "push": { factorType: "push", provider: "OKTA", profile: PUSH_PROFILE },
  "push-number": {
    factorType: "push",
    provider: "OKTA",
    profile: PUSH_PROFILE,
  },
  "push-reject": {
    factorType: "push",
    provider: "OKTA",
    profile: PUSH_PROFILE,
  },
  "push-timeout": {
    factorType: "push",
    provider: "OKTA",
    profile: PUSH_PROFILE,
  },
  "totp": {
    factorType: "token:software:totp",
    provider: "OKTA",
    profile: { credentialId: "user@example.com" },
  },
  "google": {
    factorType: "token:software:totp",
    provider: "GOOGLE",
    profile: { credentialId: "user@example.com" },
  },
  "sms": {
    factorType: "sms",
    provider: "OKTA",
    profile: { phoneNumber: "+1 XXX-XXX-1234" },
  },
  "call": {
    factorType: "call",
    provider: "OKTA",
    profile: { phoneNumber: "+1 XXX-XXX-1234" },
  },
  "email": {
    factorType: "email",
    provider: "OKTA",
    profile: { email: "u...r@example.com" },
  },
  "yubikey": {
    factorType: "token:hardware",
    provider: "YUBICO",
    profile: { credentialId: "000009884014" },
  },
  "duo": {
    factorType: "web",
    provider: "DUO",
    profile: { credentialId: "user@example.com" },
  },
};

/** Per-factor progress inside one transaction. */
interface FactorState {
  /** WAITING answers given for the current push. */
  waiting: number;
  /** A push that ended without approval; the next POST starts a new push. */
  ended: boolean;
  /** A code was sent (sms / call / email). */
  challenged: boolean;
}

interface Transaction {
  stateToken: string;
  username: string;
  user: OktaUser;
  /** Where the transaction stands. */
  state: string;
  expiresAt: number;
  factors: Map<string, FactorState>;
}

interface SessionTokenEntry {
  username: string;
  expiresAt: number;
}

interface Session {
  username: string;
  expiresAt: number;
}

const HINTS_POST = { allow: ["POST"] };

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

function link(href: string, name?: string): Record<string, unknown> {
  return name === undefined
    ? { href, hints: HINTS_POST }
    : { name, href, hints: HINTS_POST };
}

function oktaError(
  status: number,
  errorCode: string,
  errorSummary: string,
  causes: string[] = [],
  headers?: HeadersInit,
): Response {
  return json({
    errorCode,
    errorSummary,
    errorLink: errorCode,
    errorId: `oae${randomHex(10)}`,
    errorCauses: causes.map((c) => ({ errorSummary: c })),
  }, { status, headers });
}

const authFailed = () => oktaError(401, "E0000004", "Authentication failed");
const invalidToken = () => oktaError(401, "E0000011", "Invalid token provided");
const badPasscode = () =>
  oktaError(403, "E0000068", "Invalid Passcode/Answer", [
    "Your passcode doesn't match our records. Please try again.",
  ]);
const wrongState = () => {
  const summary =
    "This operation is not allowed in the current authentication state.";
  return oktaError(403, "E0000079", summary, [summary]);
};
const notFound = () =>
  oktaError(404, "E0000007", "Not found: Resource not found");

function userId(username: string): string {
  let hash = 0;
  for (const c of username) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `00u${hash.toString(36).padStart(7, "0")}EMULATOR0`;
}

function userEmbed(username: string): Record<string, unknown> {
  return {
    id: userId(username),
    passwordChanged: "2029-06-01T12:00:00.000Z",
    profile: {
      login: username,
      firstName: "Emulated",
      lastName: "User",
      locale: "en_US",
      timeZone: "America/Los_Angeles",
    },
  };
}

const SIGN_IN_PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta name="robots" content="noindex,nofollow"/><title>Emulated Okta - Sign In</title></head>
<body class="auth okta-container">
<div id="okta-sign-in" class="auth-container main-container">
<h2 class="okta-form-title">Sign In</h2>
<form method="POST" action="/login/do-login" id="form19" class="primary-auth-form">
<input name="username" type="text" value="" autocomplete="username"/>
<input name="password" type="password" value=""/>
<input class="button button-primary" type="submit" value="Sign In" id="okta-signin-submit"/>
</form>
</div>
</body>
</html>
`;

/**
 * The pipeline document of `/.well-known/okta-organization`
 * (tests/emulators/README.md §3.1, E1).
 */
function organization(pipeline: "v1" | "idx"): Record<string, unknown> {
  return {
    id: "00oEMULATOR00000000",
    cell: "ok1",
    pipeline,
    settings: {
      analyticsCollectionEnabled: false,
      bugReportingEnabled: false,
      omEnabled: false,
      pssoEnabled: false,
      desktopMFAEnabled: false,
      itpEnabled: false,
    },
    alternates: [],
  };
}

function samlPage(value: string, inputName: string): string {
  const action = oktaEscape("https://signin.aws.amazon.com/saml");
  return `<!DOCTYPE html>
<html lang="en">
<head><meta name="robots" content="noarchive"/><title>Signing in...</title></head>
<body id="app" class="enduser-app">
<div id="okta-interstitial-wrap"><h1 id="okta-auth-heading" class="signing-in-text">Signing in to AWS</h1></div>
<form id="appForm" action="${action}" method="POST">
<input name="${inputName}" type="hidden" value="${oktaEscape(value)}"/>
<input name="RelayState" type="hidden" value=""/>
</form>
<script type="text/javascript">document.getElementById('appForm').submit();</script>
</body>
</html>
`;
}

/**
 * Starts the Okta emulator on HTTPS 127.0.0.1.
 *
 * @param options Users merged over the defaults, push poll count, clock and delay.
 * @returns The running emulator; `close()` it at the end of the test.
 */
export function startOkta(options: OktaOptions = {}): OktaEmulator {
  const users: Record<string, OktaUser> = {
    ...defaultOktaUsers(),
    ...options.users,
  };
  const pushPolls = Math.max(1, options.pushPolls ?? 2);
  const clock = options.now ?? (() => new Date());
  const now = () => clock().getTime();
  const closing = new AbortController();
  const transactions = new Map<string, Transaction>();
  const sessionTokens = new Map<string, SessionTokenEntry>();
  const sessions = new Map<string, Session>();
  const sentCounts = new Map<string, number>();
  const rateLimitHits = new Map<string, number>();
  let authnCount = 0;
  const pipeline = options.pipeline ?? "v1";

  /** Sleeps, returning early when the emulator closes or the client goes away. */
  function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const signals = [closing.signal, ...(signal ? [signal] : [])];
      if (signals.some((s) => s.aborted)) return resolve();
      const done = () => {
        clearTimeout(timer);
        for (const s of signals) s.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      for (const s of signals) s.addEventListener("abort", done);
    });
  }

  function findUser(
    username: string,
  ): { username: string; user: OktaUser } | undefined {
    if (Object.hasOwn(users, username)) {
      return { username, user: users[username] };
    }
    const lower = username.toLowerCase();
    for (const [name, user] of Object.entries(users)) {
      if (name.toLowerCase() === lower) return { username: name, user };
    }
    return undefined;
  }

  function iso(ms: number): string {
    return new Date(ms).toISOString();
  }

  function newTransaction(
    username: string,
    user: OktaUser,
    state: string,
  ): Transaction {
    const txn: Transaction = {
      stateToken: `00${randomHex(20)}`,
      username,
      user,
      state,
      expiresAt: now() + OKTA_TOKEN_LIFETIME_MS,
      factors: new Map(),
    };
    transactions.set(txn.stateToken, txn);
    return txn;
  }

  function liveTransaction(stateToken: unknown): Transaction | undefined {
    if (typeof stateToken !== "string") return undefined;
    const txn = transactions.get(stateToken);
    if (!txn) return undefined;
    if (now() >= txn.expiresAt) {
      transactions.delete(stateToken);
      return undefined;
    }
    txn.expiresAt = now() + OKTA_TOKEN_LIFETIME_MS; // sliding lifetime
    return txn;
  }

  function success(origin: string, username: string): Response {
    const token = `20111${randomHex(16)}`;
    const expiresAt = now() + OKTA_TOKEN_LIFETIME_MS;
    sessionTokens.set(token, { username, expiresAt });
    return json({
      expiresAt: iso(expiresAt),
      status: "SUCCESS",
      sessionToken: token,
      _embedded: { user: userEmbed(username) },
      _links: { cancel: link(`${origin}/api/v1/authn/cancel`) },
    });
  }

  function factorObject(origin: string, kind: OktaFactorKind) {
    const def = FACTOR_DEFS[kind];
    const id = OKTA_FACTOR_IDS[kind];
    return {
      id,
      factorType: def.factorType,
      provider: def.provider,
      vendorName: def.provider,
      profile: def.profile,
      _links: {
        verify: link(`${origin}/api/v1/authn/factors/${id}/verify`),
      },
    };
  }

  function transactionBody(
    txn: Transaction,
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> {
    return {
      stateToken: txn.stateToken,
      expiresAt: iso(txn.expiresAt),
      status: txn.state,
      ...extra,
    };
  }

  /** The answer for a transaction at rest in its current state. */
  function stateResponse(origin: string, txn: Transaction): Response {
    const cancel = link(`${origin}/api/v1/authn/cancel`);
    const user = userEmbed(txn.username);
    switch (txn.state) {
      case "MFA_REQUIRED":
        return json(transactionBody(txn, {
          _embedded: {
            user,
            factors: (txn.user.factors ?? []).map((k) =>
              factorObject(origin, k)
            ),
            policy: {
              allowRememberDevice: true,
              rememberDeviceLifetimeInMinutes: 15,
              rememberDeviceByDefault: false,
              factorsPolicyInfo: {},
            },
          },
          _links: { cancel },
        }));
      case "PASSWORD_WARN":
        return json(transactionBody(txn, {
          _embedded: {
            user,
            policy: { expiration: { passwordExpireDays: 5 } },
          },
          _links: {
            next: link(
              `${origin}/api/v1/authn/credentials/change_password`,
              "changePassword",
            ),
            skip: link(`${origin}/api/v1/authn/skip`, "skip"),
            cancel,
          },
        }));
      case "PASSWORD_EXPIRED":
        return json(transactionBody(txn, {
          _embedded: {
            user,
            policy: {
              complexity: {
                minLength: 8,
                minLowerCase: 1,
                minUpperCase: 1,
                minNumber: 1,
                minSymbol: 0,
              },
            },
          },
          _links: {
            next: link(
              `${origin}/api/v1/authn/credentials/change_password`,
              "changePassword",
            ),
            cancel,
          },
        }));
      case "MFA_ENROLL":
        return json(transactionBody(txn, {
          _embedded: {
            user,
            factors: [{
              factorType: "token:software:totp",
              provider: "OKTA",
              vendorName: "OKTA",
              status: "NOT_SETUP",
              enrollment: "REQUIRED",
              _links: { enroll: link(`${origin}/api/v1/authn/factors`) },
            }],
          },
          _links: { cancel },
        }));
      default:
        return json(transactionBody(txn, {
          _embedded: { user },
          _links: { cancel },
        }));
    }
  }

  /** After the password (and a skipped warning): MFA or success. */
  function afterPassword(origin: string, username: string, user: OktaUser) {
    if (user.factors && user.factors.length > 0) {
      return stateResponse(
        origin,
        newTransaction(username, user, "MFA_REQUIRED"),
      );
    }
    return success(origin, username);
  }

  async function readJson(
    req: Request,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const body = await req.json();
      return body && typeof body === "object" && !Array.isArray(body)
        ? body as Record<string, unknown>
        : undefined;
    } catch {
      return undefined;
    }
  }

  const malformed = () =>
    oktaError(400, "E0000003", "The request body was not well-formed.");

  async function authn(req: Request, origin: string): Promise<Response> {
    authnCount++;
    const body = await readJson(req);
    if (!body) return malformed();
    if (body.stateToken !== undefined && body.username === undefined) {
      const txn = liveTransaction(body.stateToken);
      return txn ? stateResponse(origin, txn) : invalidToken();
    }
    const oie = idxOrg && typeof body.username === "string"
      ? idxOrg.classicLogin(body.username, body.password)
      : undefined;
    if (oie) {
      // An OIE org still answers the Classic API for a password: SUCCESS
      // with a sessionToken, which its embed link then ignores.
      if (oie.result === "bad") return authFailed();
      if (oie.result === "locked") {
        return json({
          status: "LOCKED_OUT",
          _links: {
            next: link(`${origin}/api/v1/authn/recovery/unlock`, "unlock"),
          },
        });
      }
      return success(origin, oie.username);
    }
    const found = typeof body.username === "string"
      ? findUser(body.username)
      : undefined;
    if (found?.user.rateLimit) {
      const { times, resetSeconds } = found.user.rateLimit;
      const hits = rateLimitHits.get(found.username) ?? 0;
      if (hits < times) {
        rateLimitHits.set(found.username, hits + 1);
        const reset = Math.floor(now() / 1000) + resetSeconds;
        return oktaError(
          429,
          "E0000047",
          "API call exceeded rate limit due to too many requests.",
          [],
          {
            "X-Rate-Limit-Limit": "600",
            "X-Rate-Limit-Remaining": "0",
            "X-Rate-Limit-Reset": String(reset),
          },
        );
      }
    }
    if (
      !found || body.password !== (found.user.password ?? PASSWORD)
    ) {
      return authFailed();
    }
    const { username, user } = found;
    if (user.slowMs) await sleep(user.slowMs, req.signal);
    if (user.garbage) {
      return html(
        "<html><body><h1>Service temporarily unavailable</h1></body></html>",
      );
    }
    if (user.status === "LOCKED_OUT") {
      return json({
        status: "LOCKED_OUT",
        _links: {
          next: link(`${origin}/api/v1/authn/recovery/unlock`, "unlock"),
        },
      });
    }
    if (user.status !== undefined) {
      return stateResponse(
        origin,
        newTransaction(username, user, user.status),
      );
    }
    const opts = body.options as Record<string, unknown> | undefined;
    if (user.passwordWarn && opts?.warnBeforePasswordExpired === true) {
      return stateResponse(
        origin,
        newTransaction(username, user, "PASSWORD_WARN"),
      );
    }
    return afterPassword(origin, username, user);
  }

  async function skip(req: Request, origin: string): Promise<Response> {
    const body = await readJson(req);
    if (!body) return malformed();
    const txn = liveTransaction(body.stateToken);
    if (!txn) return invalidToken();
    if (txn.state !== "PASSWORD_WARN") return wrongState();
    transactions.delete(txn.stateToken);
    if (txn.user.factors && txn.user.factors.length > 0) {
      txn.state = "MFA_REQUIRED";
      transactions.set(txn.stateToken, txn);
      return stateResponse(origin, txn);
    }
    return success(origin, txn.username);
  }

  async function cancel(req: Request): Promise<Response> {
    const body = await readJson(req);
    if (!body) return malformed();
    const txn = liveTransaction(body.stateToken);
    if (!txn) return invalidToken();
    transactions.delete(txn.stateToken);
    return json({});
  }

  async function previous(req: Request, origin: string): Promise<Response> {
    const body = await readJson(req);
    if (!body) return malformed();
    const txn = liveTransaction(body.stateToken);
    if (!txn) return invalidToken();
    if (txn.state !== "MFA_REQUIRED" && txn.state !== "MFA_CHALLENGE") {
      return wrongState();
    }
    txn.state = "MFA_REQUIRED";
    return stateResponse(origin, txn);
  }

  function countSend(factorId: string) {
    sentCounts.set(factorId, (sentCounts.get(factorId) ?? 0) + 1);
  }

  function challenge(
    origin: string,
    txn: Transaction,
    kind: OktaFactorKind,
    opts: {
      factorResult?: string;
      nextName: string;
      factorEmbedded?: Record<string, unknown>;
      resend?: string;
    },
  ): Response {
    txn.state = "MFA_CHALLENGE";
    const def = FACTOR_DEFS[kind];
    const id = OKTA_FACTOR_IDS[kind];
    const verify = `${origin}/api/v1/authn/factors/${id}/verify`;
    const links: Record<string, unknown> = {
      next: link(verify, opts.nextName),
      cancel: link(`${origin}/api/v1/authn/cancel`),
      prev: link(`${origin}/api/v1/authn/previous`),
    };
    if (opts.resend) {
      links.resend = [link(`${verify}/resend`, opts.resend)];
    }
    const factor: Record<string, unknown> = {
      id,
      factorType: def.factorType,
      provider: def.provider,
      vendorName: def.provider,
      profile: def.profile,
    };
    if (opts.factorEmbedded) factor._embedded = opts.factorEmbedded;
    return json(transactionBody(txn, {
      ...(opts.factorResult ? { factorResult: opts.factorResult } : {}),
      ...(kind === "email" ? { challengeType: "FACTOR" } : {}),
      _embedded: { user: userEmbed(txn.username), factor },
      _links: links,
    }));
  }

  function finish(origin: string, txn: Transaction): Response {
    transactions.delete(txn.stateToken);
    return success(origin, txn.username);
  }

  async function verify(
    req: Request,
    origin: string,
    factorId: string,
    resend: boolean,
  ): Promise<Response> {
    const body = await readJson(req);
    if (!body) return malformed();
    const txn = liveTransaction(body.stateToken);
    if (!txn) return invalidToken();
    if (txn.state !== "MFA_REQUIRED" && txn.state !== "MFA_CHALLENGE") {
      return wrongState();
    }
    const kind = (txn.user.factors ?? []).find((k) =>
      OKTA_FACTOR_IDS[k] === factorId
    );
    if (!kind) return notFound();
    let state = txn.factors.get(factorId);
    if (!state) {
      state = { waiting: 0, ended: false, challenged: false };
      txn.factors.set(factorId, state);
    }
    const passCode = typeof body.passCode === "string"
      ? body.passCode
      : undefined;
    if (resend) {
      if (kind.startsWith("push")) {
        // A resent push starts over.
        state.waiting = 0;
        state.ended = false;
      } else if (kind !== "sms" && kind !== "call" && kind !== "email") {
        return wrongState();
      }
    }
    switch (kind) {
      case "push":
      case "push-number":
      case "push-reject":
      case "push-timeout": {
        if (state.ended) {
          state.ended = false;
          state.waiting = 0;
        }
        if (state.waiting === 0) countSend(factorId);
        if (state.waiting < pushPolls) {
          state.waiting++;
          return challenge(origin, txn, kind, {
            factorResult: "WAITING",
            nextName: "poll",
            resend: "push",
            factorEmbedded: kind === "push-number"
              ? { challenge: { correctAnswer: OKTA_CORRECT_ANSWER } }
              : undefined,
          });
        }
        if (kind === "push-reject" || kind === "push-timeout") {
          state.ended = true;
          return challenge(origin, txn, kind, {
            factorResult: kind === "push-reject" ? "REJECTED" : "TIMEOUT",
            nextName: "verify",
            resend: "push",
          });
        }
        return finish(origin, txn);
      }
      case "totp":
      case "google":
        return passCode === TOTP_CODE ? finish(origin, txn) : badPasscode();
      case "yubikey":
        return passCode === YUBIKEY_OTP ? finish(origin, txn) : badPasscode();
      case "sms":
      case "call":
      case "email": {
        if (resend || passCode === undefined) {
          state.challenged = true;
          countSend(factorId);
          return challenge(origin, txn, kind, {
            factorResult: kind === "email" ? "CHALLENGE" : undefined,
            nextName: "verify",
            resend: kind,
          });
        }
        return state.challenged && passCode === SENT_CODE
          ? finish(origin, txn)
          : badPasscode();
      }
      case "duo":
        return challenge(origin, txn, kind, {
          factorResult: "WAITING",
          nextName: "poll",
          factorEmbedded: {
            verification: {
              host: "api-emulator.duosecurity.invalid",
              signature: "TX|ZW11bGF0b3I=|0000:APP|ZW11bGF0b3I=|0000",
              factorResult: "WAITING",
              _links: {
                complete: {
                  href:
                    `${origin}/api/v1/authn/factors/${factorId}/lifecycle/duoCallback`,
                },
                script: {
                  href: `${origin}/js/sdk/duo/Duo-Web-v2.js`,
                },
              },
            },
          },
        });
    }
  }

  function sidSession(req: Request): Session | undefined {
    return liveSession(req, "sid", sessions, now());
  }

  /** Embed link and SSO URL: consume a sessionToken, or use the sid session. */
  function app(req: Request, url: URL, isSso: boolean): Response {
    const token = url.searchParams.get("sessionToken");
    if (token !== null) {
      const entry = sessionTokens.get(token);
      sessionTokens.delete(token);
      if (entry && now() < entry.expiresAt) {
        const sid = randomHex(16);
        sessions.set(sid, {
          username: entry.username,
          expiresAt: now() + OKTA_SESSION_LIFETIME_MS,
        });
        const headers = new Headers({
          location: `${url.origin}${OKTA_SSO_PATH}`,
        });
        setCookie(headers, "sid", sid);
        return new Response(null, { status: 302, headers });
      }
    }
    const session = sidSession(req);
    if (!session) return html(SIGN_IN_PAGE);
    if (!isSso) {
      return new Response(null, {
        status: 302,
        headers: { location: `${url.origin}${OKTA_SSO_PATH}` },
      });
    }
    const user = findUser(session.username)?.user ?? {};
    return html(samlPageFor(session.username, user));
  }

  /** The SAML auto-post page for `username` (assertion from buildSamlResponse). */
  function samlPageFor(
    username: string,
    user: Pick<
      OktaUser,
      "roles" | "sessionDuration" | "mixOrder" | "doctype" | "changedHtml"
    >,
  ): string {
    const saml = buildSamlResponse({
      style: "okta",
      nameId: username,
      roles: user.roles ?? DEFAULT_ROLES,
      sessionDuration: user.sessionDuration === null
        ? undefined
        : user.sessionDuration ?? 3600,
      mixOrder: user.mixOrder ?? true,
      doctype: user.doctype,
      now: clock(),
    });
    return samlPage(saml, user.changedHtml ? "SAMLToken" : "SAMLResponse");
  }

  // Built in both modes so `idx` always has its tables; routed to only on
  // an OIE org.
  const oieOrg = createOktaIdxOrg(options.idx ?? {}, {
    embedPath: OKTA_EMBED_PATH,
    ssoPath: OKTA_SSO_PATH,
    clock,
    sessionLifetimeMs: OKTA_SESSION_LIFETIME_MS,
    samlPage: samlPageFor,
  });
  const idxOrg = pipeline === "idx" ? oieOrg : undefined;

  const verifyPath = /^\/api\/v1\/authn\/factors\/([^/]+)\/verify(\/resend)?$/;

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const origin = url.origin;
    const path = url.pathname;
    if (options.delayMs) await sleep(options.delayMs, req.signal);
    if (req.method === "GET" && path === "/.well-known/okta-organization") {
      if (options.wellKnown !== false) return json(organization(pipeline));
    } else if (idxOrg) {
      const answer = await idxOrg.handle(req, url);
      if (answer) return answer;
    }
    if (req.method === "POST") {
      if (path === "/api/v1/authn") return await authn(req, origin);
      if (path === "/api/v1/authn/skip") return await skip(req, origin);
      if (path === "/api/v1/authn/cancel") return await cancel(req);
      if (path === "/api/v1/authn/previous") return await previous(req, origin);
      const m = verifyPath.exec(path);
      if (m) {
        return await verify(req, origin, decodeURIComponent(m[1]), !!m[2]);
      }
    }
    if (req.method === "GET") {
      if (path === OKTA_EMBED_PATH) return app(req, url, false);
      if (path === OKTA_SSO_PATH) return app(req, url, true);
    }
    if (path.startsWith("/api/")) return notFound();
    return html(
      `<!DOCTYPE html><html><body><h1>404</h1><p>${
        escapeHtml(path)
      } not found</p></body></html>`,
      { status: 404 },
    );
  }

  const server = serveTls((req) => route(req), {
    port: options.port,
    latencyMs: options.latencyMs,
  });
  const requests = server.requests;
  return {
    ...server,
    embedUrl: `${server.url}${OKTA_EMBED_PATH}`,
    ssoUrl: `${server.url}${OKTA_SSO_PATH}`,
    users,
    authnCount: () => authnCount,
    sent: (factorId) => sentCounts.get(factorId) ?? 0,
    sessionCount: () => sessions.size,
    expireSessions: () => {
      sessions.clear();
      idxOrg?.expireSessions();
    },
    expireSessionTokens: () => sessionTokens.clear(),
    expireTransactions: () => {
      transactions.clear();
      idxOrg?.expireTransactions();
    },
    idx: oieOrg.control,
    classicCalls: () =>
      requests.filter((r) => r.path.startsWith("/api/v1/")).length,
    oauthCalls: () =>
      requests.filter((r) => r.path.startsWith("/oauth2/")).length,
    sawClientId: () =>
      requests.some((r) => /client(_|%5f)id/i.test(`${r.query} ${r.body}`)),
    close: async () => {
      closing.abort();
      await server.close();
    },
  };
}
