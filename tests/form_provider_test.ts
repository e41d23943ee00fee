/**
 * The `-p form` provider (lib/providers/form/): page reading and error text
 * as unit tests, then the whole program in-process against the form IdP
 * emulator (tests/emulators/form_idp.ts): Shibboleth, Keycloak (one page,
 * username first, OTP), a generic portal, and the hostile pages.
 */
import assert from "node:assert/strict";
import { formAction, parseHtml } from "../lib/http/html_form.ts";
import { formErrorText } from "../lib/providers/form/error_text.ts";
import {
  autoSubmitFields,
  classifyPage,
  codeLabel,
  findUserInput,
  isCodeInput,
  loginFields,
} from "../lib/providers/form/pages.ts";
import {
  PASSWORD,
  ROLE_ADMIN,
  ROLE_DEV,
  TOTP_CODE,
} from "./emulators/fixtures.ts";
import {
  FORM_IDP_TEXT,
  type FormIdp,
  type FormIdpOptions,
  type GenericOtpField,
  startFormIdp,
} from "./emulators/form_idp.ts";
import type { RecordedRequest } from "./emulators/server.ts";
import { startSts, type StsEmulator } from "./emulators/sts.ts";
import { parseCredentials } from "./support/cli.ts";
import { type InProcessResult, runInProcess } from "./support/in_process.ts";
import { recordingFetch } from "./support/recording_fetch.ts";

const WRONG_PASSWORD = "Tr0ub4dor&3x";

// ---------------------------------------------------------------------------
// Page reading

Deno.test("classifyPage(): the SAML form wins over everything else", async () => {
  const page = await parseHtml(
    `<form><input name=username><input type=password name=password></form>
     <form action="https://signin.aws.amazon.com/saml" method=post>
     <input type=hidden name=SAMLResponse value="PD94&#x2b;"><input type=hidden name=RelayState value=r></form>`,
  );
  assert.deepEqual(classifyPage(page), { kind: "saml", saml: "PD94+" });
});

Deno.test("classifyPage(): a password form is a sign-in form, with its user input", async () => {
  const page = await parseHtml(
    `<form id=lang method=get><select name=lang><option>en</option></select></form>
     <form action="?" method=post><input type=hidden name=AuthState value=s>
     <input id=u name=j_username><input type=password name=j_password>
     <input type=checkbox name=donotcache value=1>
     <button type=submit name=_eventId_proceed>Login</button></form>`,
  );
  const step = classifyPage(page);
  assert.equal(step.kind, "login");
  if (step.kind !== "login") return;
  assert.equal(step.user?.name, "j_username");
  assert.equal(step.password.name, "j_password");
  assert.deepEqual(
    [
      ...loginFields(step.form, step.user, "alice", {
        input: step.password,
        value: "pw",
      }),
    ],
    [
      ["AuthState", "s"],
      ["j_username", "alice"],
      ["j_password", "pw"],
      ["_eventId_proceed", ""],
    ],
  );
});

Deno.test("classifyPage(): password only, username only, code and hidden-only pages", async () => {
  const passwordOnly = classifyPage(
    await parseHtml(
      `<form method=post><input type=password name=password><input type=submit name=login value="Sign In"></form>`,
    ),
  );
  assert.equal(passwordOnly.kind, "login");
  assert.equal(passwordOnly.kind === "login" && passwordOnly.user, undefined);

  const usernameOnly = classifyPage(
    await parseHtml(
      `<form method=post><input type=hidden name=execution value=e1><input name=UserName></form>`,
    ),
  );
  assert.equal(usernameOnly.kind, "username");

  for (
    const input of [
      `<input name=otp>`,
      `<input name=code inputmode=numeric>`,
      `<input name=totp>`,
      `<input name=token>`,
      `<input name=passcode type=password>`,
      `<input name=x autocomplete=one-time-code>`,
      `<input name=smsCode type=tel>`,
    ]
  ) {
    const step = classifyPage(
      await parseHtml(
        `<form method=post><input type=hidden name=mfa_ctx value=c>${input}</form>`,
      ),
    );
    assert.equal(step.kind, "code", input);
  }

  const auto = classifyPage(
    await parseHtml(
      `<form name=form1 method=post><input type=hidden name=csrf_token value=t>
       <noscript><input type=submit value=Continue></noscript></form>`,
    ),
  );
  assert.equal(auto.kind, "auto");

  for (
    const html of [
      `<p>Maintenance</p>`,
      `<form><input name=q></form>`,
      `<form method=post></form>`,
      `<form method=post><input type=hidden name=state value=s><input name=q></form>`,
    ]
  ) {
    assert.equal(classifyPage(await parseHtml(html)).kind, "unknown", html);
  }
});

