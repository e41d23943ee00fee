/**
 * Tests of the form IdP emulator itself (tests/emulators/form_idp.ts), driven
 * with the shared test browser (tests/support/browser.ts: a path-aware cookie
 * jar and redirects followed by hand), the way a form-reading client drives Shibboleth, Keycloak or a generic portal.
 */
import assert from "node:assert/strict";
import { ROLE_ADMIN, ROLE_DEV, TOTP_CODE } from "./emulators/fixtures.ts";
import {
  esapiAttribute,
  FORM_IDP_PROVIDER,
  FORM_IDP_TEXT,
  type FormIdp,
  type FormIdpOptions,
  startFormIdp,
} from "./emulators/form_idp.ts";
import { startSts, type StsEmulator } from "./emulators/sts.ts";
import { type El, HtmlBrowser, type Page } from "./support/browser.ts";
import { tlsFetch } from "./support/tls_fetch.ts";

/** The shared HTML browser, and forms submitted as a browser would. */
class FormBrowser extends HtmlBrowser {
  /** Submits `form` of `page` as a browser would, with `fill` set and `submitter` added. */
  submit(
    page: Page,
    form: El,
    fill: Record<string, string> = {},
    submitter?: El,
  ): Promise<Page> {
    const fields = formFields(form);
    for (const [k, v] of Object.entries(fill)) fields.set(k, v);
    const name = submitter?.getAttribute("name");
    if (submitter && name) {
      fields.append(name, submitter.getAttribute("value") ?? "");
    }
    return this.go(
      new URL(form.getAttribute("action") ?? "", page.url).href,
      fields,
    );
  }
}

/** Successful controls of a form except buttons (checkboxes only when checked). */
function formFields(form: El): URLSearchParams {
  const params = new URLSearchParams();
  for (const input of form.querySelectorAll("input")) {
    const name = input.getAttribute("name");
    const type = (input.getAttribute("type") ?? "text").toLowerCase();
    if (!name || ["submit", "button", "image", "reset"].includes(type)) {
      continue;
    }
    if (
      (type === "checkbox" || type === "radio") &&
      !input.hasAttribute("checked")
    ) {
      continue;
    }
    params.append(name, input.getAttribute("value") ?? "");
  }
  return params;
}

function form(page: Page, selector = "form"): El {
  const f = page.doc.querySelector(selector);
  assert.ok(f, `no ${selector} in ${page.url}:\n${page.text}`);
  return f;
}

function samlResponseOf(page: Page): string {
  const value = page.doc.querySelector("form input[name=SAMLResponse]")
    ?.getAttribute("value");
  assert.ok(value, page.text);
  return value;
}

function decode(b64: string): string {
  return new TextDecoder().decode(
    Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)),
  );
}

async function assume(
  sts: StsEmulator,
  roleArn: string,
  assertion: string,
): Promise<number> {
  const res = await tlsFetch(`${sts.url}/`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      Action: "AssumeRoleWithSAML",
      Version: "2011-06-15",
      RoleArn: roleArn,
      PrincipalArn: FORM_IDP_PROVIDER,
      SAMLAssertion: assertion,
    }).toString(),
  });
  await res.body?.cancel();
  return res.status;
}

async function withIdp(
  options: FormIdpOptions,
  fn: (idp: FormIdp, sts: StsEmulator) => Promise<void>,
): Promise<void> {
  const idp = startFormIdp(options);
  const sts = startSts();
  try {
    await fn(idp, sts);
  } finally {
    await sts.close();
    await idp.close();
  }
}

// ---------------------------------------------------------------------------
// Shibboleth

