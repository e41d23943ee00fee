/**
 * An emulator of form-based SAML IdPs whose pages SimpleSAMLphp does not
 * cover, for the generic `-p form` provider: a browser-like client reads each
 * page, follows redirects with a cookie jar and submits what it finds.
 *
 * One HTTPS server (127.0.0.1, test CA) serves every flavour at once, each
 * on its own paths; a second one ({@link FormIdp.collector}) is "another
 * origin" for the hostile cases. Markup is written after the public
 * templates of the products (Shibboleth IdP 4/5 `views/login.vm`,
 * `client-storage/client-storage-read.vm` and `-write.vm`,
 * `templates/saml2-post-binding.vm`; Keycloak `login.ftl`,
 * `login-username.ftl`, `login-password.ftl`, `login-otp.ftl`,
 * `saml-post-form.ftl`, `template.ftl`), reduced to what a client reads.
 * Redirect chains follow how those products behave; where that is a guess it
 * says so below. Summary: tests/emulators/README.md §5 (form-based IdPs).
 *
 * Users ({@link FORM_IDP_TEXT} for the texts): `alice` (two roles,
 * SessionDuration 28800, no OTP), `bob` (one role, OTP {@link TOTP_CODE}),
 * `carol` (one role, nothing else); every password is fixtures' PASSWORD.
 * Assertions come from `buildSamlResponse` (registered, so the STS emulator
 * accepts them) with NameID `<name>@example.com`.
 *
 * ## Shibboleth IdP 4/5 (`/idp/`)
 *
 * 1. `GET /idp/profile/SAML2/Unsolicited/SSO?providerId=urn:amazon:webservices`
 *    (optional `target` = RelayState) → 302, `Location:
 *    /idp/profile/SAML2/Unsolicited/SSO?execution=e1s1` (path-absolute),
 *    `Set-Cookie: JSESSIONID=…; Path=/idp; Secure; HttpOnly`. Each new SSO
 *    GET starts execution `e<n+1>s1`. Another providerId → 400 error page.
 * 2. Every page is `GET …?execution=e<n>s<k>`; every form posts to the same
 *    path-absolute URL (`action="/idp/profile/SAML2/Unsolicited/SSO?execution=e1s2"`)
 *    with a hidden `csrf_token`; a POST answers 302 to the next key
 *    (`s<k+1>`), POST-redirect-GET as Spring Web Flow does. A key other than
 *    the current one, or no JSESSIONID → 200 "Stale Request" error page; a
 *    wrong `csrf_token` → 200 error page "Invalid or missing CSRF token"; a
 *    POST without `_eventId_proceed` → 500 "Unexpected Error" page.
 * 3. Client-storage read page (when `shibbolethClientStorage`, the default):
 *    `<body onload="doLoad()">`, `form[name=form1]` of hidden inputs only:
 *    `csrf_token`, `shib_idp_ls_exception.shib_idp_session_ss`,
 *    `shib_idp_ls_success.shib_idp_session_ss` (= "false"),
 *    `shib_idp_ls_value.shib_idp_session_ss`, the same three for
 *    `shib_idp_persistent_ss`, `shib_idp_ls_supported`, `_eventId_proceed`,
 *    plus `<noscript><input type="submit" value="Continue"/></noscript>`
 *    (no name). Posting it as is (no JavaScript) works.
 * 4. Login page: `<form action="…?execution=e1s2" method="post">` with
 *    `csrf_token`, `input#username name=j_username`, `input#password
 *    name=j_password type=password`, checkboxes `donotcache` and
 *    `_shib_idp_revokeConsent` (unchecked), and `<button type="submit"
 *    name="_eventId_proceed">Login</button>` (no value: post
 *    `_eventId_proceed=`). Failure: the login page again (after the 302) with
 *    `<section><p class="output-message output--error">…</p></section>`
 *    above the inputs (IdP 4/5 markup; IdP 3 used `p.form-error`) and the
 *    user name filled in.
 * 5. After a good password: the client-storage write page (same shape as 3:
 *    `csrf_token`, `shib_idp_ls_exception.shib_idp_session_ss`,
 *    `shib_idp_ls_success.shib_idp_session_ss`, `_eventId_proceed`, noscript
 *    Continue); its POST answers 200 with the SAML page at once and sets
 *    `shib_idp_session` (Path=/idp). Without client storage the password POST
 *    answers 200 with the SAML page. OTP is not asked on this flavour.
 * 6. SAML page (`saml2-post-binding.vm`): `<body onload="document.forms[0].submit()">`,
 *    `<form action="https&#x3a;&#x2f;&#x2f;signin.aws.amazon.com&#x2f;saml" method="post">`,
 *    hidden `RelayState` (only when `target` was given) and `SAMLResponse`,
 *    both encoded as ESAPI `encodeForHTMLAttribute` does (`+` → `&#x2b;`,
 *    `=` → `&#x3d;`, `/` → `&#x2f;`), and a noscript `<input type="submit"
 *    value="Continue"/>`. A client must decode entities.
 * 7. Session reuse: with a live `shib_idp_session` the SSO URL still goes 302
 *    → read page; its POST answers 200 with the SAML page (no login). Without
 *    client storage the first GET of the execution is the SAML page.
 *
 * ## Keycloak (`/realms/<realm>/`)
 *
 * Realms: `form` (username and password on one page, `login.ftl`) and
 * `stepwise` (`login-username.ftl`, then `login-password.ftl`).
 *
 * 1. `GET /realms/<realm>/protocol/saml/clients/amazon-aws` (optional
 *    `RelayState`) → 200, the first page at once, setting `AUTH_SESSION_ID`
 *    and `KC_RESTART` (`Path=/realms/<realm>/; Secure; HttpOnly`). With a
 *    live `KEYCLOAK_IDENTITY` cookie → 200 SAML page at once.
 * 2. Every form is `form#kc-form-login` (`#kc-otp-login-form` for OTP) with
 *    an absolute action
 *    `https://…/realms/<realm>/login-actions/authenticate?session_code=<new each page>&execution=<uuid of the step>&client_id=urn%3Aamazon%3Awebservices&tab_id=<per login>`
 *    and `<input name="login" id="kc-login" type="submit" value="Sign In">`.
 *    `login.ftl`: `input#username name=username`, `input#password
 *    name=password`, hidden `input#id-hidden-input name=credentialId`.
 * 3. Errors (200, the same page with a new session_code): wrong user or
 *    password on `login.ftl` → `<span id="input-error" …>Invalid username or
 *    password.</span>`; unknown user on `login-username.ftl` →
 *    `span#input-error-username` "Invalid username."; wrong password on
 *    `login-password.ftl` → `span#input-error-password` "Invalid password.";
 *    wrong code → `span#input-error-otp-code` "Invalid authenticator code."
 *    (only the first has the id `input-error`; the others start with it).
 *    A stale session_code → 200, the current page with a new code and
 *    `div.alert-warning` "Action expired. Please continue with login now.";
 *    no `AUTH_SESSION_ID` → 400 page "Cookie not found. Please make sure
 *    cookies are enabled in your browser."; unknown tab_id → 400 page with
 *    "Your login attempt timed out. Login will start from the beginning."
 * 4. After the password: OTP users → 302 to
 *    `…/login-actions/authenticate?execution=<otp uuid>&client_id=…&tab_id=…`
 *    (redirect after POST, a guess) whose GET is `login-otp.ftl`
 *    (`input#otp name=otp autocomplete=one-time-code`); others, and a good
 *    code → 200 SAML page, setting `KEYCLOAK_IDENTITY` (HttpOnly) and
 *    `KEYCLOAK_SESSION` and expiring `KC_RESTART`.
 * 5. SAML page (`saml-post-form.ftl`): `form[name=saml-post-binding]`
 *    `method="post"` to the ACS, hidden `SAMLResponse` and (when given)
 *    `RelayState`, and a noscript `<input type="submit" value="Continue"/>`.
 *
 * ## Generic portal (`/generic/`)
 *
 * `GET /generic/sso/aws` (optional `RelayState`) → 302 to
 * `/generic/auth/login?ctx=<random>`, setting `gsid` (Path=/generic); with a
 * live `gsession` cookie → 200 SAML page. The login page's form has
 * `action="?"`: it posts to `/generic/auth/login?` (this path, empty query;
 * ctx travels in the cookie's state). With `genericUsernameFirst`, a form
 * with only `username` comes first and its POST answers 200 with the
 * password form (`action="?"` again). A good password → 302
 * `/generic/auth/mfa` (OTP users) or `/generic/auth/finish`. The OTP page is
 * `<form action="verify">` (relative: `/generic/auth/verify`, wrong when
 * resolved against the entry URL) with one text input named
 * `genericOtpField` (default `code`) and a hidden `mfa_ctx`. Finish is an
 * auto-submit page of hidden fields only (`action="continue"`, field
 * `state`), whose POST answers 200 with the SAML page (noscript
 * `<button type="submit">Continue</button>`) and sets `gsession`. Errors
 * (200, the page again) use `genericErrorStyle`: `role-alert` (default,
 * `<div role="alert">`), `alert-danger` (`<div class="alert alert-danger">`)
 * or `error` (`<p class="error">`).
 *
 * ## Hostile and odd pages (`/hostile/`)
 *
 * - `/hostile/cross-origin`: a login page whose form posts to
 *   `${collector.url}/collect` (another origin); a client must refuse. The
 *   collector records whatever reaches it (`collector.requests`).
 * - `/hostile/unknown`: 200, a page with no form, no error markup.
 * - `/hostile/loop`: auto-submit pages of hidden fields only, each posting to
 *   `/hostile/loop?n=<n+1>`, forever; `/hostile/redirect-loop`: 302 to
 *   itself with `n+1`, forever. {@link FormIdp.loopHits} counts both.
 *
 * @module
 */