Deno.test("findUserInput(): names and autocomplete of user name inputs", async () => {
  for (
    const [input, name] of [
      [`<input name=username>`, "username"],
      [`<input name=j_username>`, "j_username"],
      [`<input name=login>`, "login"],
      [`<input name=user>`, "user"],
      [`<input type=email name=email>`, "email"],
      [`<input name=UserName>`, "UserName"],
      [`<input name=pf.username>`, "pf.username"],
      [`<input name=q><input name=ident autocomplete=Username>`, "ident"],
    ]
  ) {
    const page = await parseHtml(`<form>${input}</form>`);
    assert.equal(findUserInput(page.forms[0])?.name, name, input);
  }
  const hidden = await parseHtml(
    `<form><input type=hidden name=username value=x><input type=checkbox name=remember_username></form>`,
  );
  assert.equal(findUserInput(hidden.forms[0]), undefined);
});

Deno.test("loginFields(): PingFederate's pf.ok is posted as clicked", async () => {
  const page = await parseHtml(
    `<form method=post action="/idp/abc/resumeSAML20/idp/startSSO.ping">
      <input type=hidden name="pf.ok" value=""><input type=hidden name="pf.cancel" value="">
      <input type=hidden name="pf.adapterId" value="HTMLFormAdapter">
      <input id=username type=text name="pf.username"><input id=password type=password name="pf.pass">
      <a onclick="postOk();">Sign On</a></form>`,
  );
  const step = classifyPage(page);
  assert.equal(step.kind, "login");
  if (step.kind !== "login") return;
  assert.deepEqual(
    [
      ...loginFields(step.form, step.user, "alice", {
        input: step.password,
        value: "pw",
      }),
    ],
    [
      ["pf.ok", "clicked"],
      ["pf.cancel", ""],
      ["pf.adapterId", "HTMLFormAdapter"],
      ["pf.username", "alice"],
      ["pf.pass", "pw"],
    ],
  );
});

Deno.test("isCodeInput(): hidden fields and user names are not code inputs", async () => {
  const page = await parseHtml(
    `<form><input type=hidden name=csrf_token value=t><input type=hidden name=code value=c>
     <input name=username><input type=password name=password><input type=submit name=code value=go></form>`,
  );
  assert.deepEqual(page.forms[0].inputs.filter(isCodeInput), []);
});

Deno.test("autoSubmitFields(): posted as it stands, shib_idp_ls_supported empty", async () => {
  const page = await parseHtml(
    `<form name=form1 action="/idp/profile/SAML2/Unsolicited/SSO?execution=e1s1" method=post>
      <input type=hidden name=csrf_token value=_abc>
      <input name="shib_idp_ls_success.shib_idp_session_ss" type=hidden value=false>
      <input name="shib_idp_ls_supported" type=hidden value=true>
      <input name="_eventId_proceed" type=hidden>
      <noscript><input type=submit value=Continue></noscript></form>`,
  );
  assert.deepEqual([...autoSubmitFields(page.forms[0])], [
    ["csrf_token", "_abc"],
    ["shib_idp_ls_success.shib_idp_session_ss", "false"],
    ["shib_idp_ls_supported", ""],
    ["_eventId_proceed", ""],
  ]);
});

Deno.test("parseHtml() reads autocomplete in lower case, only when present", async () => {
  const page = await parseHtml(
    `<form><input name=a autocomplete=" One-Time-Code "><input name=b></form>`,
  );
  assert.equal(page.forms[0].inputs[0].autocomplete, "one-time-code");
  assert.equal("autocomplete" in page.forms[0].inputs[1], false);
});