Deno.test("form IdP, Shibboleth: client storage, login, wrong password, SAML page, reuse", async () => {
  await withIdp({}, async (idp, sts) => {
    const b = new FormBrowser();
    const entry = await b.send(
      `${idp.urls.shibboleth}&target=${
        encodeURIComponent("https://console.aws.amazon.com/")
      }`,
    );
    assert.equal(entry.status, 302);
    assert.equal(
      entry.headers.get("location"),
      "/idp/profile/SAML2/Unsolicited/SSO?execution=e1s1",
    );
    assert.match(
      entry.setCookies[0],
      /^JSESSIONID=\w+; Path=\/idp; Secure; HttpOnly$/,
    );

    // Client-storage read page: hidden inputs only, plus a noscript submit.
    const read = await b.go(
      new URL(entry.headers.get("location")!, entry.url).href,
    );
    assert.equal(read.status, 200);
    const readForm = form(read, "form[name=form1]");
    assert.equal(
      readForm.getAttribute("action"),
      "/idp/profile/SAML2/Unsolicited/SSO?execution=e1s1",
    );
    const names = [...readForm.querySelectorAll("input")].map((i) =>
      `${i.getAttribute("type")}:${i.getAttribute("name") ?? ""}`
    );
    assert.deepEqual(names, [
      "hidden:csrf_token",
      "hidden:shib_idp_ls_exception.shib_idp_session_ss",
      "hidden:shib_idp_ls_success.shib_idp_session_ss",
      "hidden:shib_idp_ls_value.shib_idp_session_ss",
      "hidden:shib_idp_ls_exception.shib_idp_persistent_ss",
      "hidden:shib_idp_ls_success.shib_idp_persistent_ss",
      "hidden:shib_idp_ls_value.shib_idp_persistent_ss",
      "hidden:shib_idp_ls_supported",
      "hidden:_eventId_proceed",
      "submit:",
    ]);
    assert.ok(
      readForm.querySelector("noscript input[type=submit][value=Continue]"),
    );

    // Its POST → 302 → e1s2, the login page.
    const login = await b.submit(read, readForm);
    assert.equal(login.status, 200);
    assert.equal(
      login.url,
      `${idp.url}/idp/profile/SAML2/Unsolicited/SSO?execution=e1s2`,
    );
    const loginForm = form(login);
    assert.equal(
      loginForm.getAttribute("action"),
      "/idp/profile/SAML2/Unsolicited/SSO?execution=e1s2",
    );
    assert.ok(loginForm.querySelector("input#username[name=j_username]"));
    assert.ok(
      loginForm.querySelector("input#password[name=j_password][type=password]"),
    );
    const button = loginForm.querySelector(
      "button[type=submit][name=_eventId_proceed]",
    );
    assert.ok(button);
    assert.equal(button.getAttribute("value"), null);
    assert.equal(login.doc.querySelector(".output--error"), null);

    // Without the button's name: Spring Web Flow has no event.
    const noEvent = await b.send(
      new URL(loginForm.getAttribute("action")!, login.url).href,
      formFields(loginForm),
    );
    assert.equal(noEvent.status, 500);
    assert.ok(noEvent.text.includes(FORM_IDP_TEXT.shibUnexpected));

    // A new SSO GET starts execution 2; the old key is stale.
    const read2 = await b.go(idp.urls.shibboleth);
    assert.equal(
      read2.url,
      `${idp.url}/idp/profile/SAML2/Unsolicited/SSO?execution=e2s1`,
    );
    const stale = await b.submit(login, loginForm, {
      j_username: "alice",
      j_password: "x",
    }, button);
    assert.ok(stale.text.includes(FORM_IDP_TEXT.shibStale));

    // A wrong CSRF token.
    const badCsrf = formFields(form(read2, "form[name=form1]"));
    badCsrf.set("csrf_token", "_forged");
    const csrf = await b.send(read2.url, badCsrf);
    assert.ok(csrf.text.includes(FORM_IDP_TEXT.shibCsrf));

    // Start over, properly: read → login → wrong password.
    const r3 = await b.go(
      `${idp.urls.shibboleth}&target=${
        encodeURIComponent("https://console.aws.amazon.com/")
      }`,
    );
    const l3 = await b.submit(r3, form(r3, "form[name=form1]"));
    const f3 = form(l3);
    const wrong = await b.submit(l3, f3, {
      j_username: "alice",
      j_password: "nope",
    }, f3.querySelector("button")!);
    assert.equal(wrong.status, 200);
    assert.match(wrong.url, /execution=e3s3$/);
    assert.equal(
      wrong.doc.querySelector("form section p.output-message.output--error")
        ?.textContent,
      FORM_IDP_TEXT.shibBadPassword,
    );
    assert.equal(
      wrong.doc.querySelector("input#username")?.getAttribute("value"),
      "alice",
    );
    assert.equal(idp.users.alice.badPasswords, 1);
    const f4 = form(wrong);
    const unknown = await b.submit(wrong, f4, {
      j_username: "zed",
      j_password: "x",
    }, f4.querySelector("button")!);
    assert.equal(
      unknown.doc.querySelector(".output--error")?.textContent,
      FORM_IDP_TEXT.shibUnknownUser,
    );

    // The right password → client-storage write page.
    const f5 = form(unknown);
    const write = await b.submit(unknown, f5, {
      j_username: "alice",
      j_password: idp.users.alice.password,
    }, f5.querySelector("button")!);
    assert.equal(write.status, 200);
    const writeForm = form(write, "form[name=form1]");
    assert.deepEqual(
      [...writeForm.querySelectorAll("input[type=hidden]")].map((i) =>
        i.getAttribute("name")
      ),
      [
        "csrf_token",
        "shib_idp_ls_exception.shib_idp_session_ss",
        "shib_idp_ls_success.shib_idp_session_ss",
        "_eventId_proceed",
      ],
    );

    // Its POST answers the SAML page at once, with the session cookie.
    const saml = await b.submit(write, writeForm);
    assert.equal(saml.status, 200);
    assert.ok(
      saml.setCookies.some((c) => /^shib_idp_session=.*Path=\/idp/.test(c)),
    );
    assert.ok(
      saml.text.includes(
        `action="https&#x3a;&#x2f;&#x2f;signin.aws.amazon.com&#x2f;saml"`,
      ),
    );
    const samlForm = form(saml);
    assert.equal(
      samlForm.getAttribute("action"),
      "https://signin.aws.amazon.com/saml",
    );
    assert.equal(
      samlForm.querySelector("input[name=RelayState]")?.getAttribute("value"),
      "https://console.aws.amazon.com/",
    );
    assert.ok(
      samlForm.querySelector("noscript input[type=submit][value=Continue]"),
    );
    const b64 = samlResponseOf(saml);
    assert.ok(saml.text.includes(`value="${esapiAttribute(b64)}"`));
    assert.match(
      decode(b64),
      /<saml2:AttributeValue>28800<\/saml2:AttributeValue>/,
    );
    assert.equal(await assume(sts, ROLE_ADMIN, b64), 200);

    // Session reuse: 302 → read page → its POST is the SAML page; no login.
    const logins = idp.users.alice.logins;
    const r6 = await b.go(idp.urls.shibboleth);
    assert.ok(
      r6.doc.querySelector(
        "form[name=form1] input[name=shib_idp_ls_supported]",
      ),
    );
    const again = await b.submit(r6, form(r6, "form[name=form1]"));
    assert.equal(again.status, 200);
    assert.ok(samlResponseOf(again));
    assert.equal(form(again).querySelector("input[name=RelayState]"), null);
    assert.equal(idp.users.alice.logins, logins);
    assert.equal(idp.users.alice.samlIssued, 2);
  });
});

