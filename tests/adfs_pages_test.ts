/**
 * Unit tests of reading ADFS pages (lib/providers/adfs/pages.ts) and of the
 * `--mfa` mapping on the choice page (lib/providers/adfs/methods.ts). The
 * snippets follow the markup of real ADFS 2012 R2–2019 and 2.0 pages: hidden
 * `AuthMethod` and `Context` inputs, `label#errorText`, `div.idp` choice items
 * with `onclick="SelectOption('…')"`, `p#instructions`,
 * `p#validEntropyNumber`.
 */
import assert from "node:assert/strict";
import { parseHtml } from "../lib/http/html_form.ts";
import {
  ADFS_ERROR_SELECTORS,
  adfsErrorText,
  type AdfsMethod,
  choiceMethods,
  classifyMfaPage,
  findLoginForm,
} from "../lib/providers/adfs/pages.ts";
import {
  kindsFor,
  methodsFor,
  MFA_METHOD_RULES,
} from "../lib/providers/adfs/methods.ts";
import { MFA_KINDS, type MfaKind } from "../lib/mfa/mfa_kind.ts";

/** The hidden inputs every ADFS second-factor form carries. */
function hidden(authMethod: string, context = "ctx+/=1"): string {
  return `<input id="authMethod" type="hidden" name="AuthMethod" value="${authMethod}"/>
<input id="context" type="hidden" name="Context" value="${context}"/>`;
}

/** The options form every ADFS page has (AuthMethod, no Context). */
const OPTIONS_FORM = `<div id="authOptions">
<form id="options" method="post" action="https://adfs.example.com/adfs/ls/">
<input id="optionSelection" type="hidden" name="AuthMethod" />
</form></div>`;

function mfaPage(authMethod: string, body: string, outside = ""): string {
  return `<html><head><title>Sign In</title></head><body>
<div id="loginArea"><form method="post" id="loginForm" autocomplete="off">
${hidden(authMethod)}
${body}
<div id="error" class="fieldMargin error smallText" style="display: none;"><label id="errorText" for=""></label></div>
</form></div>${outside}
${OPTIONS_FORM}
</body></html>`;
}

const CODE_INPUT_NAMES = [
  "code",
  "VerificationCode",
  "Passcode",
  "SecurityCode",
  "security_code",
  "OathCode",
  "OtpCode",
  "ChallengeQuestionAnswer",
  "TokenCode",
  "NextCode",
  "otp",
];

for (const name of CODE_INPUT_NAMES) {
  Deno.test(`classifyMfaPage() finds a code page by its input ${name}`, async () => {
    const page = await parseHtml(
      mfaPage(
        "SecurIDAuthentication",
        `<div><input id="codeInput" name="${name}" type="text" value="" placeholder="Code" /></div>`,
      ),
    );
    const step = classifyMfaPage(page);
    assert.equal(step.kind, "code");
    if (step.kind !== "code") return;
    assert.equal(step.input.name, name);
    assert.equal(step.authMethod, "SecurIDAuthentication");
    assert.equal(step.form.id, "loginForm");
  });
}

Deno.test("classifyMfaPage() takes a code page over push markers (Azure MFA in code mode)", async () => {
  const page = await parseHtml(
    mfaPage(
      "AzureMfaAuthentication",
      `<p id="instructions">Enter the verification code shown in your authenticator app.</p>
<input id="verificationCodeInput" name="VerificationCode" type="text" value="" />`,
    ),
  );
  const step = classifyMfaPage(page);
  assert.equal(step.kind, "code");
  assert.equal(step.kind === "code" && step.input.name, "VerificationCode");
});

Deno.test("classifyMfaPage() does not take a hidden, submit or checkbox input for a code input", async () => {
  const page = await parseHtml(
    mfaPage(
      "CustomAdapter",
      `<input type="hidden" name="otp" value="x" />
<input type="submit" name="SubmitCode" value="Submit" />
<input type="checkbox" name="RememberCode" value="true" />
<input type="text" name="UserName" value="" />`,
    ),
  );
  assert.deepEqual(classifyMfaPage(page), {
    kind: "unknown",
    authMethod: "CustomAdapter",
  });
});