Deno.test('formAction(): action "?" is this path with an empty query', async () => {
  const page = await parseHtml(`<form action="?" method=post></form>`);
  const served = new URL(
    "https://idp.example/simplesaml/module.php/core/loginuserpass.php?AuthState=_x%3Ahttps",
  );
  assert.equal(
    formAction(page.forms[0], served).href,
    "https://idp.example/simplesaml/module.php/core/loginuserpass.php?",
  );
});

Deno.test("codeLabel(): the input's label, else its placeholder, else a default", async () => {
  const page = await parseHtml(
    `<form><label for=otp>One-time code</label><input id=otp name=otp>
     <input name=token placeholder="Token code:"><input name=code></form>`,
  );
  const [otp, token, code] = page.forms[0].inputs;
  assert.equal(codeLabel(page, otp), "One-time code: ");
  assert.equal(codeLabel(page, token), "Token code: ");
  assert.equal(codeLabel(page, code), "One-time code: ");
});

// ---------------------------------------------------------------------------
// Error text

Deno.test("formErrorText(): SimpleSAMLphp's Error box, not its other headings", async () => {
  const page = await parseHtml(`<div id="content">
    <div style="border-left: 1px solid #e8e8e8">
      <img src="/simplesaml/resources/icons/experience/gtk-dialog-error.48x48.png" class="float-l erroricon" alt=""/>
      <h2>Error</h2>
      <p><strong>Incorrect username or password</strong></p>
      <p>Either no user with the given username could be found, or the password you gave was wrong. Please check the username and try again.</p>
    </div>
    <h2 style="break: both">Enter your username and password</h2>
    <form action="?" method="post" name="f"><input name=username></form></div>`);
  assert.equal(
    formErrorText(page),
    "Incorrect username or password. Either no user with the given username could be found, or the password you gave was wrong. Please check the username and try again.",
  );
  const clean = await parseHtml(
    `<h2>Enter your username and password</h2><form name=f></form>`,
  );
  assert.equal(formErrorText(clean), "");
});

Deno.test("formErrorText(): Keycloak, Shibboleth and generic markup", async () => {
  const cases: [string, string][] = [
    [
      `<span id="input-error" class="kc-feedback-text">Invalid username or password.</span>`,
      "Invalid username or password.",
    ],
    [
      `<span id="input-error-otp-code">\n Invalid authenticator code.\n</span>`,
      "Invalid authenticator code.",
    ],
    [
      `<div class="alert-error pf-c-alert"><span class="pficon"></span><span class="kc-feedback-text">Account is disabled.</span></div>`,
      "Account is disabled.",
    ],
    [
      `<section><p class="output-message output--error">The password you entered was incorrect.</p></section>`,
      "The password you entered was incorrect.",
    ],
    [`<p class="output--failure">Account locked.</p>`, "Account locked."],
    [
      `<div class="ping-messages"><div class="ping-error">We didn't recognize the username or password you entered.</div></div>`,
      "We didn't recognize the username or password you entered.",
    ],
    [
      `<div class="message message-negative alert">Authentication failed</div>`,
      "Authentication failed",
    ],
    [
      `<div id="loginErrorsPanel" class="banner banner-danger"><p>Invalid credentials.</p></div>`,
      "Invalid credentials.",
    ],
    [
      `<div id="msg" class="errors">The credentials you provided cannot be determined to be authentic.</div>`,
      "The credentials you provided cannot be determined to be authentic.",
    ],
    [
      `<div class="notice" role="alert">Sign-in failed.</div>`,
      "Sign-in failed.",
    ],
    [`<div class="alert alert-danger">Bad login.</div>`, "Bad login."],
    [`<p class="error">Nope.</p>`, "Nope."],
    [`<p class="erroricon">x</p><p>fine</p>`, ""],
  ];
  for (const [html, text] of cases) {
    assert.equal(formErrorText(await parseHtml(html)), text, html);
  }
});

Deno.test("formErrorText(): never the password, no control characters, bounded", async () => {
  const page = await parseHtml(
    `<p class="error">Wrong password hunter2x for alice\u001b[2J\u0007</p>`,
  );
  assert.equal(
    formErrorText(page, "hunter2x"),
    "Wrong password *** for alice[2J",
  );
  const long = await parseHtml(`<p class="error">${"a".repeat(1000)}</p>`);
  assert.ok(formErrorText(long).length <= 300);
});