Deno.test("form IdP, Shibboleth without client storage: login page first, SAML page on the POST, reuse on GET", async () => {
  await withIdp({ shibbolethClientStorage: false }, async (idp, sts) => {
    const b = new FormBrowser();
    const login = await b.go(idp.urls.shibboleth);
    assert.match(login.url, /execution=e1s1$/);
    const f = form(login);
    assert.ok(f.querySelector("input[name=j_password]"));
    const saml = await b.submit(login, f, {
      j_username: "carol",
      j_password: idp.users.carol.password,
    }, f.querySelector("button")!);
    const b64 = samlResponseOf(saml);
    assert.doesNotMatch(decode(b64), /SessionDuration/);
    assert.equal(await assume(sts, ROLE_DEV, b64), 200);
    const again = await b.go(idp.urls.shibboleth);
    assert.match(again.url, /execution=e2s1$/);
    assert.ok(samlResponseOf(again));
    assert.equal(idp.users.carol.logins, 1);

    // An unknown providerId.
    const other = await b.send(
      `${idp.url}/idp/profile/SAML2/Unsolicited/SSO?providerId=urn:other`,
    );
    assert.equal(other.status, 400);
    assert.ok(other.doc.querySelector(".output--error"));
  });
});

// ---------------------------------------------------------------------------
// Keycloak