Deno.test("classifyMfaPage() ignores forms without both AuthMethod and Context", async () => {
  // A code-looking input in the options form (AuthMethod, no Context) and
  // in a form with Context only.
  const page = await parseHtml(`<html><body>
<form id="options"><input type="hidden" name="AuthMethod" value="X"/><input name="otp" type="text"/></form>
<form id="other"><input type="hidden" name="Context" value="c"/><input name="otp" type="text"/></form>
</body></html>`);
  assert.deepEqual(classifyMfaPage(page), { kind: "unknown", authMethod: "" });
});

Deno.test("classifyMfaPage() finds a push page by #instructions", async () => {
  const page = await parseHtml(
    mfaPage(
      "CustomPushAdapter",
      `<p id="instructions" class="groupMargin">We've sent a notification to your mobile device.</p>`,
    ),
  );
  const step = classifyMfaPage(page);
  assert.equal(step.kind, "push");
  assert.equal(step.kind === "push" && step.authMethod, "CustomPushAdapter");
  assert.equal(step.kind === "push" && step.form.id, "loginForm");
});

Deno.test("classifyMfaPage() finds a push page by #validEntropyNumber alone", async () => {
  const page = await parseHtml(
    mfaPage(
      "CustomPushAdapter",
      `<p id="validEntropyNumber" class="bigText">42</p>`,
    ),
  );
  const step = classifyMfaPage(page);
  assert.equal(step.kind, "push");
  assert.equal(step.kind === "push" && step.authMethod, "CustomPushAdapter");
});

for (
  const authMethod of [
    "AzureMfaAuthentication",
    "AzureMfaServerAuthentication",
    "SilverfortAdfs",
    "azuremfaauthentication",
  ]
) {
  Deno.test(`classifyMfaPage() finds a push page by AuthMethod ${authMethod}`, async () => {
    const page = await parseHtml(mfaPage(authMethod, ""));
    const step = classifyMfaPage(page);
    assert.equal(step.kind, "push");
    assert.equal(step.kind === "push" && step.authMethod, authMethod);
  });
}

Deno.test("classifyMfaPage() without a push marker is unknown (markers are needed)", async () => {
  for (const authMethod of ["CustomPushAdapter", "AzureMfaAuthenticationX"]) {
    const page = await parseHtml(mfaPage(authMethod, "<p id='other'>x</p>"));
    assert.deepEqual(classifyMfaPage(page), { kind: "unknown", authMethod });
  }
});

/** A choice page as ADFS 2016 renders it. */
function choicePage(
  items: { id: string; label: string }[],
  error = "",
): string {
  const divs = items.map(({ id, label }) =>
    `<div id="${id}" class="idp" tabIndex="0" role="button" aria-label="${label}" onKeyPress="if (event &amp;&amp; (event.keyCode == 32 || event.keyCode == 13)) SelectOption('${id}'); return false;" onclick="SelectOption('${id}'); return false;">
<img class="largeIcon float" src="/adfs/portal/images/idp/otp.png" alt="${label}" />
<div class="idpDescription float"><span class="largeTextNoWrap indentNonCollapsible">${label}</span></div>
</div>`
  ).join("\n");
  return `<html><head><title>Select an authentication method</title></head><body>
<div id="authArea"><div id="loginMessage">Select an authentication method</div>
<div id="authOptions"><form id="options" method="post" action="https://adfs.example.com/adfs/ls/">
<input id="optionSelection" type="hidden" name="AuthMethod" />
<input id="context" type="hidden" name="Context" value="ctx"/>
<div id="error" class="fieldMargin error smallText"><label id="errorText" for="">${error}</label></div>
<div class="groupMargin">${divs}</div>
</form></div></div></body></html>`;
}

Deno.test("classifyMfaPage() reads a choice page's div.idp ids and labels in page order", async () => {
  const page = await parseHtml(choicePage([
    { id: "AzureMfaAuthentication", label: "Use Azure Multi-Factor Auth" },
    { id: "SymantecVipAdapter", label: "Symantec VIP" },
    { id: "CertificateAuthentication", label: "Certificate" },
  ]));
  const step = classifyMfaPage(page);
  assert.equal(step.kind, "choice");
  if (step.kind !== "choice") return;
  assert.equal(step.form.id, "options");
  assert.deepEqual(step.methods, [
    { id: "AzureMfaAuthentication", label: "Use Azure Multi-Factor Auth" },
    { id: "SymantecVipAdapter", label: "Symantec VIP" },
    { id: "CertificateAuthentication", label: "Certificate" },
  ]);
});