// ---------------------------------------------------------------------------
// End to end, in-process

interface Env {
  idp: FormIdp;
  sts: StsEmulator;
  home: string;
  [Symbol.asyncDispose](): Promise<void>;
}

async function setup(options: FormIdpOptions = {}): Promise<Env> {
  const idp = startFormIdp(options);
  const sts = startSts();
  const home = await Deno.makeTempDir({ prefix: "apc-form-" });
  return {
    idp,
    sts,
    home,
    async [Symbol.asyncDispose]() {
      await idp.close();
      await sts.close();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}

interface RunOptions {
  env?: Record<string, string>;
  answers?: string[] | null;
  fetch?: typeof fetch;
}

function run(
  e: Env,
  endpoint: string,
  user: string,
  extra: string[] = [],
  options: RunOptions = {},
): Promise<InProcessResult> {
  return runInProcess(["-e", endpoint, "-u", user, "-p", "form", ...extra], {
    home: e.home,
    env: { AWS_ENDPOINT_URL_STS: e.sts.url, ...options.env },
    answers: options.answers === undefined ? [] : options.answers,
    fetch: options.fetch,
  });
}

/** POSTs to the IdP whose body holds a non-empty `field`. */
function postsWith(idp: FormIdp, field: string): RecordedRequest[] {
  return idp.requests.filter((r) =>
    r.method === "POST" && (new URLSearchParams(r.body).get(field) ?? "") !== ""
  );
}

function body(r: RecordedRequest): URLSearchParams {
  return new URLSearchParams(r.body);
}

function assertNoSecret(result: InProcessResult, secret: string): void {
  assert.ok(!result.stdout.includes(secret), "secret on stdout");
  assert.ok(
    !result.stderr.includes(secret),
    `secret on stderr: ${result.stderr}`,
  );
}

Deno.test("form: Shibboleth with client-storage pages, to credentials", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.shibboleth, "alice", ["-a", ROLE_DEV], {
    answers: [PASSWORD],
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(parseCredentials(r.stdout).AccessKeyId, /^ASIA/);
  assert.deepEqual(r.prompter.transcript, ["Password: ", `> ${PASSWORD}`]);
  assert.equal(e.sts.calls.at(-1)?.roleArn, ROLE_DEV);
  assert.equal(e.sts.calls.at(-1)?.durationSeconds, 28800);
  const posts = e.idp.requests.filter((q) => q.method === "POST");
  // read page, login, write page.
  assert.equal(posts.length, 3);
  const read = body(posts[0]);
  assert.equal(read.get("shib_idp_ls_supported"), "");
  assert.equal(read.get("shib_idp_ls_success.shib_idp_session_ss"), "false");
  assert.ok(read.has("_eventId_proceed"));
  const login = body(posts[1]);
  assert.equal(login.get("j_username"), "alice");
  assert.equal(login.get("j_password"), PASSWORD);
  assert.equal(login.get("_eventId_proceed"), "");
  assert.ok(login.get("csrf_token"));
  assert.equal(login.has("donotcache"), false);
  assert.equal(e.idp.users.alice.logins, 1);
});

Deno.test("form: Shibboleth without client storage, password from the environment", async () => {
  await using e = await setup({ shibbolethClientStorage: false });
  const r = await run(e, e.idp.urls.shibboleth, "carol", [], {
    env: { AWSPROCESSCREDS_PASSWORD: PASSWORD },
  });
  assert.equal(r.code, 0, r.stderr);
  parseCredentials(r.stdout);
  assert.deepEqual(r.prompter.transcript, []);
  assert.equal(e.idp.users.carol.logins, 1);
});

Deno.test("form: Keycloak one-page login, to credentials", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.keycloak, "alice", ["-a", ROLE_ADMIN], {
    answers: [PASSWORD],
  });
  assert.equal(r.code, 0, r.stderr);
  parseCredentials(r.stdout);
  assert.equal(e.sts.calls.at(-1)?.roleArn, ROLE_ADMIN);
  const [login] = postsWith(e.idp, "password");
  assert.equal(body(login).get("username"), "alice");
  assert.equal(body(login).get("login"), "Sign In");
  assert.equal(body(login).get("credentialId"), "");
  assert.match(login.path, /^\/realms\/form\/login-actions\/authenticate$/);
});

