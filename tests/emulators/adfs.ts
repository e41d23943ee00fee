/**
 * An emulator of Microsoft AD FS forms sign-in (IdP-initiated, relying party
 * `urn:amazon:webservices`), in three page variants: "2016" (ADFS 3.0 / 2016
 * markup), "2019" (the same plus the hidden second `UserName` input) and "2.0"
 * (the ASP.NET `ctl00$ContentPlaceHolder1$…` page). Markup follows
 * tests/emulators/README.md §4 (ADFS); texts marked "invented" there are
 * invented here too.
 *
 * Every path is compared case-insensitively. Every page that fails is an HTML
 * page, never JSON. Cookies are set with `path=/adfs; secure; HttpOnly`, so a
 * client needs a cookie jar that keeps cookies set on redirects.
 *
 * ## The request context
 *
 * A request is accepted on three paths, each with its own proof of context
 * (otherwise: 400 error page, `MSIS7001`/`MSIS7007`):
 * - `/adfs/ls/IdpInitiatedSignOn.aspx` (or `/adfs/ls/idpinitiatedsignon`) with
 *   `loginToRp=urn:amazon:webservices` (or `…:govcloud`, `…:cn-north-1`);
 * - `/adfs/ls/` with `client-request-id=<guid>` from the entry redirect AND the
 *   `MSISSamlRequest` cookie that redirect set;
 * - `/adfs/ls/FormsSignIn.aspx` with either of the above.
 *
 * ## Pages, and what a client must post
 *
 * 1. Entry: `GET /adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices`
 *    - with a live, fully signed-in `MSISAuth` cookie (SSO session, 8 h): 200,
 *      the SAML page (5.) straight away;
 *    - with an `MSISAuth` whose second factor is still pending: 200, that
 *      second-factor page;
 *    - otherwise 302 to `/adfs/ls/?SAMLRequest=…&client-request-id=<guid>`,
 *      setting `MSISSamlRequest`; that GET answers 200 with the login page.
 *    Posting the login fields straight to the entry URL (no GET, as aws-adfs
 *    does) works too.
 * 2. Login page, "2016": `form#loginForm`, `action="?client-request-id=<guid>"`
 *    (relative to the page URL, NOT to the entry URL: resolved against the
 *    entry URL it loses `loginToRp` and fails with 400). Inputs:
 *    `UserName` (#userNameInput, type email), `Password` (#passwordInput),
 *    checkbox `Kmsi` (value "true"), hidden `AuthMethod=FormsAuthentication`
 *    (#optionForms); `label#errorText` in `div#error`; the "Sign in" button is a
 *    `span#submitButton`. Then `form#options` (absolute action,
 *    `input#optionSelection name=AuthMethod`).
 *    "2019": the same, but `action="/adfs/ls/?client-request-id=<guid>"`, and
 *    `form#options` also holds `input#userNameInputOptionsHolder`
 *    `name=UserName`. Any duplicated post parameter (e.g. `UserName` from both
 *    forms) answers 500 "MSIS7000 … Duplicate post parameter "UserName"".
 *    Post (form-urlencoded, to the resolved action) only the `loginForm`
 *    inputs: `UserName=alice@example.com` (or `EXAMPLE\alice`; a name without
 *    `@` or `\` gets the "Enter your user ID in the format …" error),
 *    `Password=…`, optionally `Kmsi=true`, `AuthMethod=FormsAuthentication`.
 * 3. Login page, "2.0": `form#aspnetForm` (name aspnetForm),
 *    `action="FormsSignIn.aspx?loginToRp=urn%3aamazon%3awebservices&client-request-id=<guid>"`
 *    with hidden `__VIEWSTATE`, `__EVENTVALIDATION`, `__db`, text
 *    `ctl00$ContentPlaceHolder1$UsernameTextBox`, password
 *    `ctl00$ContentPlaceHolder1$PasswordTextBox`, submit
 *    `ctl00$ContentPlaceHolder1$SubmitButton=Sign In`, and
 *    `span#ctl00_ContentPlaceHolder1_ErrorTextLabel`. Post every input of the
 *    form: as in ASP.NET, a post without `__VIEWSTATE` or without the submit
 *    button's name is not a sign-in (the empty page comes back, no error).
 * 4. Answers to the credential post: unknown user or wrong password → 200, the
 *    login page again with the user name filled in and the error text
 *    ({@link ADFS_TEXT}.badPassword, or .badPassword20 on "2.0"); locked user
 *    (right password) → 200, login page with .locked; good → 302 with
 *    `Set-Cookie: MSISAuth=<random>; path=/adfs; secure; HttpOnly` ON the 302,
 *    Location = the URL posted to (for FormsSignIn.aspx: the entry URL). The
 *    GET of that Location WITH the cookie gives 200 with the SAML page, or the
 *    user's second-factor page; without it, the login page again.
 * 5. SAML page: `<form method="POST" name="hiddenform"
 *    action="https://signin.aws.amazon.com:443/saml">` with
 *    `input[name=SAMLResponse]` (raw base64, no line breaks). Also sets
 *    `MSISAuthenticated`.
 * 6. One-time-code page (second factor; 200). Common: a form without action
 *    (post to the page's own URL), `input#authMethod name=AuthMethod`,
 *    `input#context name=Context` (opaque, HTML-escaped XML with `+/=`),
 *    `label#errorText`, and an empty `form#options` (absolute action, same
 *    URL). Post `AuthMethod=<as shown>&Context=<as shown>&<field>=<code>`:
 *    - `AzureMfaAuthentication` (code mode): `form#loginForm`,
 *      `input#verificationCodeInput name=VerificationCode` (its placeholder
 *      is the prompt), `p#instructions`;
 *    - `SecurIDAuthentication`: `form#passcodeForm`, `input#passcodeInput
 *      name=Passcode` (type password), submit input `Submit=Submit`;
 *    - `SymantecVipAdapter`: `form#loginForm`, `input#securityCodeInput
 *      name=SecurityCode`.
 *    fixtures.TOTP_CODE → 200 SAML page. Any other code → 200, same page,
 *    `label#errorText` = .badCode, and `users[name].badCodes` counts it.
 *    A Context that differs from the one served → 400 error page (the code
 *    is not even looked at).
 * 7. Azure MFA push page (200): `form#loginForm` without action, hidden
 *    `AuthMethod=AzureMfaAuthentication` and `Context`, `p#instructions`
 *    (.pushInstructions), `p#validEntropyNumber` (the number to type in the app)
 *    for number-matching users, empty `label#errorText`, empty `form#options`.
 *    Poll by re-posting `AuthMethod=AzureMfaAuthentication&Context=…` (a
 *    `VerificationCode` field is ignored): the first `pushPolls` posts answer
 *    this page again; the next gives the SAML page (approving user), or the
 *    page without instructions and with `label#errorText` = .pushDenied (denying
 *    user; stays so); the timeout user stays pending forever.
 * 8. Method choice page (200): title and `div#loginMessage` "Select an
 *    authentication method"; no `loginForm`, only `form#options` (absolute
 *    action = page URL) with `input#optionSelection name=AuthMethod` (empty),
 *    `input#context name=Context`, and per method a
 *    `<div class="idp" role="button" aria-label="<label>"
 *    onKeyPress="… SelectOption('<AuthMethod>') …"
 *    onclick="SelectOption('<AuthMethod>'); return false;">` with the human
 *    label in `span.largeTextNoWrap` and the image's alt. Real ADFS gives
 *    these divs no id; with the option `choiceIds` each also carries
 *    `id="<AuthMethod>"` (as some customised pages do). Post `AuthMethod=<chosen>&Context=…` to
 *    the options action: 200 with that method's page (6. or 7.), with a new
 *    Context. An empty or unknown AuthMethod → the choice page again with
 *    `label#errorText` = .chooseMethod.
 *
 * On a second-factor page of a user with several methods, posting another of
 * the user's AuthMethod values (with the current Context) switches to it; an
 * AuthMethod the user does not have → 400 error page. The "2.0" variant
 * serves the same (ADFS 3.0-style) second-factor pages. Error pages are
 * `div#errorArea` with the detail in `span#errorDetailsText`.
 *
 * @module
 */