Deno.test("classifyMfaPage() reads a choice page without ids from onclick=SelectOption('…')", async () => {
  const page = await parseHtml(`<html><body>
<form id="options" method="post"><input id="optionSelection" type="hidden" name="AuthMethod" />
<input id="context" type="hidden" name="Context" value="ctx"/>
<div class="idp" role="button" onclick="SelectOption('SecurIDAuthentication'); return false;"><span class="largeTextNoWrap">RSA SecurID</span></div>
<a href="#" onclick="return SelectOption( &quot;AzureMfaServerAuthentication&quot; );">Call me</a>
<div class="idp" onclick="SelectOption('SecurIDAuthentication')">again</div>
</form></body></html>`);
  const step = classifyMfaPage(page);
  assert.equal(step.kind, "choice");
  if (step.kind !== "choice") return;
  // Each element gives its own label; a repeated method counts once.
  assert.deepEqual(step.methods, [
    { id: "SecurIDAuthentication", label: "RSA SecurID" },
    { id: "AzureMfaServerAuthentication", label: "Call me" },
  ]);
});

Deno.test("choiceMethods() labels: aria-label, then .largeTextNoWrap, then the image's alt, then text, then the id", async () => {
  const page = await parseHtml(`<html><body>
<div id="A" class="idp" aria-label=" Aria A "><span class="largeTextNoWrap">Large A</span></div>
<div id="B" class="idp"><img alt="Alt B"/><span class="largeTextNoWrap">Large B</span></div>
<div id="C" class="idp"><img alt=" Alt C "/>C text</div>
<div id="D" class="idp"> D   text </div>
<div id="E" class="idp"></div>
<div id='F"x' class="idp">quoted</div>
</body></html>`);
  assert.deepEqual(choiceMethods(page), [
    { id: "A", label: "Aria A" },
    { id: "B", label: "Large B" },
    { id: "C", label: "Alt C" },
    { id: "D", label: "D text" },
    { id: "E", label: "E" },
    { id: 'F"x', label: "quoted" },
  ]);
});

Deno.test("choiceMethods() takes SelectOption('…') over the id and ignores other handlers", async () => {
  const page = await parseHtml(`<html><body>
<div id="shown-id" class="idp" onclick="SelectOption('FromOnclick'); return false;">One</div>
<span id="submitButton" class="submit" onclick="return Login.submitLoginRequest();">Sign in</span>
<div id="plain" onclick="doSomething()">not a method</div>
<div class="idp">no id, no handler</div>
</body></html>`);
  assert.deepEqual(choiceMethods(page), [{ id: "FromOnclick", label: "One" }]);
});

Deno.test({
  name:
    "choiceMethods() reads SelectOption('…') from onKeyPress as ADFS spells it",
  fn: async () => {
    const page = await parseHtml(`<html><body>
<div class="idp" onKeyPress="if (event.keyCode == 13) SelectOption('FromKeyPress'); return false;">Two</div>
</body></html>`);
    assert.deepEqual(choiceMethods(page), [{
      id: "FromKeyPress",
      label: "Two",
    }]);
  },
});

Deno.test("classifyMfaPage() with an error on a choice page is failed, not a choice", async () => {
  const page = await parseHtml(choicePage(
    [{ id: "SymantecVipAdapter", label: "Symantec VIP" }],
    "Select an authentication method.",
  ));
  assert.deepEqual(classifyMfaPage(page), {
    kind: "failed",
    authMethod: "",
    text: "Select an authentication method.",
  });
});

Deno.test("classifyMfaPage() reads a failed page's #errorText", async () => {
  const page = await parseHtml(`<html><body><div id="loginArea">
<form method="post" id="loginForm">${hidden("AzureMfaAuthentication")}
<div id="error" class="fieldMargin error smallText"><label id="errorText" for="">We didn't receive a response.
  Please try again.</label></div>
</form></div>${OPTIONS_FORM}</body></html>`);
  assert.deepEqual(classifyMfaPage(page), {
    kind: "failed",
    authMethod: "AzureMfaAuthentication",
    text: "We didn't receive a response. Please try again.",
  });
});

Deno.test("classifyMfaPage() of a page it does not know is unknown", async () => {
  const page = await parseHtml(
    `<html><body><p>Something else entirely</p>${OPTIONS_FORM}</body></html>`,
  );
  assert.deepEqual(classifyMfaPage(page), { kind: "unknown", authMethod: "" });
  const empty = await parseHtml(`<html><body>
<form id="options">${hidden("")}</form></body></html>`);
  assert.deepEqual(classifyMfaPage(empty), { kind: "unknown", authMethod: "" });
});