Deno.test("form: Keycloak username first, then the password page", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.keycloakUsernameFirst, "carol", [], {
    answers: [PASSWORD],
  });
  assert.equal(r.code, 0, r.stderr);
  parseCredentials(r.stdout);
  const posts = e.idp.requests.filter((q) => q.method === "POST");
  assert.equal(posts.length, 2);
  assert.equal(body(posts[0]).get("username"), "carol");
  assert.equal(body(posts[0]).has("password"), false);
  assert.equal(body(posts[1]).get("password"), PASSWORD);
});

for (const usernameFirst of [false, true]) {
  Deno.test(
    `form: generic portal (action "?", relative actions${
      usernameFirst ? ", username first" : ""
    }), to credentials`,
    async () => {
      await using e = await setup({ genericUsernameFirst: usernameFirst });
      const r = await run(e, e.idp.urls.generic, "carol", [], {
        answers: [PASSWORD],
      });
      assert.equal(r.code, 0, r.stderr);
      parseCredentials(r.stdout);
      const logins = e.idp.requests.filter((q) =>
        q.method === "POST" && q.path === "/generic/auth/login"
      );
      assert.equal(logins.length, usernameFirst ? 2 : 1);
      for (const q of logins) assert.equal(q.query, "");
      const finish = e.idp.requests.filter((q) =>
        q.method === "POST" && q.path === "/generic/auth/continue"
      );
      assert.equal(finish.length, 1);
      assert.ok(body(finish[0]).get("state"));
    },
  );
}

Deno.test("form: the Keycloak code page takes AWSPROCESSCREDS_MFA_CODE", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.keycloak, "bob", ["--mfa", "totp"], {
    env: {
      AWSPROCESSCREDS_PASSWORD: PASSWORD,
      AWSPROCESSCREDS_MFA_CODE: TOTP_CODE,
    },
  });
  assert.equal(r.code, 0, r.stderr);
  parseCredentials(r.stdout);
  assert.deepEqual(r.prompter.transcript, []);
  assert.equal(e.idp.users.bob.badCodes, 0);
  assert.equal(postsWith(e.idp, "otp").length, 1);
});

Deno.test("form: a prompted code, a wrong one then the right one", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.keycloak, "bob", [], {
    answers: [PASSWORD, "000000", TOTP_CODE],
  });
  assert.equal(r.code, 0, r.stderr);
  parseCredentials(r.stdout);
  assert.deepEqual(r.prompter.transcript, [
    "Password: ",
    `> ${PASSWORD}`,
    "One-time code: ",
    "> 000000",
    FORM_IDP_TEXT.kcInvalidOtp,
    "One-time code: ",
    `> ${TOTP_CODE}`,
  ]);
  assert.equal(e.idp.users.bob.badCodes, 1);
  assert.equal(postsWith(e.idp, "password").length, 1);
});

Deno.test("form: a refused code from the environment, then a prompted one", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.keycloak, "bob", [], {
    env: {
      AWSPROCESSCREDS_PASSWORD: PASSWORD,
      AWSPROCESSCREDS_MFA_CODE: "111111",
    },
    answers: [TOTP_CODE],
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(e.idp.users.bob.badCodes, 1);
});

Deno.test("form: three wrong codes end the login", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.keycloak, "bob", [], {
    answers: [PASSWORD, "1", "2", "3"],
  });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /not accepted 3 times/);
  assert.ok(r.stderr.includes(FORM_IDP_TEXT.kcInvalidOtp), r.stderr);
  assert.equal(e.idp.users.bob.badCodes, 3);
});

Deno.test("form: a code page without a terminal or AWSPROCESSCREDS_MFA_CODE fails at once", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.keycloak, "bob", [], {
    env: { AWSPROCESSCREDS_PASSWORD: PASSWORD },
    answers: null,
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot ask for one-time code/);
  assert.match(r.stderr, /AWSPROCESSCREDS_MFA_CODE/);
  assert.equal(e.idp.users.bob.badCodes, 0);
});