import {
  abortableSleep,
  escapeHtml,
  getCookie,
  html,
  type RunningServer,
  serveTls,
  setCookie,
} from "./server.ts";
import { buildSamlResponse, type GrantedRole } from "./saml_assertion.ts";
import {
  ADFS_PROVIDER,
  PASSWORD,
  ROLE_ADMIN,
  ROLE_DENIED,
  ROLE_DEV,
  TOTP_CODE,
} from "./fixtures.ts";

/** A one-time-code second factor. */
export interface AdfsCodeFactor {
  kind: "code";
  /** `AuthMethod` value: `AzureMfaAuthentication`, `SecurIDAuthentication`, `SymantecVipAdapter`. */
  authMethod: string;
  /** Name of the code input: `VerificationCode`, `Passcode`, `SecurityCode`. */
  field: string;
  /** Human label on the method choice page. */
  label: string;
}

/** An Azure MFA push (app notification) second factor. */
export interface AdfsPushFactor {
  kind: "push";
  /** `AuthMethod` value, normally `AzureMfaAuthentication`. */
  authMethod: string;
  /** Human label on the method choice page. */
  label: string;
  /** What the phone does once the polls are used up. */
  outcome: "approve" | "deny" | "timeout";
  /** Number matching: shown in `p#validEntropyNumber`. */
  entropyNumber?: number;
}

/** A second factor. */
export type AdfsFactor = AdfsCodeFactor | AdfsPushFactor;

/** One user of the live table; tests may change any field while running. */
export interface AdfsUser {
  /** Short name: signs in as `<name>@example.com` or `EXAMPLE\<name>`. */
  name: string;
  password: string;
  roles: GrantedRole[];
  /** SessionDuration attribute; undefined leaves it out. */
  sessionDuration?: number;
  locked: boolean;
  /** None: SAML after the password; one: that page; several: the choice page. */
  factors: AdfsFactor[];
  /** Sleep before answering this user's credential post. */
  delayMs: number;
  /** Wrong passwords posted for this user. */
  badPasswords: number;
  /** Wrong one-time codes posted for this user. */
  badCodes: number;
  /** SAML pages issued to this user. */
  samlIssued: number;
}