const LOGIN_2016 = `<html><body><div id="loginArea">
<form method="post" id="loginForm" autocomplete="off" novalidate="novalidate" action="?client-request-id=abc">
<div id="error" class="fieldMargin error smallText" style="display: none;"><label id="errorText" for=""></label></div>
<input id="userNameInput" name="UserName" type="email" value="" />
<input id="passwordInput" name="Password" type="password" />
<input type="checkbox" name="Kmsi" id="kmsiInput" value="true" />
<input id="optionForms" type="hidden" name="AuthMethod" value="FormsAuthentication"/>
</form></div>
<div id="authOptions"><form id="options" method="post" action="https://adfs.example.com/adfs/ls/">
<input id="optionSelection" type="hidden" name="AuthMethod" />
<input id="userNameInputOptionsHolder" type="hidden" name="UserName" value="" />
</form></div></body></html>`;

const LOGIN_20 = `<html><body>
<form name="aspnetForm" method="post" action="FormsSignIn.aspx?loginToRp=urn%3aamazon%3awebservices" id="aspnetForm">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="vs" />
<input name="ctl00$ContentPlaceHolder1$UsernameTextBox" type="text" value="" id="ctl00_ContentPlaceHolder1_UsernameTextBox" />
<input name="ctl00$ContentPlaceHolder1$PasswordTextBox" type="password" id="ctl00_ContentPlaceHolder1_PasswordTextBox" />
<input type="submit" name="ctl00$ContentPlaceHolder1$SubmitButton" value="Sign In" />
<span id="ctl00_ContentPlaceHolder1_ErrorTextLabel"></span>
</form></body></html>`;

Deno.test("findLoginForm() finds the 2016 loginForm, not the options form", async () => {
  const login = findLoginForm(await parseHtml(LOGIN_2016));
  assert.equal(login?.form.id, "loginForm");
  assert.equal(login?.userField, "UserName");
  assert.equal(login?.passwordField, "Password");
});

Deno.test("findLoginForm() finds the ADFS 2.0 form", async () => {
  const login = findLoginForm(await parseHtml(LOGIN_20));
  assert.equal(login?.form.id, "aspnetForm");
  assert.equal(login?.userField, "ctl00$ContentPlaceHolder1$UsernameTextBox");
  assert.equal(
    login?.passwordField,
    "ctl00$ContentPlaceHolder1$PasswordTextBox",
  );
});

Deno.test("findLoginForm() finds the ADFS 2.0 fields by name before any look-alike input", async () => {
  // A customised 2.0 page with a domain list before the user name box: the
  // generic rule would take the list for the user field.
  const page = await parseHtml(LOGIN_20.replace(
    '<input name="ctl00$ContentPlaceHolder1$UsernameTextBox"',
    `<select name="ctl00$ContentPlaceHolder1$UserDomainList"><option>EXAMPLE</option></select>
<input name="ctl00$ContentPlaceHolder1$UsernameTextBox"`,
  ));
  const login = findLoginForm(page);
  assert.equal(login?.userField, "ctl00$ContentPlaceHolder1$UsernameTextBox");
});

Deno.test("findLoginForm() falls back to any form with a user and a password input", async () => {
  const login = findLoginForm(
    await parseHtml(`<html><body>
<form id="search"><input name="q" type="text"/></form>
<form id="signin"><input type="hidden" name="username" value="x"/>
<input name="j_email" type="email"/><input name="secret" type="password"/></form>
</body></html>`),
  );
  assert.equal(login?.form.id, "signin");
  assert.equal(login?.userField, "j_email");
  assert.equal(login?.passwordField, "secret");
  // A loginForm missing Password is only a generic form.
  const odd = findLoginForm(
    await parseHtml(`<form id="loginForm"><input name="UserName"/>
<input name="pw" type="password"/></form>`),
  );
  assert.equal(odd?.userField, "UserName");
  assert.equal(odd?.passwordField, "pw");
});

Deno.test("findLoginForm() without a password input or user input finds nothing", async () => {
  assert.equal(
    findLoginForm(
      await parseHtml(`<form><input name="UserName" type="text"/></form>`),
    ),
    undefined,
  );
  assert.equal(
    findLoginForm(
      await parseHtml(
        `<form><input name="q"/><input name="p" type="password"/></form>`,
      ),
    ),
    undefined,
  );
});