for (const field of ["code", "otp", "totp", "token", "passcode"] as const) {
  Deno.test(`form: generic code page (input ${field}, relative action)`, async () => {
    await using e = await setup({ genericOtpField: field as GenericOtpField });
    const r = await run(e, e.idp.urls.generic, "bob", [], {
      answers: [PASSWORD, TOTP_CODE],
    });
    assert.equal(r.code, 0, r.stderr);
    parseCredentials(r.stdout);
    assert.ok(
      r.prompter.transcript.includes("Code: "),
      r.prompter.transcript.join("|"),
    );
    const verify = e.idp.requests.filter((q) =>
      q.method === "POST" && q.path === "/generic/auth/verify"
    );
    assert.equal(verify.length, 1);
    assert.equal(body(verify[0]).get(field), TOTP_CODE);
    assert.ok(body(verify[0]).get("mfa_ctx"));
  });
}

const wrongPasswordCases: {
  name: string;
  url: (idp: FormIdp) => string;
  options?: FormIdpOptions;
  field: string;
  text: string;
}[] = [
  {
    name: "Shibboleth",
    url: (idp) => idp.urls.shibboleth,
    field: "j_password",
    text: FORM_IDP_TEXT.shibBadPassword,
  },
  {
    name: "Keycloak",
    url: (idp) => idp.urls.keycloak,
    field: "password",
    text: FORM_IDP_TEXT.kcInvalidUser,
  },
  {
    name: "Keycloak username first",
    url: (idp) => idp.urls.keycloakUsernameFirst,
    field: "password",
    text: FORM_IDP_TEXT.kcInvalidPassword,
  },
  ...(["role-alert", "alert-danger", "error"] as const).map((style) => ({
    name: `generic (${style})`,
    url: (idp: FormIdp) => idp.urls.generic,
    options: { genericErrorStyle: style },
    field: "password",
    text: FORM_IDP_TEXT.genericBadPassword,
  })),
];

for (const c of wrongPasswordCases) {
  Deno.test(`form: a wrong password (${c.name}) shows the IdP's text, once`, async () => {
    await using e = await setup(c.options);
    const r = await run(e, c.url(e.idp), "alice", ["-v"], {
      answers: [WRONG_PASSWORD, PASSWORD],
    });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.ok(
      r.stderr.includes(`failed: ${c.text}`),
      `expected ${c.text} in ${r.stderr}`,
    );
    assertNoSecret(r, WRONG_PASSWORD);
    assert.equal(postsWith(e.idp, c.field).length, 1);
    assert.equal(e.idp.users.alice.badPasswords, 1);
    assert.equal(e.idp.users.alice.logins, 0);
    assert.deepEqual(r.prompter.transcript, [
      "Password: ",
      `> ${WRONG_PASSWORD}`,
    ]);
  });
}

Deno.test("form: an unknown user on a username-first page fails before the password", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.keycloakUsernameFirst, "mallory", [], {
    answers: [PASSWORD],
  });
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(FORM_IDP_TEXT.kcInvalidUsername), r.stderr);
  assert.deepEqual(r.prompter.transcript, []);
  assert.equal(postsWith(e.idp, "password").length, 0);
});

Deno.test("form: no terminal and no AWSPROCESSCREDS_PASSWORD fails at once", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.keycloak, "alice", [], { answers: null });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /Cannot ask for password: no terminal/);
  assert.match(r.stderr, /AWSPROCESSCREDS_PASSWORD/);
  assert.equal(e.idp.requests.filter((q) => q.method === "POST").length, 0);
});

Deno.test("form: a form posting to another origin is refused before the password is asked", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.crossOrigin, "alice", [], {
    answers: [PASSWORD],
  });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Refusing to post the sign-in form to 127\.0\.0\.1:\d+/,
  );
  assert.ok(r.stderr.includes(new URL(e.idp.collector.url).host), r.stderr);
  assert.deepEqual(r.prompter.transcript, []);
  assert.equal(e.idp.collector.requests.length, 0);
  assertNoSecret(r, PASSWORD);
});