/** Fields of a user one may set in {@link AdfsOptions.users}. */
export type AdfsUserConfig = Partial<
  Omit<AdfsUser, "name" | "badPasswords" | "badCodes" | "samlIssued">
>;

/** Options of {@link startAdfs}. */
export interface AdfsOptions {
  /** Page variant; default "2016". */
  variant?: "2016" | "2019" | "2.0";
  /** Users merged over the defaults, field by field for a default name. */
  users?: Record<string, AdfsUserConfig>;
  /** Pending answers to push polls before the outcome; default 2. */
  pushPolls?: number;
  /** Clock for SSO session expiry and the assertion's IssueInstant. */
  now?: () => Date;
  /** How long the `slow` user's credential post sleeps; default 3000 ms. */
  delayMs?: number;
  /** Milliseconds added before every response (a network round trip). */
  latencyMs?: number;
  /** Give the choice page's `div.idp` entries an id (real ADFS gives none). */
  choiceIds?: boolean;
}

/** A running ADFS emulator. */
export interface AdfsEmulator extends RunningServer {
  /** `${url}/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices` */
  entryUrl: string;
  /** Credential posts received (good or bad). */
  loginPosts(): number;
  /** The live user table, by short name. */
  users: Record<string, AdfsUser>;
  /** Ends every SSO session (all `MSISAuth` cookies become unknown). */
  expireSessions(): void;
}

/** Texts the emulator shows; clients may be tested against them. */
export const ADFS_TEXT = {
  badPassword:
    "Incorrect user ID or password. Type the correct user ID and password, and try again.",
  badPassword20: "The user name or password is incorrect",
  badFormat:
    'Enter your user ID in the format "domain\\user" or "user@domain".',
  locked: "Your account is locked. Contact your administrator.",
  badCode: "The code you entered is not valid.",
  pushInstructions:
    "We've sent a notification to your mobile device. Please respond to continue.",
  pushDenied: "The sign-in was denied.",
  chooseMethod: "Select an authentication method",
} as const;

/** Lifetime of an SSO session (`MSISAuth`). */
export const ADFS_SSO_LIFETIME_MS = 8 * 3600_000;

const RP_IDS = new Set([
  "urn:amazon:webservices",
  "urn:amazon:webservices:govcloud",
  "urn:amazon:webservices:cn-north-1",
]);
const ENTRY_PATHS = new Set([
  "/adfs/ls/idpinitiatedsignon.aspx",
  "/adfs/ls/idpinitiatedsignon",
]);
const LS_PATHS = new Set(["/adfs/ls/", "/adfs/ls"]);
const FORMS_PATH = "/adfs/ls/formssignin.aspx";
const COOKIE_ATTRS = "path=/adfs; secure; HttpOnly";
const F20 = "ctl00$ContentPlaceHolder1$";
const VIEWSTATE = "/wEPDwUKMTU0NTA2NzAyMmRkFAKEVIEWSTATE=";
const EVENTVALIDATION = "/wEWBAKFAKEEVENTVALIDATION=";

const AZURE_LABEL = "Azure Multi-Factor Authentication";
const PUSH: AdfsPushFactor = {
  kind: "push",
  authMethod: "AzureMfaAuthentication",
  label: AZURE_LABEL,
  outcome: "approve",
};
const AZURE_CODE: AdfsCodeFactor = {
  kind: "code",
  authMethod: "AzureMfaAuthentication",
  field: "VerificationCode",
  label: AZURE_LABEL,
};
const SECURID: AdfsCodeFactor = {
  kind: "code",
  authMethod: "SecurIDAuthentication",
  field: "Passcode",
  label: "RSA SecurID",
};
/** The ADFS 2019 built-in TOTP provider (authenticator app code). */
const TOTP: AdfsCodeFactor = {
  kind: "code",
  authMethod: "TOTPAuthenticationProvider",
  field: "VerificationCode",
  label: "Authenticator app code",
};
const VIP: AdfsCodeFactor = {
  kind: "code",
  authMethod: "SymantecVipAdapter",
  field: "SecurityCode",
  label: "Symantec VIP",
};

function defaultUsers(slowMs: number): Record<string, AdfsUserConfig> {
  return {
    alice: {},
    solo: { roles: [{ role: ROLE_DEV, principal: ADFS_PROVIDER }] },
    denied: { roles: [{ role: ROLE_DENIED, principal: ADFS_PROVIDER }] },
    locked: { locked: true },
    code: { factors: [AZURE_CODE] },
    securid: { factors: [SECURID] },
    push: { factors: [PUSH] },
    "push-number": { factors: [{ ...PUSH, entropyNumber: 42 }] },
    "push-deny": { factors: [{ ...PUSH, outcome: "deny" }] },
    "push-timeout": { factors: [{ ...PUSH, outcome: "timeout" }] },
    choose: { factors: [PUSH, VIP, SECURID] },
    "choose-totp": { factors: [PUSH, TOTP] },
    slow: { delayMs: slowMs },
  };
}