Deno.test("adfsErrorText() tries its selectors in order, whatever the page order", async () => {
  assert.deepEqual(ADFS_ERROR_SELECTORS, [
    "#errorText",
    "#ctl00_ContentPlaceHolder1_ErrorTextLabel",
    "#errorDetailsText",
    "#error",
    ".error",
  ]);
  const elements = [
    `<label id="errorText">from errorText</label>`,
    `<span id="ctl00_ContentPlaceHolder1_ErrorTextLabel">from ctl00</span>`,
    `<span id="errorDetailsText">from errorDetailsText</span>`,
    `<div id="error">from error</div>`,
    `<p class="error">from .error</p>`,
  ];
  const texts = [
    "from errorText",
    "from ctl00",
    "from errorDetailsText",
    "from error",
    "from .error",
  ];
  for (let i = 0; i < elements.length; i++) {
    // Element i with every later one before it in the page.
    const later = elements.slice(i + 1).reverse().join("\n");
    const page = await parseHtml(
      `<html><body>${later}\n${elements[i]}</body></html>`,
    );
    assert.equal(adfsErrorText(page), texts[i], `selector ${i}`);
  }
  // An empty element falls through to the next selector.
  const page = await parseHtml(
    `<html><body><label id="errorText">  </label><span id="errorDetailsText">details</span></body></html>`,
  );
  assert.equal(adfsErrorText(page), "details");
  assert.equal(adfsErrorText(await parseHtml("<p>fine</p>")), "");
});

// ---- methods.ts: the --mfa mapping on the choice page ----

const m = (id: string, label = id): AdfsMethod => ({ id, label });

/** Each id and label pattern of the doc comment, by kind. */
const MATCHES: Record<MfaKind, AdfsMethod[]> = {
  push: [
    m("AzureMfaAuthentication", "Azure MFA"),
    m("AzureMfaServerAuthentication", "MFA Server"),
    m("SilverfortAdfs", "Silverfort"),
    m("azuremfaauthentication", "lower case"),
    m("X1", "Send a push to my phone"),
    m("X2", "Receive a notification"),
    m("X3", "Approve a sign-in request"),
    m("PushAdapter", "Phone"),
  ],
  totp: [
    m("TOTPAuthenticationProvider", "Authenticator"),
    m("SymantecVipAdapter", "Symantec"),
    m("VIPAuthenticationProvider", "Symantec"),
    m("VIPAuthenticationProviderUDP", "Symantec"),
    m("SecurIDAuthentication", "RSA"),
    m("SecurIDv2Authentication", "RSA"),
    m("SafeNet-MFA", "SafeNet"),
    m("Defender AD FS Adapter", "Defender"),
    m("X1", "Enter a code"),
    m("X2", "One-time password (OTP)"),
    m("X3", "TOTP"),
    m("X4", "OATH hardware token"),
    m("X5", "Token"),
    m("X6", "RSA SecurID"),
    m("X7", "VIP Access"),
    m("X8", "Enter your passcode"),
    m("OTP", "Hardware"),
  ],
  sms: [
    m("X1", "Send an SMS"),
    m("X2", "Text message to +1 XXX"),
    m("SMS", "Phone"),
  ],
  call: [
    m("X1", "Call my phone"),
    m("X2", "Voice verification"),
    m("X3", "Phone call"),
    m("VoiceAdapter", "Phone"),
  ],
  email: [
    m("X1", "Email me a code"),
    m("X2", "Send an e-mail"),
    m("EmailAdapter", "Other"),
  ],
  yubikey: [
    m("X1", "YubiKey"),
    m("X2", "Use a security key"),
    m("YubikeyOtpAdapter", "Hardware"),
  ],
};

for (const kind of MFA_KINDS) {
  Deno.test(`methodsFor("${kind}") matches each id and label its rules name`, () => {
    for (const method of MATCHES[kind]) {
      assert.deepEqual(
        methodsFor(kind, [m("Unrelated", "Certificate"), method]),
        [method],
        `${kind}: ${method.id} / ${method.label}`,
      );
    }
  });
}