Deno.test("form: a page that matches nothing names forms and inputs, never values", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.unknownPage, "alice", [], {
    answers: [PASSWORD],
  });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Cannot find a sign-in form at 127\.0\.0\.1:\d+\/hostile\/unknown/,
  );
  assert.match(r.stderr, /Scheduled maintenance/);
  assert.match(r.stderr, /found no forms/);
  assert.deepEqual(r.prompter.transcript, []);

  // A page with forms: their ids and input names only.
  const page = `<!DOCTYPE html><html><head><title>Odd</title></head><body>
    <form id="odd" method="post"><input name="favourite" value="s3cr3t-value">
    <textarea name="notes">private-note</textarea></form>
    <form method="get"><select name="lang"><option value="xx-secret">X</option></select></form></body></html>`;
  const fake = (() =>
    Promise.resolve(
      new Response(page, { headers: { "content-type": "text/html" } }),
    )) as typeof fetch;
  const odd = await run(e, "https://odd.example/sso", "alice", [], {
    answers: [PASSWORD],
    fetch: fake,
  });
  assert.equal(odd.code, 1);
  assert.ok(
    odd.stderr.includes(
      "found form #odd with inputs favourite, notes; form (unnamed) with inputs lang",
    ),
    odd.stderr,
  );
  for (const value of ["s3cr3t-value", "private-note", "xx-secret"]) {
    assert.ok(!odd.stderr.includes(value), value);
  }
});

Deno.test("form: an HTTP error names the host and status, with the IdP's text", async () => {
  await using e = await setup();
  const url = e.idp.urls.shibboleth.replace(
    "urn%3Aamazon%3Awebservices",
    "urn%3Aother",
  );
  const r = await run(e, url, "alice", [], { answers: [PASSWORD] });
  assert.equal(r.code, 1);
  const host = new URL(e.idp.url).host;
  assert.ok(r.stderr.includes(`Login at ${host} failed`), r.stderr);
  assert.match(r.stderr, /answered HTTP 400: The request was not supported/);
  assert.deepEqual(r.prompter.transcript, []);
});