import {
  escapeHtml,
  getCookie,
  html,
  type RunningServer,
  serveTls,
  setCookie,
} from "./server.ts";
import { buildSamlResponse, type GrantedRole } from "./saml_assertion.ts";
import {
  ACCOUNT,
  PASSWORD,
  ROLE_ADMIN,
  ROLE_DEV,
  TOTP_CODE,
} from "./fixtures.ts";

/** SAML provider ARN the form IdP's roles trust. */
export const FORM_IDP_PROVIDER =
  `arn:aws:iam::${ACCOUNT}:saml-provider/form-idp`;

/** The AWS service provider. */
const SP_ENTITY_ID = "urn:amazon:webservices";
/** Where the SAML pages post (never contacted). */
const ACS_URL = "https://signin.aws.amazon.com/saml";
/** Keycloak's "IDP-initiated SSO URL name" of the AWS client. */
const KC_CLIENT_URL_NAME = "amazon-aws";
/** Keycloak realms: one-page login and username-first. */
const KC_REALMS = ["form", "stepwise"] as const;
type KcRealm = typeof KC_REALMS[number];

/** Texts the emulator shows; tests may look for them. */
export const FORM_IDP_TEXT = {
  shibBadPassword: "The password you entered was incorrect.",
  shibUnknownUser: "The username you entered cannot be identified.",
  shibNoPassword: "No password provided.",
  shibStale: "Web Login Service - Stale Request",
  shibCsrf: "Invalid or missing CSRF token.",
  shibUnexpected: "Web Login Service - Unexpected Error",
  shibUnsupported: "Web Login Service - Unsupported Request",
  kcInvalidUser: "Invalid username or password.",
  kcInvalidUsername: "Invalid username.",
  kcInvalidPassword: "Invalid password.",
  kcInvalidOtp: "Invalid authenticator code.",
  kcExpired: "Action expired. Please continue with login now.",
  kcCookieNotFound:
    "Cookie not found. Please make sure cookies are enabled in your browser.",
  kcTimeout:
    "Your login attempt timed out. Login will start from the beginning.",
  genericBadPassword: "Sign-in failed: wrong user name or password.",
  genericBadCode: "That code did not work. Try again.",
  genericBadContext: "Unknown or expired sign-in request.",
} as const;

/** One user of the live table; tests may change any field while running. */
export interface FormIdpUser {
  /** Sign-in name (`alice`; `alice@example.com` works too). */
  name: string;
  /** Its password (default fixtures' PASSWORD). */
  password: string;
  /** Roles granted (Role attribute values). */
  roles: GrantedRole[];
  /** SessionDuration attribute; undefined leaves it out. */
  sessionDuration?: number;
  /** Asks fixtures' TOTP_CODE after the password (Keycloak and generic). */
  otp: boolean;
  /** Good passwords posted. */
  logins: number;
  /** Wrong passwords posted. */
  badPasswords: number;
  /** Wrong codes posted. */
  badCodes: number;
  /** SAML pages issued to this user. */
  samlIssued: number;
}

/** Fields of a user one may set in {@link FormIdpOptions.users}. */
export type FormIdpUserConfig = Partial<
  Omit<
    FormIdpUser,
    "name" | "logins" | "badPasswords" | "badCodes" | "samlIssued"
  >
>;

/** Name of the one-time-code input on the generic OTP page. */
export type GenericOtpField = "code" | "otp" | "totp" | "token" | "passcode";

/** Options of {@link startFormIdp}. */
export interface FormIdpOptions {
  /** Users merged over the defaults, field by field for a default name. */
  users?: Record<string, FormIdpUserConfig>;
  /** Shibboleth client-storage read/write pages; default true. */
  shibbolethClientStorage?: boolean;
  /** Generic: username page before the password page; default false. */
  genericUsernameFirst?: boolean;
  /** Generic: the OTP input's name; default "code". */
  genericOtpField?: GenericOtpField;
  /** Generic: error markup; default "role-alert". */
  genericErrorStyle?: "role-alert" | "alert-danger" | "error";
  /** Clock for the assertions' IssueInstant and session expiry. */
  now?: () => Date;
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
}