Deno.test("methodsFor() anchors ids and keeps word boundaries", () => {
  const none: [MfaKind, AdfsMethod][] = [
    ["push", m("AzureMfaAuthenticationV2", "Azure")],
    ["push", m("MySilverfortAdfs", "Silverfort")],
    ["totp", m("SymantecVipAdapterX", "Symantec")],
    ["totp", m("MySecurIDAuthentication", "RSA")],
    ["totp", m("X", "Encoded certificate")],
    ["totp", m("X", "Tokens")],
    ["sms", m("SmsAdapter", "Phone")],
    ["call", m("X", "Callback")],
    ["call", m("X", "Recall")],
    ["email", m("X", "Mailbox")],
    ["yubikey", m("X", "Security question")],
  ];
  for (const [kind, method] of none) {
    assert.deepEqual(
      methodsFor(kind, [method]),
      [],
      `${kind}: ${method.label}`,
    );
  }
  assert.deepEqual(methodsFor("push", []), []);
});

Deno.test("methodsFor() push: the AuthMethod ids beat a label naming a push", () => {
  const label = m("CustomPush", "Approve a notification");
  const azure = m("AzureMfaAuthentication", "Azure MFA");
  assert.deepEqual(methodsFor("push", [label, azure]), [azure]);
  assert.deepEqual(methodsFor("push", [label]), [label]);
});

Deno.test("methodsFor() totp prefers Symantec/RSA and a code label over Azure MFA, which it takes only alone", () => {
  const azure = m(
    "AzureMfaAuthentication",
    "Azure Multi-Factor Authentication",
  );
  const vip = m("SymantecVipAdapter", "Symantec");
  const rsa = m("SecurIDAuthentication", "RSA");
  const coded = m("Custom", "Enter a code");
  assert.deepEqual(methodsFor("totp", [azure, vip]), [vip]);
  assert.deepEqual(methodsFor("totp", [azure, rsa]), [rsa]);
  assert.deepEqual(methodsFor("totp", [azure, coded]), [coded]);
  assert.deepEqual(methodsFor("totp", [azure]), [azure]);
  // The id rule beats the label rule.
  assert.deepEqual(methodsFor("totp", [coded, rsa]), [rsa]);
});

Deno.test("methodsFor() call takes AzureMfaServerAuthentication only as its second rule", () => {
  const server = m("AzureMfaServerAuthentication", "MFA Server");
  const phone = m("PhoneFactor", "Call my phone");
  assert.deepEqual(methodsFor("call", [server, phone]), [phone]);
  assert.deepEqual(methodsFor("call", [server]), [server]);
});

Deno.test("methodsFor() returns every match of the winning rule in page order", () => {
  const vip = m("SymantecVipAdapter", "Symantec");
  const rsa = m("SecurIDAuthentication", "RSA");
  const azure = m("AzureMfaAuthentication", "Azure");
  const silverfort = m("SilverfortAdfs", "Silverfort");
  assert.deepEqual(methodsFor("totp", [rsa, azure, vip]), [rsa, vip]);
  assert.deepEqual(methodsFor("totp", [vip, azure, rsa]), [vip, rsa]);
  assert.deepEqual(methodsFor("push", [silverfort, vip, azure]), [
    silverfort,
    azure,
  ]);
});

Deno.test("kindsFor() names every kind that would pick a method, in --mfa order", () => {
  const azure = m("AzureMfaAuthentication", "Azure MFA");
  const server = m("AzureMfaServerAuthentication", "MFA Server");
  const vip = m("SymantecVipAdapter", "Symantec");
  assert.deepEqual(kindsFor(azure, [azure]), ["push", "totp"]);
  assert.deepEqual(kindsFor(azure, [azure, vip]), ["push"]);
  assert.deepEqual(kindsFor(vip, [azure, vip]), ["totp"]);
  assert.deepEqual(kindsFor(server, [server]), ["push", "call"]);
  const textCode = m("SmsOtp", "Text message code");
  assert.deepEqual(kindsFor(textCode, [textCode]), ["totp", "sms"]);
  assert.deepEqual(kindsFor(m("Cert", "Certificate"), [m("Cert")]), []);
});

Deno.test("MFA_METHOD_RULES has a rule list for every --mfa kind", () => {
  assert.deepEqual(Object.keys(MFA_METHOD_RULES).sort(), [...MFA_KINDS].sort());
  assert.equal(MFA_METHOD_RULES.push.length, 2);
  assert.equal(MFA_METHOD_RULES.totp.length, 3);
  assert.equal(MFA_METHOD_RULES.call.length, 2);
});