function makeUser(name: string, config: AdfsUserConfig): AdfsUser {
  return {
    name,
    password: config.password ?? PASSWORD,
    roles: config.roles ?? [
      { role: ROLE_DEV, principal: ADFS_PROVIDER },
      { role: ROLE_ADMIN, principal: ADFS_PROVIDER },
    ],
    sessionDuration: "sessionDuration" in config
      ? config.sessionDuration
      : 3600,
    locked: config.locked ?? false,
    factors: config.factors ?? [],
    delayMs: config.delayMs ?? 0,
    badPasswords: 0,
    badCodes: 0,
    samlIssued: 0,
  };
}

/** Second-factor progress of a session. */
interface MfaState {
  /** Index into user.factors; -1 = the choice page. */
  factor: number;
  context: string;
  polls: number;
  denied: boolean;
}

interface Session {
  user: AdfsUser;
  expires: number;
  /** undefined once signed in completely. */
  mfa?: MfaState;
}

/** Where a request stands: how to build action URLs for its pages. */
interface Place {
  /** Path and query of the request, for path-absolute actions. */
  self: string;
  /** Absolute URL of the request. */
  absolute: string;
  /** The entry redirect's flow id when the request is on `/adfs/ls/`. */
  flow?: string;
}

function randomBase64(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  let binary = "";
  for (const b of buf) binary += String.fromCharCode(b);
  return btoa(binary);
}

function newContext(): string {
  return `<EncryptedData Type="http://www.w3.org/2001/04/xmlenc#Content" xmlns="http://www.w3.org/2001/04/xmlenc#">` +
    `<EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc" />` +
    `<CipherData><CipherValue>${
      randomBase64(96)
    }+/=</CipherValue></CipherData></EncryptedData>`;
}

/** Query parameter by case-insensitive name (ASP.NET style). */
function queryParam(url: URL, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of url.searchParams) {
    if (k.toLowerCase() === lower) return v;
  }
  return undefined;
}

/** Names the first parameter posted twice, `UserName` before any other. */
function duplicateParameter(form: URLSearchParams): string | undefined {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const key of form.keys()) {
    if (seen.has(key)) twice.push(key);
    seen.add(key);
  }
  return twice.includes("UserName") ? "UserName" : twice[0];
}

function head(title: string): string {
  return `<!DOCTYPE html>
<html lang="en-US">
<head>
<meta http-equiv="X-UA-Compatible" content="IE=10.000"/>
<meta name="viewport" content="width=device-width, initial-scale=1.0, maximum-scale=1.0, user-scalable=no"/>
<meta http-equiv="content-type" content="text/html;charset=UTF-8" />
<meta http-equiv="cache-control" content="no-cache,no-store"/>
<meta http-equiv="pragma" content="no-cache"/>
<meta http-equiv="expires" content="-1"/>
<meta name="mswebdialog-title" content="Connecting to Example"/>
<title>${escapeHtml(title)}</title>
</head>
<body dir="ltr" class="body">
<div id="noScript" style="position:static; width:100%; height:100%; z-index:100">
<h1>JavaScript required</h1>
<p>JavaScript is required. This web browser does not support JavaScript or JavaScript in this web browser is not enabled.</p>
</div>
<script type="text/javascript" language="JavaScript">document.getElementById("noScript").style.display = "none";</script>
<div id="fullPage">
<div id="brandingWrapper" class="float"><div id="branding"></div></div>
<div id="contentWrapper" class="float">
<div id="content">
<div id="header"><img class="logoImage" src="/adfs/portal/logo/logo.png?id=0F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C4B5A69788796A5B4C3D2E1F0" alt="Example"/></div>
<div id="workArea">
`;
}

const FOOT = `</div>
<div id="footerPlaceholder"></div>
</div>
<div id="footer"><div id="footerLinks" class="floatReverse"><div><span id="copyright">&#169; 2016 Microsoft</span></div></div></div>
</div>
</div>
</body>
</html>
`;

function errorBlock(text: string): string {
  const style = text ? "" : ` style="display: none;"`;
  return `<div id="error" class="fieldMargin error smallText"${style}><label id="errorText" for="">${
    escapeHtml(text)
  }</label></div>`;
}

const SELECT_SCRIPT = `<script type="text/javascript">
function SelectOption(option) {
    var i = document.getElementById('optionSelection');
    i.value = option;
    document.forms['options'].submit();
    return false;
}
</script>`;

/**
 * Starts the emulator on a free port of 127.0.0.1.
 *
 * @param options Variant, users, push polls, clock and the slow user's delay.
 */