/** Entry URLs, one per flavour and odd case. */
export interface FormIdpUrls {
  /** `/idp/profile/SAML2/Unsolicited/SSO?providerId=urn:amazon:webservices` */
  shibboleth: string;
  /** `/realms/form/protocol/saml/clients/amazon-aws` */
  keycloak: string;
  /** `/realms/stepwise/protocol/saml/clients/amazon-aws` (username first) */
  keycloakUsernameFirst: string;
  /** `/generic/sso/aws` */
  generic: string;
  /** A login form posting to the collector (another origin). */
  crossOrigin: string;
  /** A page that matches nothing. */
  unknownPage: string;
  /** Endless auto-submit pages. */
  autoSubmitLoop: string;
  /** Endless redirects. */
  redirectLoop: string;
}

/** A running form IdP emulator. */
export interface FormIdp extends RunningServer {
  /** Entry URLs of the flavours and odd cases. */
  urls: FormIdpUrls;
  /** The live user table. */
  users: Record<string, FormIdpUser>;
  /** "Another origin": records whatever a client posts there. */
  collector: RunningServer;
  /** Requests answered on /hostile/loop and /hostile/redirect-loop. */
  loopHits(): number;
  /** Ends every IdP session (session cookies become unknown). */
  expireSessions(): void;
}

/** Lifetime of an IdP session cookie. */
const SESSION_MS = 8 * 3600_000;

function defaultUsers(): Record<string, FormIdpUserConfig> {
  return {
    alice: {},
    bob: {
      roles: [{ role: ROLE_DEV, principal: FORM_IDP_PROVIDER }],
      sessionDuration: undefined,
      otp: true,
    },
    carol: {
      roles: [{ role: ROLE_DEV, principal: FORM_IDP_PROVIDER }],
      sessionDuration: undefined,
    },
  };
}

function makeUser(name: string, config: FormIdpUserConfig): FormIdpUser {
  return {
    name,
    password: config.password ?? PASSWORD,
    roles: config.roles ?? [
      { role: ROLE_DEV, principal: FORM_IDP_PROVIDER },
      { role: ROLE_ADMIN, principal: FORM_IDP_PROVIDER },
    ],
    sessionDuration: "sessionDuration" in config
      ? config.sessionDuration
      : 28800,
    otp: config.otp ?? false,
    logins: 0,
    badPasswords: 0,
    badCodes: 0,
    samlIssued: 0,
  };
}

function randomToken(bytes = 16): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/**
 * ESAPI `encodeForHTMLAttribute`, as Shibboleth's Velocity views apply it:
 * alphanumerics and `,.-_` stay, `&<>"` become named entities, everything
 * else `&#xHH;`.
 */
export function esapiAttribute(value: string): string {
  let out = "";
  for (const ch of value) {
    if (/[A-Za-z0-9,.\-_]/.test(ch)) out += ch;
    else if (ch === "&") out += "&amp;";
    else if (ch === "<") out += "&lt;";
    else if (ch === ">") out += "&gt;";
    else if (ch === '"') out += "&quot;";
    else out += `&#x${ch.codePointAt(0)!.toString(16)};`;
  }
  return out;
}

function redirect(location: string, headers = new Headers()): Response {
  headers.set("location", location);
  headers.set("cache-control", "no-store");
  return new Response(null, { status: 302, headers });
}

function notFound(): Response {
  return html(
    "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>",
    { status: 404 },
  );
}

/** Session of a signed-in user (IdP SSO session). */
interface IdpSession {
  user: FormIdpUser;
  expires: number;
}

// ---------------------------------------------------------------------------
// Shibboleth

type ShibStage = "read" | "login" | "write" | "saml";

interface ShibConversation {
  /** Execution number n of e<n>s<k>. */
  execution: number;
  step: number;
  csrf: string;
  stage: ShibStage;
  relayState?: string;
  user?: FormIdpUser;
  /** Login page state after a failed attempt. */
  error?: string;
  username?: string;
}

const SHIB_SSO_PATH = "/idp/profile/SAML2/Unsolicited/SSO";
const SHIB_COOKIE_ATTRS = "Path=/idp; Secure; HttpOnly";

function shibPage(title: string, body: string, onload = ""): string {
  return `<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width,initial-scale=1.0">
    <title>${title}</title>
    <link rel="stylesheet" type="text/css" href="/idp/css/placeholder.css">
  </head>
  <body${onload ? ` onload="${onload}"` : ""}>
    <main class="main">
      <header>
        <img class="main-logo" src="/idp/images/dummylogo.png" alt="Replace or remove this logo" />
      </header>
      <section>
${body}
      </section>
    </main>
    <footer class="footer">
      <div class="cc"><p>Insert your footer text here.</p></div>
    </footer>
  </body>
</html>`;
}

function shibErrorPage(title: string, message: string, status = 200): Response {
  return html(
    shibPage(
      title,
      `        <h1>${escapeHtml(title)}</h1>
        <p class="output-message output--error">${escapeHtml(message)}</p>`,
    ),
    { status },
  );
}

function shibStorageForm(
  action: string,
  csrf: string,
  mode: "read" | "write",
): string {
  const keys = ["shib_idp_session_ss", "shib_idp_persistent_ss"];
  const inputs = mode === "read"
    ? keys.map((k) =>
      `          <input name="shib_idp_ls_exception.${k}" type="hidden" />
          <input name="shib_idp_ls_success.${k}" type="hidden" value="false" />
          <input name="shib_idp_ls_value.${k}" type="hidden" />`
    ).join("\n") +
      `\n          <input name="shib_idp_ls_supported" type="hidden" />`
    : `          <input name="shib_idp_ls_exception.shib_idp_session_ss" type="hidden" />
          <input name="shib_idp_ls_success.shib_idp_session_ss" type="hidden" value="false" />`;
  const title = mode === "read"
    ? "Loading Session Information"
    : "Saving Session Information...";
  const text = mode === "read"
    ? "Loading login session information from the browser..."
    : "Saving login session information to the browser...";
  return shibPage(
    `Web Login Service - ${title}`,
    `        <h1>Web Login Service - ${title}</h1>
        <p>${text}</p>
        <noscript>
          <div class="content">Since your browser does not support JavaScript, you must press the Continue button once to proceed.</div>
        </noscript>
        <form name="form1" action="${action}" method="post">
          <input type="hidden" name="csrf_token" value="${csrf}" />
${inputs}
          <input name="_eventId_proceed" type="hidden" />
          <noscript>
            <input type="submit" value="Continue" />
          </noscript>
        </form>
        <script>
        <!--
        function ${
      mode === "read" ? "doLoad" : "doSave"
    }() { document.form1.submit(); }
        // -->
        </script>`,
    mode === "read" ? "doLoad()" : "doSave()",
  );
}