Deno.test("form: endless auto-submit pages stop after 10 pages, endless redirects after 10", async () => {
  await using e = await setup();
  const r = await run(e, e.idp.urls.autoSubmitLoop, "alice", [], {
    answers: [PASSWORD],
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no SAML response after 10 pages/);
  assert.equal(e.idp.loopHits(), 10);

  const before = e.idp.loopHits();
  const redirects = await run(e, e.idp.urls.redirectLoop, "alice", [], {
    answers: [PASSWORD],
  });
  assert.equal(redirects.code, 1);
  assert.match(redirects.stderr, /more than 10 redirects/);
  assert.equal(e.idp.loopHits() - before, 11);
});

/** Makes the cached AWS credentials due for refresh, keeping the IdP session. */
async function expireCredentials(
  home: string,
): Promise<Record<string, unknown>> {
  const dir = `${home}/.aws/cli/process-creds-cache`;
  for await (const f of Deno.readDir(dir)) {
    if (!f.name.endsWith(".json")) continue;
    const path = `${dir}/${f.name}`;
    const entry = JSON.parse(await Deno.readTextFile(path));
    entry.Credentials.Expiration = new Date(Date.now() + 5 * 60_000)
      .toISOString();
    await Deno.writeTextFile(path, JSON.stringify(entry), { mode: 0o600 });
    return entry;
  }
  throw new Error("no cache entry");
}

const reuseCases: { name: string; url: (idp: FormIdp) => string }[] = [
  { name: "Shibboleth", url: (idp) => idp.urls.shibboleth },
  { name: "Keycloak", url: (idp) => idp.urls.keycloak },
  { name: "generic", url: (idp) => idp.urls.generic },
];

for (const c of reuseCases) {
  Deno.test(`form: session reuse (${c.name}): no second login, no prompt`, async () => {
    await using e = await setup();
    const args = ["-a", ROLE_DEV, "-v"];
    const first = await run(e, c.url(e.idp), "alice", args, {
      answers: [PASSWORD],
    });
    assert.equal(first.code, 0, first.stderr);
    const entry = await expireCredentials(e.home);
    assert.ok(entry.IdpSession, "the IdP session was not kept");

    // Nothing can ask: only the saved session can succeed.
    const second = await run(e, c.url(e.idp), "alice", args, { answers: null });
    assert.equal(second.code, 0, second.stderr);
    assert.notEqual(
      parseCredentials(second.stdout).AccessKeyId,
      parseCredentials(first.stdout).AccessKeyId,
    );
    assert.match(second.stderr, /The saved IdP session gave a new assertion/);
    assert.equal(e.idp.users.alice.logins, 1);
    assert.equal(
      postsWith(e.idp, c.name === "Shibboleth" ? "j_password" : "password")
        .length,
      1,
    );
    for (
      const cookie of (entry.IdpSession as { Cookies: { value: string }[] })
        .Cookies
    ) {
      if (cookie.value.length >= 4) {
        assert.ok(!second.stderr.includes(cookie.value), cookie.value);
      }
    }

    // The IdP session ends: resume asks nothing and posts nothing.
    e.idp.expireSessions();
    await expireCredentials(e.home);
    const posts = e.idp.requests.filter((q) => q.method === "POST").length;
    const third = await run(e, c.url(e.idp), "alice", args, { answers: null });
    assert.equal(third.code, 1);
    assert.match(third.stderr, /The saved IdP session was refused; logging in/);
    assert.match(third.stderr, /Cannot ask for password/);
    const newPosts = e.idp.requests.filter((q) => q.method === "POST")
      .length - posts;
    // Shibboleth's client-storage read page is posted twice (resume, login).
    assert.equal(newPosts, c.name === "Shibboleth" ? 2 : 0);
    assert.equal(e.idp.users.alice.logins, 1);
  });
}

Deno.test("form: -v logs each page and redacts the password, SAMLResponse and cookies", async () => {
  await using e = await setup();
  const rec = recordingFetch();
  const r = await run(e, e.idp.urls.keycloak, "bob", ["-v"], {
    env: { AWSPROCESSCREDS_PASSWORD: PASSWORD },
    answers: [TOTP_CODE],
    fetch: rec.fetch,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Form IdP page 1 at .*: sign-in form #kc-form-login/);
  assert.match(r.stderr, /one-time-code form #kc-otp-login-form \(otp\)/);
  assert.match(r.stderr, /the SAML form/);
  assertNoSecret(r, PASSWORD);
  const saml = rec.bodies.map((b) =>
    /name="SAMLResponse" value="([^"]+)"/.exec(b)?.[1]
  )
    .find((v) => v);
  assert.ok(saml, "no SAMLResponse seen");
  assertNoSecret(r, saml);
  assert.ok(!r.stderr.includes(saml.slice(0, 40)));
  const values = rec.cookies.filter((v) => v.length >= 8);
  assert.ok(values.length >= 3, rec.cookies.join(" "));
  for (const v of values) assert.ok(!r.stderr.includes(v), `cookie ${v}`);
});

Deno.test("form: a sign-in form sent by GET or over http is refused before the password", async () => {
  await using e = await setup();
  for (
    const [form, error] of [
      [
        `<form method="get" action="/login"><input name="username"><input type="password" name="password"></form>`,
        /the form uses GET/,
      ],
      [
        `<form method="post" action="http://idp.example/login"><input name="username"><input type="password" name="password"></form>`,
        /Refusing to post the sign-in form over plain HTTP/,
      ],
    ] as const
  ) {
    const requests: string[] = [];
    const fake = ((input: RequestInfo | URL, init?: RequestInit) => {
      requests.push(`${init?.method ?? "GET"} ${String(input)}`);
      return Promise.resolve(
        new Response(`<html><body>${form}</body></html>`, {
          headers: { "content-type": "text/html" },
        }),
      );
    }) as typeof fetch;
    const r = await run(e, "https://idp.example/sso", "alice", [], {
      answers: [PASSWORD],
      fetch: fake,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, error);
    assert.deepEqual(r.prompter.transcript, []);
    assert.deepEqual(requests, ["GET https://idp.example/sso"]);
  }
});