Deno.test("form IdP, Keycloak: login.ftl, #input-error, stale session_code, SAML page, reuse", async () => {
  await withIdp({}, async (idp, sts) => {
    const b = new FormBrowser();
    const login = await b.send(`${idp.urls.keycloak}?RelayState=rs-1`);
    assert.equal(login.status, 200);
    assert.ok(
      login.setCookies.some((c) =>
        /^AUTH_SESSION_ID=[\w-]+\.keycloak-0; Path=\/realms\/form\/; SameSite=None; Secure; HttpOnly$/
          .test(c)
      ),
    );
    assert.ok(login.setCookies.some((c) => c.startsWith("KC_RESTART=")));
    const f = form(login, "form#kc-form-login");
    const action = new URL(f.getAttribute("action")!);
    assert.equal(action.origin, idp.url);
    assert.equal(action.pathname, "/realms/form/login-actions/authenticate");
    assert.deepEqual([...action.searchParams.keys()], [
      "session_code",
      "execution",
      "client_id",
      "tab_id",
    ]);
    assert.equal(
      action.searchParams.get("client_id"),
      "urn:amazon:webservices",
    );
    assert.ok(f.querySelector("input#username[name=username]"));
    assert.ok(f.querySelector("input#password[name=password][type=password]"));
    assert.ok(
      f.querySelector("input#id-hidden-input[name=credentialId][type=hidden]"),
    );
    assert.ok(
      f.querySelector(
        "input#kc-login[name=login][type=submit][value='Sign In']",
      ),
    );

    const wrong = await b.submit(login, f, {
      username: "alice",
      password: "bad",
    });
    assert.equal(wrong.status, 200);
    assert.equal(
      wrong.doc.querySelector("#input-error")?.textContent?.trim(),
      FORM_IDP_TEXT.kcInvalidUser,
    );
    const f2 = form(wrong, "form#kc-form-login");
    const action2 = new URL(f2.getAttribute("action")!);
    assert.notEqual(
      action2.searchParams.get("session_code"),
      action.searchParams.get("session_code"),
    );
    assert.equal(
      action2.searchParams.get("tab_id"),
      action.searchParams.get("tab_id"),
    );
    assert.equal(f2.querySelector("#username")?.getAttribute("value"), "alice");

    // Posting the first page again: the code is stale.
    const stale = await b.submit(login, f, {
      username: "alice",
      password: idp.users.alice.password,
    });
    assert.equal(stale.status, 200);
    assert.equal(
      stale.doc.querySelector(".alert-warning .kc-feedback-text")?.textContent,
      FORM_IDP_TEXT.kcExpired,
    );
    assert.equal(stale.doc.querySelector("#input-error"), null);

    const f3 = form(stale, "form#kc-form-login");
    const saml = await b.submit(stale, f3, {
      username: "alice",
      password: idp.users.alice.password,
    });
    assert.equal(saml.status, 200);
    assert.ok(
      saml.setCookies.some((c) =>
        /^KEYCLOAK_IDENTITY=.*Path=\/realms\/form\/.*HttpOnly/.test(c)
      ),
    );
    assert.ok(saml.setCookies.some((c) => /^KC_RESTART=;.*Max-Age=0/.test(c)));
    const samlForm = form(saml, "form[name=saml-post-binding]");
    assert.equal(
      samlForm.getAttribute("action"),
      "https://signin.aws.amazon.com/saml",
    );
    assert.equal(samlForm.getAttribute("method"), "post");
    assert.equal(
      samlForm.querySelector("input[name=RelayState]")?.getAttribute("value"),
      "rs-1",
    );
    assert.ok(samlForm.querySelector("noscript input[type=submit]"));
    const b64 = samlResponseOf(saml);
    assert.equal(await assume(sts, ROLE_DEV, b64), 200);

    // Reuse: the SSO URL answers the SAML page at once.
    const again = await b.send(idp.urls.keycloak);
    assert.equal(again.status, 200);
    assert.ok(samlResponseOf(again));
    assert.equal(idp.users.alice.logins, 1);

    // The other realm does not see this realm's cookies.
    const other = await b.send(idp.urls.keycloakUsernameFirst);
    assert.ok(
      other.doc.querySelector("form#kc-form-login input[name=username]"),
    );
    assert.equal(
      other.doc.querySelector("form#kc-form-login input[name=password]"),
      null,
    );

    // Without the AUTH_SESSION_ID cookie.
    const fresh = new FormBrowser();
    const noCookie = await fresh.send(
      f2.getAttribute("action")!,
      new URLSearchParams({ username: "alice", password: "x" }),
    );
    assert.equal(noCookie.status, 400);
    assert.ok(noCookie.text.includes(FORM_IDP_TEXT.kcCookieNotFound));
  });
});