function shibLoginPage(action: string, c: ShibConversation): string {
  const error = c.error
    ? `          <section>
            <p class="output-message output--error">${escapeHtml(c.error)}</p>
          </section>\n`
    : "";
  return shibPage(
    "Web Login Service",
    `        <h1>Amazon Web Services</h1>
        <p>Log in to Amazon Web Services</p>
        <form action="${action}" method="post">
          <input type="hidden" name="csrf_token" value="${c.csrf}" />
${error}          <div class="form-element-wrapper">
            <label for="username">Username</label>
            <input class="form-element form-field" id="username" name="j_username" type="text" value="${
      escapeHtml(c.username ?? "")
    }">
          </div>
          <div class="form-element-wrapper">
            <label for="password">Password</label>
            <input class="form-element form-field" id="password" name="j_password" type="password" value="">
          </div>
          <div class="form-element-wrapper">
            <input type="checkbox" name="donotcache" value="1" id="donotcache">
            <label for="donotcache">Don't Remember Login</label>
          </div>
          <div class="form-element-wrapper">
            <input id="_shib_idp_revokeConsent" type="checkbox" name="_shib_idp_revokeConsent" value="true">
            <label for="_shib_idp_revokeConsent">Clear prior granting of permission for release of your information to this service.</label>
          </div>
          <div class="form-element-wrapper">
            <button class="form-element form-button" type="submit" name="_eventId_proceed"
                onClick="this.childNodes[0].nodeValue='Logging in, please wait...'">Login</button>
          </div>
        </form>
        <ul class="list list-help">
          <li class="list-help-item"><a href="#"><span class="item-marker">&rsaquo;</span> Forgot your password?</a></li>
          <li class="list-help-item"><a href="#"><span class="item-marker">&rsaquo;</span> Need Help?</a></li>
        </ul>`,
  );
}

function shibSamlPage(samlResponse: string, relayState?: string): string {
  const relay = relayState === undefined
    ? ""
    : `                <input type="hidden" name="RelayState" value="${
      esapiAttribute(relayState)
    }"/>\n`;
  return `<!DOCTYPE html>
<html>
    <head>
        <meta charset="utf-8" />
    </head>
    <body onload="document.forms[0].submit()">
        <noscript>
            <p>
                <strong>Note:</strong> Since your browser does not support JavaScript,
                you must press the Continue button once to proceed.
            </p>
        </noscript>
        <form action="${esapiAttribute(ACS_URL)}" method="post">
            <div>
${relay}                <input type="hidden" name="SAMLResponse" value="${
    esapiAttribute(samlResponse)
  }"/>
            </div>
            <noscript>
                <div>
                    <input type="submit" value="Continue"/>
                </div>
            </noscript>
        </form>
    </body>
</html>`;
}

// ---------------------------------------------------------------------------
// Keycloak

type KcStage = "login" | "username" | "password" | "otp";

interface KcAuthSession {
  realm: KcRealm;
  tabId: string;
  sessionCode: string;
  stage: KcStage;
  relayState?: string;
  user?: FormIdpUser;
  username?: string;
  /** Field error for the next render. */
  fieldError?: string;
  /** Alert for the next render. */
  alert?: { type: "error" | "warning" | "info"; text: string };
}

interface KcBrowser {
  /** AUTH_SESSION_ID value → tabs. */
  tabs: Map<string, KcAuthSession>;
}

function kcPage(
  realm: string,
  title: string,
  header: string,
  form: string,
  alert?: KcAuthSession["alert"],
): string {
  const alertHtml = alert
    ? `            <div class="alert-${alert.type} pf-c-alert pf-m-inline pf-m-${
      alert.type === "error" ? "danger" : alert.type
    }">
              <div class="pf-c-alert__icon"><span class="${
      alert.type === "error"
        ? "pficon pficon-error-circle-o"
        : "pficon pficon-warning-triangle-o"
    }"></span></div>
              <span class="pf-c-alert__title kc-feedback-text">${
      escapeHtml(alert.text)
    }</span>
            </div>\n`
    : "";
  return `<!DOCTYPE html>
<html class="login-pf">
<head>
    <meta charset="utf-8">
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <meta name="robots" content="noindex, nofollow">
    <meta name="viewport" content="width=device-width,initial-scale=1"/>
    <title>${escapeHtml(title)}</title>
    <link href="/resources/x1y2z/login/keycloak/css/login.css" rel="stylesheet" />
</head>
<body class="">
  <div class="login-pf-page">
    <div id="kc-header" class="login-pf-page-header">
      <div id="kc-header-wrapper" class="">${escapeHtml(realm)}</div>
    </div>
    <div class="card-pf">
      <header class="login-pf-header">
        <h1 id="kc-page-title">${escapeHtml(header)}</h1>
      </header>
      <div id="kc-content">
        <div id="kc-content-wrapper">
${alertHtml}${form}
        </div>
      </div>
    </div>
  </div>
</body>
</html>`;
}

function kcFieldError(id: string, text: string | undefined): string {
  return text
    ? `\n                  <span id="${id}" class="pf-c-form__helper-text pf-m-error required kc-feedback-text" aria-live="polite">
                    ${escapeHtml(text)}
                  </span>`
    : "";
}

const KC_BUTTON =
  `<input tabindex="4" class="pf-c-button pf-m-primary pf-m-block btn-lg" name="login" id="kc-login" type="submit" value="Sign In"/>`;