export function startAdfs(options: AdfsOptions = {}): AdfsEmulator {
  const variant = options.variant ?? "2016";
  const pushPolls = options.pushPolls ?? 2;
  const now = options.now ?? (() => new Date());
  const configs = defaultUsers(options.delayMs ?? 3000);
  for (const [name, config] of Object.entries(options.users ?? {})) {
    configs[name] = { ...configs[name], ...config };
  }
  const users: Record<string, AdfsUser> = {};
  for (const [name, config] of Object.entries(configs)) {
    users[name] = makeUser(name, config);
  }
  /** client-request-id → MSISSamlRequest cookie value. */
  const flows = new Map<string, string>();
  /** MSISAuth value → session. */
  const sessions = new Map<string, Session>();
  const closing = new AbortController();
  let loginPosts = 0;

  function findUser(raw: string): AdfsUser | undefined {
    const text = raw.trim().toLowerCase();
    let name: string | undefined;
    const at = text.lastIndexOf("@");
    if (at > 0 && text.slice(at + 1) === "example.com") {
      name = text.slice(0, at);
    } else if (text.startsWith("example\\")) {
      name = text.slice("example\\".length);
    }
    return name === undefined || !Object.hasOwn(users, name)
      ? undefined
      : users[name];
  }

  function liveSession(req: Request): Session | undefined {
    const id = getCookie(req, "MSISAuth");
    if (!id) return undefined;
    const session = sessions.get(id);
    if (!session) return undefined;
    if (session.expires <= now().getTime()) {
      sessions.delete(id);
      return undefined;
    }
    return session;
  }

  function errorPage(status: number, details: string): Response {
    const body = head("Sign In") +
      `<div id="errorArea">
<div id="openingMessage" class="groupMargin bigText">An error occurred</div>
<div id="errorMessage" class="groupMargin">An error occurred. Contact your administrator for more information.</div>
<div id="errorDetails" class="groupMargin">
<div><span class="bold">Activity ID:</span> <span id="activityId">${crypto.randomUUID()}</span></div>
<div><span class="bold">Error time:</span> <span>${now().toUTCString()}</span></div>
<div><span class="bold">Error details:</span> <span id="errorDetailsText">${
        escapeHtml(details)
      }</span></div>
</div>
</div>
` + FOOT;
    return html(body, { status });
  }

  function optionsForm(place: Place, inner = ""): string {
    return `<div id="authOptions">
<form id="options" method="post" action="${escapeHtml(place.absolute)}">
${SELECT_SCRIPT}
<input id="optionSelection" type="hidden" name="AuthMethod" />
${inner}<div class="groupMargin"></div>
</form>
</div>`;
  }

  function loginPage(place: Place, userName = "", error = ""): Response {
    if (variant === "2.0") return loginPage20(place, userName, error);
    const action = place.flow === undefined
      ? place.self
      : variant === "2019"
      ? `/adfs/ls/?client-request-id=${place.flow}`
      : `?client-request-id=${place.flow}`;
    const holder = variant === "2019"
      ? `<input id="userNameInputOptionsHolder" type="hidden" name="UserName" value="${
        escapeHtml(userName)
      }" />\n`
      : "";
    const body = head("Sign In") +
      `<div id="authArea" class="groupMargin">
<div id="loginArea">
<div id="loginMessage" class="groupMargin">Sign in with your organizational account</div>
<form method="post" id="loginForm" autocomplete="off" novalidate="novalidate" onKeyPress="if (event &amp;&amp; event.keyCode == 13) Login.submitLoginRequest();" action="${
        escapeHtml(action)
      }">
${errorBlock(error)}
<div id="formsAuthenticationArea">
<div id="userNameArea"><label id="userNameInputLabel" for="userNameInput" class="hidden">User Account</label><input id="userNameInput" name="UserName" type="email" value="${
        escapeHtml(userName)
      }" tabindex="1" class="text fullWidth" spellcheck="false" placeholder="someone@example.com" autocomplete="off"/></div>
<div id="passwordArea"><label id="passwordInputLabel" for="passwordInput" class="hidden">Password</label><input id="passwordInput" name="Password" type="password" tabindex="2" class="text fullWidth" placeholder="Password" autocomplete="off"/></div>
<div id="kmsiArea" style="display:none"><input type="checkbox" name="Kmsi" id="kmsiInput" value="true" tabindex="3" /><label for="kmsiInput">Keep me signed in</label></div>
<div id="submissionArea" class="submitMargin"><span id="submitButton" class="submit" tabindex="4" role="button" onKeyPress="if (event &amp;&amp; event.keyCode == 32) Login.submitLoginRequest();" onclick="return Login.submitLoginRequest();">Sign in</span></div>
</div>
<input id="optionForms" type="hidden" name="AuthMethod" value="FormsAuthentication"/>
</form>
</div>
${optionsForm(place, holder)}
</div>
` + FOOT;
    return html(body);
  }

  function loginPage20(
    place: Place,
    userName: string,
    error: string,
  ): Response {
    const flow = place.flow === undefined
      ? ""
      : `&client-request-id=${place.flow}`;
    const action =
      `FormsSignIn.aspx?loginToRp=urn%3aamazon%3awebservices${flow}`;
    const body =
      `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head><title>Sign In</title></head>
<body>
<form name="aspnetForm" method="post" action="${
        escapeHtml(action)
      }" id="aspnetForm">
<div>
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="${VIEWSTATE}" />
</div>
<div>
<input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="${EVENTVALIDATION}" />
<input type="hidden" name="__db" value="15" />
</div>
<table>
<tr><td><span id="ctl00_ContentPlaceHolder1_UsernameLabel">User name:</span></td>
<td><input name="${F20}UsernameTextBox" type="text" value="${
        escapeHtml(userName)
      }" id="ctl00_ContentPlaceHolder1_UsernameTextBox" /></td></tr>
<tr><td><span id="ctl00_ContentPlaceHolder1_PasswordLabel">Password:</span></td>
<td><input name="${F20}PasswordTextBox" type="password" id="ctl00_ContentPlaceHolder1_PasswordTextBox" /></td></tr>
<tr><td></td><td><input type="submit" name="${F20}SubmitButton" value="Sign In" id="ctl00_ContentPlaceHolder1_SubmitButton" /></td></tr>
</table>
<span id="ctl00_ContentPlaceHolder1_ErrorTextLabel">${escapeHtml(error)}</span>
</form>
</body>
</html>
`;
    return html(body);
  }

  function samlPage(user: AdfsUser): Response {
    user.samlIssued++;
    const saml = buildSamlResponse({
      style: "adfs",
      nameId: `${user.name}@example.com`,
      roles: user.roles,
      sessionDuration: user.sessionDuration,
      now: now(),
    });
    const headers = new Headers();
    setCookie(
      headers,
      "MSISAuthenticated",
      btoa(now().toISOString()),
      COOKIE_ATTRS,
    );
    return html(
      `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="https://signin.aws.amazon.com:443/saml"><input type="hidden" name="SAMLResponse" value="${
        escapeHtml(saml)
      }" /><noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form><script language="javascript">window.setTimeout('document.forms[0].submit()', 0);</script></body></html>`,
      { headers },
    );
  }

  function hiddenInputs(authMethod: string, context: string): string {
    return `<!-- These inputs are required by the presentation framework.  Do not modify or remove -->
<input id="authMethod" type="hidden" name="AuthMethod" value="${
      escapeHtml(authMethod)
    }"/>
<input id="context" type="hidden" name="Context" value="${
      escapeHtml(context)
    }"/>
<!-- End inputs are required by the presentation framework. -->`;
  }

  function greeting(user: AdfsUser): string {
    return `<div id="mfaGreetingDescription" class="groupMargin"><div class="fieldMargin bigText">Welcome EXAMPLE\\${
      escapeHtml(user.name)
    }</div>For security reasons, we require additional information to verify your account</div>`;
  }

  function codePage(
    place: Place,
    user: AdfsUser,
    factor: AdfsCodeFactor,
    mfa: MfaState,
    error = "",
  ): Response {
    const hidden = hiddenInputs(factor.authMethod, mfa.context);
    const name = escapeHtml(factor.field);
    let form: string;
    let title = "Sign In";
    if (factor.authMethod === "SecurIDAuthentication") {
      title = "RSA SecurID Authentication";
      form =
        `<form method="post" id="passcodeForm" autocomplete="off" onsubmit="return validateForm(this)">
${hidden}
<div class="groupMargin">Enter your RSA SecurID passcode.</div>
<div class="fieldMargin error smallText"><label id="errorText" for="">${
          escapeHtml(error)
        }</label></div>
<div><input id="passcodeInput" name="${name}" type="password" value="" class="text fullWidth" placeholder="Passcode" tabindex="1" autocomplete="off" autofocus="" /></div>
<div class="submitMargin"><input id="submitButton" type="submit" name="Submit" tabindex="2" value="Submit" /></div>
</form>`;
    } else if (factor.authMethod === "SymantecVipAdapter") {
      title = "Symantec VIP";
      form = `<form method="post" id="loginForm" autocomplete="off">
${hidden}
<div class="groupMargin">Enter the security code from your VIP credential.</div>
${errorBlock(error)}
<div id="securityCodeArea"><input id="securityCodeInput" name="${name}" type="text" value="" class="text fullWidth" placeholder="Security code" tabindex="1" autocomplete="off" /></div>
<div id="submissionArea" class="submitMargin"><span id="submitButton" class="submit" tabindex="2" role="button" onclick="return document.forms['loginForm'].submit();">Submit</span></div>
</form>`;
    } else {
      form = `<form method="post" id="loginForm" autocomplete="off">
${hidden}
<p id="instructions" class="groupMargin">Enter the verification code shown in your authenticator app.</p>
${errorBlock(error)}
<div id="verificationCodeArea"><input id="verificationCodeInput" name="${name}" type="text" value="" class="text fullWidth" placeholder="Verification code" tabindex="1" autocomplete="off" /></div>
<div id="submissionArea" class="submitMargin"><span id="signInButton" class="submit" tabindex="2" role="button" onclick="return document.forms['loginForm'].submit();">Sign in</span></div>
</form>`;
    }
    const body = head(title) +
      `<div id="authArea" class="groupMargin">
${greeting(user)}
<div class="groupMargin"><div id="loginArea">
${form}
</div></div>
${optionsForm(place)}
</div>
` + FOOT;
    return html(body);
  }

  function pushPage(
    place: Place,
    user: AdfsUser,
    factor: AdfsPushFactor,
    mfa: MfaState,
  ): Response {
    const pending = !mfa.denied;
    const instructions = pending
      ? `<p id="instructions" class="groupMargin">${
        escapeHtml(ADFS_TEXT.pushInstructions)
      }</p>\n`
      : "";
    const entropy = pending && factor.entropyNumber !== undefined
      ? `<p id="validEntropyNumber" class="bigText">${factor.entropyNumber}</p>\n`
      : "";
    const script = pending
      ? `<script type="text/javascript">window.setTimeout(function () { document.forms['loginForm'].submit(); }, 5000);</script>\n`
      : "";
    const body = head("Sign In") +
      `<div id="authArea" class="groupMargin">
${greeting(user)}
<div class="groupMargin"><div id="loginArea">
<form method="post" id="loginForm" autocomplete="off">
${hiddenInputs(factor.authMethod, mfa.context)}
${instructions}${entropy}${errorBlock(pending ? "" : ADFS_TEXT.pushDenied)}
</form>
${script}</div></div>
${optionsForm(place)}
</div>
` + FOOT;
    return html(body);
  }

  function choicePage(
    place: Place,
    user: AdfsUser,
    mfa: MfaState,
    error = "",
  ): Response {
    const items = user.factors.map((f) => {
      const m = escapeHtml(f.authMethod);
      const label = escapeHtml(f.label);
      const id = options.choiceIds ? `id="${m}" ` : "";
      return `<div ${id}class="idp" tabIndex="0" role="button" aria-label="${label}" onKeyPress="if (event &amp;&amp; (event.keyCode == 32 || event.keyCode == 13)) SelectOption('${m}'); return false;" onclick="SelectOption('${m}'); return false;">
<img class="largeIcon float" src="/adfs/portal/images/idp/otp.png" alt="${label}" />
<div class="idpDescription float"><span class="largeTextNoWrap indentNonCollapsible">${label}</span></div>
</div>`;
    }).join("\n");
    const inner = `<input id="context" type="hidden" name="Context" value="${
      escapeHtml(mfa.context)
    }"/>
<div id="error" class="fieldMargin error smallText"><label id="errorText" for="">${
      escapeHtml(error)
    }</label></div>
<div class="groupMargin">
${items}
</div>
`;
    const body = head(ADFS_TEXT.chooseMethod) +
      `<div id="authArea" class="groupMargin">
${greeting(user)}
<div id="loginMessage" class="groupMargin">${ADFS_TEXT.chooseMethod}</div>
${optionsForm(place, inner)}
</div>
` + FOOT;
    return html(body);
  }

  /** The page a signed-in (or half signed-in) session sees. */
  function sessionPage(place: Place, session: Session, error = ""): Response {
    const mfa = session.mfa;
    if (!mfa) return samlPage(session.user);
    if (mfa.factor < 0) return choicePage(place, session.user, mfa, error);
    const factor = session.user.factors[mfa.factor];
    return factor.kind === "code"
      ? codePage(place, session.user, factor, mfa, error)
      : pushPage(place, session.user, factor, mfa);
  }

  function mfaPost(
    place: Place,
    session: Session,
    mfa: MfaState,
    form: URLSearchParams,
  ): Response {
    const user = session.user;
    if (form.get("Context") !== mfa.context) {
      return errorPage(
        400,
        "MSIS7000: The context of the authentication request could not be read. Start the sign-in again.",
      );
    }
    const method = form.get("AuthMethod") ?? "";
    const current = mfa.factor < 0 ? undefined : user.factors[mfa.factor];
    if (current?.authMethod !== method) {
      const index = user.factors.findIndex((f) => f.authMethod === method);
      if (index < 0) {
        if (mfa.factor < 0) {
          return choicePage(place, user, mfa, ADFS_TEXT.chooseMethod);
        }
        return errorPage(
          400,
          `MSIS7000: The authentication method '${method}' is not available for this request.`,
        );
      }
      session.mfa = {
        factor: index,
        context: newContext(),
        polls: 0,
        denied: false,
      };
      return sessionPage(place, session);
    }
    if (current.kind === "code") {
      if (form.get(current.field) === TOTP_CODE) {
        session.mfa = undefined;
        return samlPage(user);
      }
      user.badCodes++;
      return codePage(place, user, current, mfa, ADFS_TEXT.badCode);
    }
    if (!mfa.denied && current.outcome !== "timeout") {
      mfa.polls++;
      if (mfa.polls > pushPolls) {
        if (current.outcome === "approve") {
          session.mfa = undefined;
          return samlPage(user);
        }
        mfa.denied = true;
      }
    }
    return pushPage(place, user, current, mfa);
  }

  async function credentialPost(
    req: Request,
    url: URL,
    route: string,
    place: Place,
    form: URLSearchParams,
  ): Promise<Response> {
    loginPosts++;
    const is20 = variant === "2.0";
    if (
      is20 && (!form.has("__VIEWSTATE") || !form.has(`${F20}SubmitButton`))
    ) {
      return loginPage(place); // not a postback: ASP.NET renders afresh
    }
    const rawUser = form.get(is20 ? `${F20}UsernameTextBox` : "UserName") ??
      "";
    const password = form.get(is20 ? `${F20}PasswordTextBox` : "Password") ??
      "";
    const user = findUser(rawUser);
    if (user && user.delayMs > 0) {
      await abortableSleep(
        user.delayMs,
        AbortSignal.any([req.signal, closing.signal]),
      );
    }
    const bad = is20 ? ADFS_TEXT.badPassword20 : ADFS_TEXT.badPassword;
    if (!is20 && !/[@\\]/.test(rawUser)) {
      return loginPage(place, rawUser, ADFS_TEXT.badFormat);
    }
    if (!user || password !== user.password) {
      if (user) user.badPasswords++;
      return loginPage(place, rawUser, bad);
    }
    if (user.locked) return loginPage(place, rawUser, ADFS_TEXT.locked);
    const id = randomBase64(96);
    const factors = user.factors.length;
    sessions.set(id, {
      user,
      expires: now().getTime() + ADFS_SSO_LIFETIME_MS,
      mfa: factors === 0 ? undefined : {
        factor: factors === 1 ? 0 : -1,
        context: newContext(),
        polls: 0,
        denied: false,
      },
    });
    const headers = new Headers({
      location: route === "forms"
        ? `/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=${
          encodeURIComponent(flowRp(url) ?? "urn:amazon:webservices")
        }`
        : url.pathname + url.search,
    });
    setCookie(headers, "MSISAuth", id, COOKIE_ATTRS);
    return new Response(null, { status: 302, headers });
  }

  function flowRp(url: URL): string | undefined {
    return queryParam(url, "loginToRp");
  }

  /** Checks the request's context; returns its Place or an error page. */
  function locate(
    req: Request,
    url: URL,
    route: string,
  ): Place | Response {
    const place: Place = {
      self: url.pathname + url.search,
      absolute: url.href,
    };
    const rp = flowRp(url);
    if (rp !== undefined && route !== "ls") {
      if (!RP_IDS.has(rp.toLowerCase())) {
        return errorPage(
          400,
          `MSIS7007: The requested relying party trust '${rp}' is unspecified or unsupported. If a relying party trust was specified, it is possible that you do not have permission to access the trust relying party. Contact your administrator for details.`,
        );
      }
      return place;
    }
    const flow = queryParam(url, "client-request-id");
    if (route !== "entry" && flow !== undefined) {
      const cookie = getCookie(req, "MSISSamlRequest");
      if (cookie !== undefined && flows.get(flow) === cookie) {
        return { ...place, flow };
      }
    }
    return errorPage(
      400,
      "MSIS7001: The passive protocol context was not found or not valid. If the context was stored in cookies, the cookies that were presented by the client were not valid. Ensure that the client browser is configured to accept cookies from this website and retry this request.",
    );
  }

  function redirectToLogin(url: URL): Response {
    const flow = crypto.randomUUID();
    const samlRequest = randomBase64(60);
    const cookie = btoa(
      `BaseUrl=${url.origin}${url.pathname}\\SAMLRequest=${samlRequest}\\RelayState=\\client-request-id=${flow}`,
    );
    flows.set(flow, cookie);
    const headers = new Headers({
      location: `/adfs/ls/?SAMLRequest=${
        encodeURIComponent(samlRequest)
      }&client-request-id=${flow}`,
    });
    setCookie(headers, "MSISSamlRequest", cookie, COOKIE_ATTRS);
    return new Response(null, { status: 302, headers });
  }

  function isCredentialPost(form: URLSearchParams): boolean {
    return form.has("UserName") || form.has("Password") ||
      form.has(`${F20}UsernameTextBox`) || form.has(`${F20}PasswordTextBox`) ||
      form.get("AuthMethod") === "FormsAuthentication";
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname.toLowerCase();
    const route = ENTRY_PATHS.has(path)
      ? "entry"
      : LS_PATHS.has(path)
      ? "ls"
      : path === FORMS_PATH
      ? "forms"
      : undefined;
    if (route === undefined) {
      return html(
        "<html><head><title>404 - Not Found</title></head><body><h1>404 - Not Found</h1></body></html>",
        { status: 404 },
      );
    }
    if (req.method !== "GET" && req.method !== "POST") {
      return errorPage(405, `The HTTP verb ${req.method} is not allowed.`);
    }
    const form = req.method === "POST"
      ? new URLSearchParams(await req.text())
      : new URLSearchParams();
    const dup = duplicateParameter(form);
    if (dup !== undefined) {
      return errorPage(
        500,
        `MSIS7000: The sign in request is not compliant to the WS-Federation language for web browser clients or the SAML 2.0 protocol WebSSO profile. Microsoft.IdentityServer.Web.InvalidRequestException: Duplicate post parameter "${dup}"`,
      );
    }
    const place = locate(req, url, route);
    if (place instanceof Response) return place;
    const session = liveSession(req);
    if (req.method === "POST") {
      if (isCredentialPost(form)) {
        return await credentialPost(req, url, route, place, form);
      }
      if (session?.mfa && form.has("AuthMethod")) {
        return mfaPost(place, session, session.mfa, form);
      }
    }
    if (session) return sessionPage(place, session);
    if (route === "entry") return redirectToLogin(url);
    return loginPage(place);
  }

  const server = serveTls((req) => handle(req), {
    latencyMs: options.latencyMs,
  });
  return {
    ...server,
    entryUrl:
      `${server.url}/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices`,
    loginPosts: () => loginPosts,
    users,
    expireSessions: () => sessions.clear(),
    close: () => {
      closing.abort();
      return server.close();
    },
  };
}