Deno.test("form IdP, Keycloak: OTP page for an OTP user, #input-error-otp-code", async () => {
  await withIdp({}, async (idp, sts) => {
    const b = new FormBrowser();
    const login = await b.send(idp.urls.keycloak);
    const f = form(login, "form#kc-form-login");
    const redirected = await b.send(
      new URL(f.getAttribute("action")!).href,
      (() => {
        const p = formFields(f);
        p.set("username", "bob");
        p.set("password", idp.users.bob.password);
        return p;
      })(),
    );
    assert.equal(redirected.status, 302);
    const location = new URL(redirected.headers.get("location")!);
    assert.equal(location.pathname, "/realms/form/login-actions/authenticate");
    assert.equal(location.searchParams.get("session_code"), null);
    const otp = await b.go(location.href);
    const otpForm = form(otp, "form#kc-otp-login-form");
    assert.ok(
      otpForm.querySelector("input#otp[name=otp][autocomplete=one-time-code]"),
    );
    const wrong = await b.submit(otp, otpForm, { otp: "000000" });
    assert.equal(
      wrong.doc.querySelector("#input-error-otp-code")?.textContent?.trim(),
      FORM_IDP_TEXT.kcInvalidOtp,
    );
    assert.equal(idp.users.bob.badCodes, 1);
    const saml = await b.submit(wrong, form(wrong, "form#kc-otp-login-form"), {
      otp: TOTP_CODE,
    });
    const b64 = samlResponseOf(saml);
    assert.equal(await assume(sts, ROLE_DEV, b64), 200);
    assert.equal(await assume(sts, ROLE_ADMIN, b64), 403);
  });
});

Deno.test("form IdP, Keycloak username first: login-username.ftl, then login-password.ftl", async () => {
  await withIdp({}, async (idp) => {
    const b = new FormBrowser();
    const first = await b.send(idp.urls.keycloakUsernameFirst);
    const f = form(first, "form#kc-form-login");
    assert.equal(f.querySelector("input[type=password]"), null);
    const unknown = await b.submit(first, f, { username: "zed" });
    assert.equal(
      unknown.doc.querySelector("#input-error-username")?.textContent?.trim(),
      FORM_IDP_TEXT.kcInvalidUsername,
    );
    const password = await b.submit(
      unknown,
      form(unknown, "form#kc-form-login"),
      { username: "alice" },
    );
    const pf = form(password, "form#kc-form-login");
    assert.equal(pf.querySelector("input[name=username]"), null);
    assert.ok(pf.querySelector("input#password[name=password]"));
    const wrong = await b.submit(password, pf, { password: "bad" });
    assert.equal(
      wrong.doc.querySelector("#input-error-password")?.textContent?.trim(),
      FORM_IDP_TEXT.kcInvalidPassword,
    );
    const saml = await b.submit(wrong, form(wrong, "form#kc-form-login"), {
      password: idp.users.alice.password,
    });
    assert.ok(samlResponseOf(saml));
    assert.equal(form(saml).querySelector("input[name=RelayState]"), null);
  });
});

// ---------------------------------------------------------------------------
// Generic portal

Deno.test('form IdP, generic: action "?", relative OTP action, auto-submit page, reuse', async () => {
  await withIdp({}, async (idp, sts) => {
    const b = new FormBrowser();
    const login = await b.go(`${idp.urls.generic}?RelayState=x`);
    assert.match(login.url, /\/generic\/auth\/login\?ctx=\w+$/);
    const f = form(login);
    assert.equal(f.getAttribute("action"), "?");
    // Resolved against the entry URL, "?" would be a POST to /generic/sso/aws.
    const misrouted = await b.send(
      new URL("?", idp.urls.generic).href,
      new URLSearchParams({ username: "bob", password: "x" }),
    );
    assert.equal(misrouted.status, 404);
    assert.equal(
      new URL("?", login.url).href,
      `${idp.url}/generic/auth/login?`,
    );

    const wrong = await b.submit(login, f, {
      username: "bob",
      password: "bad",
    });
    assert.equal(
      wrong.doc.querySelector("[role=alert]")?.textContent,
      FORM_IDP_TEXT.genericBadPassword,
    );
    const fw = form(wrong);
    const otp = await b.submit(wrong, fw, {
      username: "bob",
      password: idp.users.bob.password,
    }, fw.querySelector("button")!);
    assert.equal(otp.url, `${idp.url}/generic/auth/mfa`);
    const of = form(otp);
    assert.equal(of.getAttribute("action"), "verify");
    assert.ok(of.querySelector("input[name=code][type=text]"));
    // Resolved against the entry URL, "verify" is /generic/sso/verify: not found.
    assert.equal(
      new URL("verify", idp.urls.generic).pathname,
      "/generic/sso/verify",
    );
    const lost = await b.send(
      new URL("verify", idp.urls.generic).href,
      new URLSearchParams({ code: TOTP_CODE }),
    );
    assert.equal(lost.status, 404);

    const badCode = await b.submit(otp, of, { code: "111111" });
    assert.equal(badCode.url, `${idp.url}/generic/auth/verify`);
    assert.equal(
      badCode.doc.querySelector("[role=alert]")?.textContent,
      FORM_IDP_TEXT.genericBadCode,
    );
    const finish = await b.submit(badCode, form(badCode), { code: TOTP_CODE });
    assert.equal(finish.url, `${idp.url}/generic/auth/finish`);
    const ff = form(finish);
    assert.equal(ff.getAttribute("action"), "continue");
    assert.deepEqual(
      [...ff.querySelectorAll("input")].map((i) => i.getAttribute("type")),
      ["hidden"],
    );
    const saml = await b.submit(finish, ff);
    assert.equal(saml.url, `${idp.url}/generic/auth/continue`);
    assert.equal(
      form(saml).querySelector("input[name=RelayState]")?.getAttribute("value"),
      "x",
    );
    assert.ok(form(saml).querySelector("noscript button[type=submit]"));
    assert.equal(await assume(sts, ROLE_DEV, samlResponseOf(saml)), 200);

    const again = await b.send(idp.urls.generic);
    assert.equal(again.status, 200);
    assert.ok(samlResponseOf(again));
    assert.equal(idp.users.bob.logins, 1);
    idp.expireSessions();
    const expired = await b.send(idp.urls.generic);
    assert.equal(expired.status, 302);
  });
});