function kcForm(action: string, s: KcAuthSession): string {
  const a = escapeHtml(action);
  const invalid = s.fieldError ? "true" : "";
  switch (s.stage) {
    case "login":
      return `            <div id="kc-form">
              <div id="kc-form-wrapper">
                <form id="kc-form-login" onsubmit="login.disabled = true; return true;" action="${a}" method="post">
                  <div class="form-group">
                    <label for="username" class="pf-c-form__label pf-c-form__label-text">Username or email</label>
                    <input tabindex="1" id="username" class="pf-c-form-control" name="username" value="${
        escapeHtml(s.username ?? "")
      }" type="text" autofocus autocomplete="off" aria-invalid="${invalid}"/>${
        kcFieldError("input-error", s.fieldError)
      }
                  </div>
                  <div class="form-group">
                    <label for="password" class="pf-c-form__label pf-c-form__label-text">Password</label>
                    <input tabindex="2" id="password" class="pf-c-form-control" name="password" type="password" autocomplete="off" aria-invalid="${invalid}"/>
                  </div>
                  <div class="form-group login-pf-settings">
                    <div id="kc-form-options"></div>
                    <div class=""><span><a tabindex="5" href="/realms/${s.realm}/login-actions/reset-credentials?client_id=${
        encodeURIComponent(SP_ENTITY_ID)
      }&amp;tab_id=${s.tabId}">Forgot Password?</a></span></div>
                  </div>
                  <div id="kc-form-buttons" class="form-group">
                    <input type="hidden" id="id-hidden-input" name="credentialId"/>
                    ${KC_BUTTON}
                  </div>
                </form>
              </div>
            </div>`;
    case "username":
      return `            <div id="kc-form">
              <div id="kc-form-wrapper">
                <form id="kc-form-login" onsubmit="login.disabled = true; return true;" action="${a}" method="post">
                  <div class="form-group">
                    <label for="username" class="pf-c-form__label pf-c-form__label-text">Username or email</label>
                    <input tabindex="1" id="username" aria-invalid="${invalid}" class="pf-c-form-control" name="username" value="${
        escapeHtml(s.username ?? "")
      }" type="text" autofocus autocomplete="off"/>${
        kcFieldError("input-error-username", s.fieldError)
      }
                  </div>
                  <div class="form-group login-pf-settings">
                    <div id="kc-form-options"></div>
                  </div>
                  <div id="kc-form-buttons" class="form-group">
                    ${KC_BUTTON}
                  </div>
                </form>
              </div>
            </div>`;
    case "password":
      return `            <div id="kc-form">
              <div id="kc-form-wrapper">
                <form id="kc-form-login" onsubmit="login.disabled = true; return true;" action="${a}" method="post">
                  <div class="form-group no-bottom-margin">
                    <hr/>
                    <label for="password" class="pf-c-form__label pf-c-form__label-text">Password</label>
                    <input tabindex="2" id="password" class="pf-c-form-control" name="password" type="password" autocomplete="on" aria-invalid="${invalid}"/>${
        kcFieldError("input-error-password", s.fieldError)
      }
                  </div>
                  <div class="form-group login-pf-settings">
                    <div id="kc-form-options"></div>
                  </div>
                  <div id="kc-form-buttons" class="form-group">
                    ${KC_BUTTON}
                  </div>
                </form>
              </div>
            </div>`;
    case "otp":
      return `            <form id="kc-otp-login-form" class="form-horizontal" action="${a}" method="post">
              <div class="form-group">
                <div class="col-xs-12 col-sm-12 col-md-12 col-lg-12">
                  <label for="otp" class="pf-c-form__label pf-c-form__label-text">One-time code</label>
                </div>
                <div class="col-xs-12 col-sm-12 col-md-12 col-lg-12">
                  <input id="otp" name="otp" autocomplete="one-time-code" type="text" class="pf-c-form-control" autofocus aria-invalid="${invalid}"/>${
        kcFieldError("input-error-otp-code", s.fieldError)
      }
                </div>
              </div>
              <div class="form-group">
                <div id="kc-form-options" class="col-xs-12 col-sm-12 col-md-12 col-lg-12"></div>
                <div id="kc-form-buttons" class="col-xs-12 col-sm-12 col-md-12 col-lg-12">
                  ${KC_BUTTON}
                </div>
              </div>
            </form>`;
  }
}

function kcSamlPage(realm: string, samlResponse: string, relayState?: string) {
  const relay = relayState === undefined
    ? ""
    : `\n                <input type="hidden" name="RelayState" value="${
      escapeHtml(relayState)
    }"/>`;
  return kcPage(
    realm,
    `Sign in to ${realm}`,
    "Redirecting, please wait.",
    `            <script>window.onload = function() {document.forms[0].submit()};</script>
            <p>Redirecting, please wait.</p>
            <form name="saml-post-binding" method="post" action="${ACS_URL}">
                <input type="hidden" name="SAMLResponse" value="${samlResponse}"/>${relay}
                <noscript>
                    <p>JavaScript is disabled. We strongly recommend to enable it. Click the button below to continue. </p>
                    <input type="submit" value="Continue"/>
                </noscript>
            </form>`,
  );
}

function kcErrorPage(realm: string, text: string, status: number): Response {
  return html(
    kcPage(
      realm,
      `Sign in to ${realm}`,
      "We are sorry...",
      `            <div id="kc-error-message">
                <p class="instruction">${escapeHtml(text)}</p>
            </div>`,
    ),
    { status },
  );
}

// ---------------------------------------------------------------------------
// Generic portal

type GenericStage = "username" | "password" | "otp" | "finish";

interface GenericFlow {
  ctx: string;
  stage: GenericStage;
  relayState?: string;
  user?: FormIdpUser;
  username?: string;
  error?: string;
  mfaCtx: string;
  state: string;
}

function genericPage(title: string, body: string, onload = ""): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(title)} - Example Portal</title>
</head>
<body${onload ? ` onload="${onload}"` : ""}>
  <div class="container">
    <h1>${escapeHtml(title)}</h1>
${body}
  </div>
</body>
</html>`;
}

function genericError(
  style: NonNullable<FormIdpOptions["genericErrorStyle"]>,
  text: string | undefined,
): string {
  if (!text) return "";
  const t = escapeHtml(text);
  switch (style) {
    case "role-alert":
      return `    <div class="notice" role="alert">${t}</div>\n`;
    case "alert-danger":
      return `    <div class="alert alert-danger">${t}</div>\n`;
    case "error":
      return `    <p class="error">${t}</p>\n`;
  }
}

function genericSamlPage(samlResponse: string, relayState?: string): string {
  const relay = relayState === undefined
    ? ""
    : `\n      <input type="hidden" name="RelayState" value="${
      escapeHtml(relayState)
    }">`;
  return genericPage(
    "Signing you in",
    `    <form method="post" action="${ACS_URL}">
      <input type="hidden" name="SAMLResponse" value="${samlResponse}">${relay}
      <noscript><button type="submit">Continue</button></noscript>
    </form>
    <script>document.forms[0].submit();</script>`,
  );
}

// ---------------------------------------------------------------------------

/**
 * Starts the form IdP emulator (and its collector) on free ports of
 * 127.0.0.1.
 *
 * @example
 * ```ts
 * const idp = startFormIdp();
 * try {
 *   // GET idp.urls.keycloak with tlsFetch, redirect: "manual", a cookie jar…
 * } finally {
 *   await idp.close();
 * }
 * ```
 */
export function startFormIdp(options: FormIdpOptions = {}): FormIdp {
  const now = options.now ?? (() => new Date());
  const clientStorage = options.shibbolethClientStorage ?? true;
  const otpField = options.genericOtpField ?? "code";
  const errorStyle = options.genericErrorStyle ?? "role-alert";
  const usernameFirst = options.genericUsernameFirst ?? false;

  const users: Record<string, FormIdpUser> = {};
  const configs = { ...defaultUsers() };
  for (const [name, config] of Object.entries(options.users ?? {})) {
    configs[name] = { ...(configs[name] ?? {}), ...config };
  }
  for (const [name, config] of Object.entries(configs)) {
    users[name] = makeUser(name, config);
  }

  /** SSO sessions by cookie value, one map per flavour. */
  const sessions = {
    shib: new Map<string, IdpSession>(),
    kc: new Map<string, IdpSession & { realm: KcRealm }>(),
    generic: new Map<string, IdpSession>(),
  };
  const shibConversations = new Map<string, ShibConversation>();
  const kcBrowsers = new Map<string, KcBrowser>();
  const genericFlows = new Map<string, GenericFlow>();
  const kcExecutions: Record<KcStage, string> = {
    login: crypto.randomUUID(),
    username: crypto.randomUUID(),
    password: crypto.randomUUID(),
    otp: crypto.randomUUID(),
  };
  let loops = 0;

  const collector = serveTls(() =>
    html(
      "<!DOCTYPE html><html><head><title>Thanks</title></head><body><p>Thanks!</p></body></html>",
    )
  );

  function liveSession<T extends IdpSession>(
    map: Map<string, T>,
    value: string | undefined,
  ): T | undefined {
    if (value === undefined) return undefined;
    const s = map.get(value);
    if (!s) return undefined;
    if (s.expires <= now().getTime()) {
      map.delete(value);
      return undefined;
    }
    return s;
  }

  function issue(user: FormIdpUser, style: "okta" | "adfs"): string {
    user.samlIssued++;
    return buildSamlResponse({
      nameId: `${user.name}@example.com`,
      roles: user.roles,
      sessionDuration: user.sessionDuration,
      style,
      now: now(),
    });
  }

  function checkPassword(
    username: string,
    password: string,
  ): { user?: FormIdpUser; known: boolean } {
    const user =
      users[username.trim().toLowerCase().replace(/@example\.com$/, "")];
    if (!user) return { known: false };
    if (password !== user.password) {
      user.badPasswords++;
      return { known: true };
    }
    user.logins++;
    return { user, known: true };
  }

  // ---- Shibboleth -------------------------------------------------------

  function shibKey(c: ShibConversation): string {
    return `e${c.execution}s${c.step}`;
  }

  function shibAction(c: ShibConversation): string {
    return `${SHIB_SSO_PATH}?execution=${shibKey(c)}`;
  }

  function shibSaml(
    c: ShibConversation,
    user: FormIdpUser,
    headers = new Headers(),
  ): Response {
    c.stage = "saml";
    return html(shibSamlPage(issue(user, "okta"), c.relayState), { headers });
  }

  function shibStartSession(user: FormIdpUser, headers: Headers): void {
    const id = `_${randomToken(20)}`;
    sessions.shib.set(id, { user, expires: now().getTime() + SESSION_MS });
    setCookie(
      headers,
      "shib_idp_session",
      id,
      SHIB_COOKIE_ATTRS + "; SameSite=None",
    );
  }

  function shibboleth(req: Request, url: URL, body: URLSearchParams): Response {
    if (url.pathname !== SHIB_SSO_PATH) return notFound();
    const jsession = getCookie(req, "JSESSIONID");
    const execution = url.searchParams.get("execution");
    if (execution === null) {
      if (req.method !== "GET" && req.method !== "POST") return notFound();
      const provider = url.searchParams.get("providerId");
      if (provider !== SP_ENTITY_ID) {
        return shibErrorPage(
          FORM_IDP_TEXT.shibUnsupported,
          "The request was not supported: unknown service provider.",
          400,
        );
      }
      const headers = new Headers();
      let id = jsession;
      if (!id || !shibConversations.has(id)) {
        id = randomToken(16).toUpperCase();
        setCookie(headers, "JSESSIONID", id, SHIB_COOKIE_ATTRS);
      }
      const previous = shibConversations.get(id);
      const c: ShibConversation = {
        execution: (previous?.execution ?? 0) + 1,
        step: 1,
        csrf: `_${randomToken(20)}`,
        stage: clientStorage ? "read" : "login",
        relayState: url.searchParams.get("target") ?? undefined,
      };
      shibConversations.set(id, c);
      return redirect(shibAction(c), headers);
    }
    const c = jsession ? shibConversations.get(jsession) : undefined;
    if (!c || execution !== shibKey(c) || c.stage === "saml") {
      return shibErrorPage(
        FORM_IDP_TEXT.shibStale,
        "You may be seeing this page because you used the Back button while browsing a secure web site or application. Alternatively, you may have mistakenly bookmarked the web login form instead of the actual web site you wanted to bookmark or used a link created by somebody else who made the same mistake. Left unchecked, this can cause errors on some browsers or result in you returning to the web site you tried to leave, so this page is presented instead.",
      );
    }
    const session = liveSession(
      sessions.shib,
      getCookie(req, "shib_idp_session"),
    );
    if (req.method === "GET") {
      switch (c.stage) {
        case "read":
          return html(shibStorageForm(shibAction(c), c.csrf, "read"));
        case "write":
          return html(shibStorageForm(shibAction(c), c.csrf, "write"));
        case "login":
          if (session) return shibSaml(c, session.user);
          return html(shibLoginPage(shibAction(c), c));
      }
    }
    if (req.method !== "POST") return notFound();
    if (body.get("csrf_token") !== c.csrf) {
      return shibErrorPage("Web Login Service - Error", FORM_IDP_TEXT.shibCsrf);
    }
    if (!body.has("_eventId_proceed")) {
      return shibErrorPage(
        FORM_IDP_TEXT.shibUnexpected,
        "An unexpected error occurred: no event was signalled.",
        500,
      );
    }
    const next = () => {
      c.step++;
      c.csrf = `_${randomToken(20)}`;
      return redirect(shibAction(c));
    };
    switch (c.stage) {
      case "read":
        if (session) return shibSaml(c, session.user);
        c.stage = "login";
        return next();
      case "login": {
        const username = body.get("j_username") ?? "";
        const password = body.get("j_password") ?? "";
        c.username = username;
        if (password === "") {
          c.error = FORM_IDP_TEXT.shibNoPassword;
          return next();
        }
        const { user, known } = checkPassword(username, password);
        if (!user) {
          c.error = known
            ? FORM_IDP_TEXT.shibBadPassword
            : FORM_IDP_TEXT.shibUnknownUser;
          return next();
        }
        c.error = undefined;
        c.user = user;
        if (!clientStorage) {
          const headers = new Headers();
          shibStartSession(user, headers);
          return shibSaml(c, user, headers);
        }
        c.stage = "write";
        return next();
      }
      case "write": {
        const headers = new Headers();
        shibStartSession(c.user!, headers);
        return shibSaml(c, c.user!, headers);
      }
    }
    return notFound();
  }

  // ---- Keycloak ---------------------------------------------------------

  function kcCookieAttrs(realm: string, httpOnly = true): string {
    return `Path=/realms/${realm}/; SameSite=None; Secure${
      httpOnly ? "; HttpOnly" : ""
    }`;
  }

  function kcActionUrl(origin: string, s: KcAuthSession, code: boolean) {
    const q = new URLSearchParams();
    if (code) q.set("session_code", s.sessionCode);
    q.set("execution", kcExecutions[s.stage]);
    q.set("client_id", SP_ENTITY_ID);
    q.set("tab_id", s.tabId);
    return `${origin}/realms/${s.realm}/login-actions/authenticate?${q}`;
  }

  function kcRender(origin: string, s: KcAuthSession): Response {
    s.sessionCode = randomToken(12);
    const page = kcPage(
      s.realm,
      `Sign in to ${s.realm}`,
      "Sign in to your account",
      kcForm(kcActionUrl(origin, s, true), s),
      s.alert,
    );
    s.fieldError = undefined;
    s.alert = undefined;
    return html(page, {
      headers: { "cache-control": "no-store, must-revalidate, max-age=0" },
    });
  }

  function kcSaml(
    s: { realm: KcRealm; relayState?: string },
    user: FormIdpUser,
    headers: Headers,
  ): Response {
    return html(
      kcSamlPage(s.realm, issue(user, "adfs"), s.relayState),
      { headers },
    );
  }

  function kcFinish(
    s: KcAuthSession,
    user: FormIdpUser,
    authSessionId: string,
  ): Response {
    const headers = new Headers();
    const identity = `eyJhbGciOiJIUzI1NiJ9.${randomToken(32)}.${
      randomToken(16)
    }`;
    sessions.kc.set(identity, {
      user,
      realm: s.realm,
      expires: now().getTime() + SESSION_MS,
    });
    const sid = crypto.randomUUID();
    setCookie(headers, "KEYCLOAK_IDENTITY", identity, kcCookieAttrs(s.realm));
    setCookie(
      headers,
      "KEYCLOAK_SESSION",
      `${s.realm}/${crypto.randomUUID()}/${sid}`,
      `Max-Age=36000; ${kcCookieAttrs(s.realm, false)}`,
    );
    setCookie(
      headers,
      "KC_RESTART",
      "",
      `Version=1; Expires=Thu, 01-Jan-1970 00:00:10 GMT; Max-Age=0; ${
        kcCookieAttrs(s.realm)
      }`,
    );
    kcBrowsers.get(authSessionId)?.tabs.delete(s.tabId);
    return kcSaml(s, user, headers);
  }

  function keycloak(req: Request, url: URL, body: URLSearchParams): Response {
    const m = /^\/realms\/([^/]+)\/(.*)$/.exec(url.pathname);
    if (!m || !(KC_REALMS as readonly string[]).includes(m[1])) {
      return notFound();
    }
    const realm = m[1] as KcRealm;
    const rest = m[2];
    const origin = url.origin;
    const authSessionId = getCookie(req, "AUTH_SESSION_ID");

    if (rest === `protocol/saml/clients/${KC_CLIENT_URL_NAME}`) {
      if (req.method !== "GET") return notFound();
      const relayState = url.searchParams.get("RelayState") ?? undefined;
      const identity = liveSession(
        sessions.kc,
        getCookie(req, "KEYCLOAK_IDENTITY"),
      );
      if (identity && identity.realm === realm) {
        return kcSaml({ realm, relayState }, identity.user, new Headers());
      }
      const headers = new Headers();
      let id = authSessionId;
      if (!id || !kcBrowsers.has(id)) {
        id = `${crypto.randomUUID()}.keycloak-0`;
        kcBrowsers.set(id, { tabs: new Map() });
        setCookie(headers, "AUTH_SESSION_ID", id, kcCookieAttrs(realm));
      }
      setCookie(
        headers,
        "KC_RESTART",
        `eyJhbGciOiJIUzI1NiJ9.${randomToken(48)}.${randomToken(16)}`,
        kcCookieAttrs(realm),
      );
      const s: KcAuthSession = {
        realm,
        tabId: randomToken(6),
        sessionCode: "",
        stage: realm === "stepwise" ? "username" : "login",
        relayState,
      };
      kcBrowsers.get(id)!.tabs.set(s.tabId, s);
      const res = kcRender(origin, s);
      for (const c of headers.getSetCookie()) {
        res.headers.append("set-cookie", c);
      }
      return res;
    }

    if (rest !== "login-actions/authenticate") return notFound();
    if (!authSessionId || !kcBrowsers.has(authSessionId)) {
      return kcErrorPage(realm, FORM_IDP_TEXT.kcCookieNotFound, 400);
    }
    const tabs = kcBrowsers.get(authSessionId)!.tabs;
    const s = tabs.get(url.searchParams.get("tab_id") ?? "");
    if (!s || s.realm !== realm) {
      return kcErrorPage(realm, FORM_IDP_TEXT.kcTimeout, 400);
    }
    if (req.method === "GET") return kcRender(origin, s);
    if (req.method !== "POST") return notFound();
    if (
      url.searchParams.get("session_code") !== s.sessionCode ||
      url.searchParams.get("execution") !== kcExecutions[s.stage]
    ) {
      s.alert = { type: "warning", text: FORM_IDP_TEXT.kcExpired };
      return kcRender(origin, s);
    }
    switch (s.stage) {
      case "login":
      case "password": {
        const username = s.stage === "login"
          ? body.get("username") ?? ""
          : s.username ?? "";
        s.username = username;
        const { user } = checkPassword(username, body.get("password") ?? "");
        if (!user) {
          s.fieldError = s.stage === "login"
            ? FORM_IDP_TEXT.kcInvalidUser
            : FORM_IDP_TEXT.kcInvalidPassword;
          return kcRender(origin, s);
        }
        s.user = user;
        if (user.otp) {
          s.stage = "otp";
          return redirect(kcActionUrl(origin, s, false));
        }
        return kcFinish(s, user, authSessionId);
      }
      case "username": {
        const username = body.get("username") ?? "";
        s.username = username;
        const user =
          users[username.trim().toLowerCase().replace(/@example\.com$/, "")];
        if (!user) {
          s.fieldError = FORM_IDP_TEXT.kcInvalidUsername;
          return kcRender(origin, s);
        }
        s.stage = "password";
        return kcRender(origin, s);
      }
      case "otp": {
        const code = (body.get("otp") ?? "").trim();
        if (code !== TOTP_CODE) {
          s.user!.badCodes++;
          s.fieldError = FORM_IDP_TEXT.kcInvalidOtp;
          return kcRender(origin, s);
        }
        return kcFinish(s, s.user!, authSessionId);
      }
    }
  }

  // ---- Generic ----------------------------------------------------------

  function genericLoginPage(f: GenericFlow): Response {
    const error = genericError(errorStyle, f.error);
    f.error = undefined;
    const userInput = f.stage === "password" && usernameFirst
      ? `      <p>Signing in as <strong>${
        escapeHtml(f.username ?? "")
      }</strong></p>\n`
      : `      <label for="user">User name</label>
      <input id="user" type="text" name="username" value="${
        escapeHtml(f.username ?? "")
      }" autocomplete="username">\n`;
    const passwordInput = f.stage === "username"
      ? ""
      : `      <label for="pass">Password</label>
      <input id="pass" type="password" name="password" autocomplete="current-password">\n`;
    return html(genericPage(
      "Sign in",
      `${error}    <form method="post" action="?">
${userInput}${passwordInput}      <button type="submit" name="action" value="signin">${
        f.stage === "username" ? "Next" : "Sign in"
      }</button>
    </form>`,
    ));
  }

  function genericOtpPage(f: GenericFlow): Response {
    const error = genericError(errorStyle, f.error);
    f.error = undefined;
    return html(genericPage(
      "Verification",
      `${error}    <p>Enter the 6-digit code from your authenticator app.</p>
    <form method="post" action="verify">
      <input type="hidden" name="mfa_ctx" value="${f.mfaCtx}">
      <label for="mfa">Code</label>
      <input id="mfa" type="text" name="${otpField}" inputmode="numeric" autocomplete="one-time-code">
      <button type="submit">Verify</button>
    </form>`,
    ));
  }

  function genericFinishPage(f: GenericFlow): Response {
    return html(genericPage(
      "One moment",
      `    <form method="post" action="continue">
      <input type="hidden" name="state" value="${f.state}">
    </form>
    <script>document.forms[0].submit();</script>`,
      "document.forms[0].submit()",
    ));
  }

  function generic(req: Request, url: URL, body: URLSearchParams): Response {
    const path = url.pathname;
    if (path === "/generic/sso/aws") {
      if (req.method !== "GET") return notFound();
      const relayState = url.searchParams.get("RelayState") ?? undefined;
      const session = liveSession(
        sessions.generic,
        getCookie(req, "gsession"),
      );
      if (session) {
        return html(genericSamlPage(issue(session.user, "adfs"), relayState));
      }
      const id = randomToken(16);
      const f: GenericFlow = {
        ctx: randomToken(8),
        stage: usernameFirst ? "username" : "password",
        relayState,
        mfaCtx: randomToken(8),
        state: randomToken(16),
      };
      genericFlows.set(id, f);
      const headers = new Headers();
      setCookie(headers, "gsid", id, "Path=/generic; Secure; HttpOnly");
      return redirect(`/generic/auth/login?ctx=${f.ctx}`, headers);
    }
    const f = genericFlows.get(getCookie(req, "gsid") ?? "");
    const badContext = () =>
      html(
        genericPage(
          "Sign in",
          genericError(errorStyle, FORM_IDP_TEXT.genericBadContext) +
            `    <p><a href="/generic/">Start again</a></p>`,
        ),
        { status: 400 },
      );
    if (!f) {
      return path.startsWith("/generic/auth/") ? badContext() : notFound();
    }
    switch (path) {
      case "/generic/auth/login": {
        if (req.method === "GET") {
          if (url.searchParams.get("ctx") !== f.ctx) return badContext();
          if (f.stage !== "username" && f.stage !== "password") {
            return badContext();
          }
          return genericLoginPage(f);
        }
        if (f.stage === "username") {
          f.username = body.get("username") ?? "";
          f.stage = "password";
          return genericLoginPage(f);
        }
        if (f.stage !== "password") return badContext();
        const username = usernameFirst
          ? f.username ?? ""
          : body.get("username") ?? "";
        f.username = username;
        const { user } = checkPassword(username, body.get("password") ?? "");
        if (!user) {
          f.error = FORM_IDP_TEXT.genericBadPassword;
          return genericLoginPage(f);
        }
        f.user = user;
        f.stage = user.otp ? "otp" : "finish";
        return redirect(
          user.otp ? "/generic/auth/mfa" : "/generic/auth/finish",
        );
      }
      case "/generic/auth/mfa":
        if (req.method !== "GET" || f.stage !== "otp") return badContext();
        return genericOtpPage(f);
      case "/generic/auth/verify": {
        if (req.method !== "POST" || f.stage !== "otp") return badContext();
        if (body.get("mfa_ctx") !== f.mfaCtx) return badContext();
        if ((body.get(otpField) ?? "").trim() !== TOTP_CODE) {
          f.user!.badCodes++;
          f.error = FORM_IDP_TEXT.genericBadCode;
          return genericOtpPage(f);
        }
        f.stage = "finish";
        return redirect("/generic/auth/finish");
      }
      case "/generic/auth/finish":
        if (req.method !== "GET" || f.stage !== "finish") return badContext();
        return genericFinishPage(f);
      case "/generic/auth/continue": {
        if (
          req.method !== "POST" || f.stage !== "finish" ||
          body.get("state") !== f.state
        ) {
          return badContext();
        }
        const headers = new Headers();
        const sid = randomToken(20);
        sessions.generic.set(sid, {
          user: f.user!,
          expires: now().getTime() + SESSION_MS,
        });
        setCookie(headers, "gsession", sid, "Path=/generic; Secure; HttpOnly");
        genericFlows.delete(getCookie(req, "gsid")!);
        return html(
          genericSamlPage(issue(f.user!, "adfs"), f.relayState),
          { headers },
        );
      }
    }
    return notFound();
  }

  // ---- Hostile ----------------------------------------------------------

  function hostile(url: URL): Response {
    switch (url.pathname) {
      case "/hostile/cross-origin":
        return html(genericPage(
          "Sign in",
          `    <form method="post" action="${collector.url}/collect">
      <label for="user">User name</label>
      <input id="user" type="text" name="username">
      <label for="pass">Password</label>
      <input id="pass" type="password" name="password">
      <button type="submit">Sign in</button>
    </form>`,
        ));
      case "/hostile/unknown":
        return html(genericPage(
          "Scheduled maintenance",
          `    <p>The sign-in service is being upgraded. Please come back later.</p>
    <p><a href="https://status.example.invalid/">Service status</a></p>`,
        ));
      case "/hostile/loop": {
        loops++;
        const n = Number(url.searchParams.get("n") ?? "1") || 1;
        return html(genericPage(
          "One moment",
          `    <form method="post" action="/hostile/loop?n=${n + 1}">
      <input type="hidden" name="step" value="${n}">
    </form>
    <script>document.forms[0].submit();</script>`,
          "document.forms[0].submit()",
        ));
      }
      case "/hostile/redirect-loop": {
        loops++;
        const n = Number(url.searchParams.get("n") ?? "1") || 1;
        return redirect(`/hostile/redirect-loop?n=${n + 1}`);
      }
    }
    return notFound();
  }

  const server = serveTls((req, rec) => {
    const url = new URL(req.url);
    const body = new URLSearchParams(
      req.method === "POST" ? rec.body : "",
    );
    if (url.pathname.startsWith("/idp/")) return shibboleth(req, url, body);
    if (url.pathname.startsWith("/realms/")) return keycloak(req, url, body);
    if (url.pathname.startsWith("/generic/")) return generic(req, url, body);
    if (url.pathname.startsWith("/hostile/")) return hostile(url);
    return notFound();
  }, { port: options.port ?? 0 });

  const base = server.url;
  return {
    ...server,
    urls: {
      shibboleth: `${base}${SHIB_SSO_PATH}?providerId=${
        encodeURIComponent(SP_ENTITY_ID)
      }`,
      keycloak:
        `${base}/realms/form/protocol/saml/clients/${KC_CLIENT_URL_NAME}`,
      keycloakUsernameFirst:
        `${base}/realms/stepwise/protocol/saml/clients/${KC_CLIENT_URL_NAME}`,
      generic: `${base}/generic/sso/aws`,
      crossOrigin: `${base}/hostile/cross-origin`,
      unknownPage: `${base}/hostile/unknown`,
      autoSubmitLoop: `${base}/hostile/loop`,
      redirectLoop: `${base}/hostile/redirect-loop`,
    },
    users,
    collector,
    loopHits: () => loops,
    expireSessions() {
      sessions.shib.clear();
      sessions.kc.clear();
      sessions.generic.clear();
    },
    async close() {
      await server.close();
      await collector.close();
    },
  };
}