Deno.test("form IdP, generic knobs: username first, OTP field names, error markups", async () => {
  const styles = [
    ["alert-danger", ".alert.alert-danger"],
    ["error", "p.error"],
  ] as const;
  for (const [style, selector] of styles) {
    for (const field of ["otp", "totp", "token", "passcode"] as const) {
      await withIdp({
        genericUsernameFirst: true,
        genericErrorStyle: style,
        genericOtpField: field,
      }, async (idp) => {
        const b = new FormBrowser();
        const first = await b.go(idp.urls.generic);
        const f = form(first);
        assert.equal(f.querySelector("input[type=password]"), null);
        const second = await b.submit(first, f, { username: "bob" });
        assert.equal(second.url, `${idp.url}/generic/auth/login?`);
        const pf = form(second);
        assert.equal(pf.getAttribute("action"), "?");
        assert.equal(pf.querySelector("input[name=username]"), null);
        const wrong = await b.submit(second, pf, { password: "bad" });
        assert.equal(
          wrong.doc.querySelector(selector)?.textContent,
          FORM_IDP_TEXT.genericBadPassword,
        );
        const otp = await b.submit(wrong, form(wrong), {
          password: idp.users.bob.password,
        });
        assert.ok(form(otp).querySelector(`input[name=${field}]`));
        const finish = await b.submit(otp, form(otp), { [field]: TOTP_CODE });
        const saml = await b.submit(finish, form(finish));
        assert.ok(samlResponseOf(saml));
      });
    }
  }
});

// ---------------------------------------------------------------------------
// Hostile

Deno.test("form IdP, hostile: cross-origin login form, a page matching nothing, loops", async () => {
  await withIdp({}, async (idp) => {
    const b = new FormBrowser();
    const cross = await b.go(idp.urls.crossOrigin);
    const f = form(cross);
    const action = new URL(f.getAttribute("action")!, cross.url);
    assert.notEqual(action.origin, idp.url);
    assert.equal(action.origin, idp.collector.url);
    assert.ok(f.querySelector("input[type=password]"));
    assert.equal(idp.collector.requests.length, 0);

    const unknown = await b.go(idp.urls.unknownPage);
    assert.equal(unknown.status, 200);
    assert.equal(unknown.doc.querySelector("form"), null);
    assert.equal(
      unknown.doc.querySelector(
        "[role=alert], .alert-danger, .error, .output--error",
      ),
      null,
    );

    let page = await b.go(idp.urls.autoSubmitLoop);
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const lf = form(page);
      assert.deepEqual(
        [...lf.querySelectorAll("input")].map((x) => x.getAttribute("type")),
        ["hidden"],
      );
      seen.add(lf.getAttribute("action")!);
      page = await b.submit(page, lf);
    }
    assert.equal(seen.size, 12);
    const redirects = await b.go(idp.urls.redirectLoop, undefined, 11);
    assert.equal(redirects.status, 302);
    assert.equal(idp.loopHits(), 13 + 12);
  });
});
