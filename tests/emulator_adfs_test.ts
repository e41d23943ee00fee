/**
 * Tests of the ADFS emulator itself, driven with the shared test browser
 * (tests/support/browser.ts) the way a forms client would drive a real ADFS.
 */
import assert from "node:assert/strict";
import { ADFS_TEXT, type AdfsEmulator, startAdfs } from "./emulators/adfs.ts";
import {
  ADFS_PROVIDER,
  PASSWORD,
  ROLE_ADMIN,
  ROLE_DENIED,
  ROLE_DEV,
  TOTP_CODE,
} from "./emulators/fixtures.ts";
import { type Doc, HtmlBrowser, type Page } from "./support/browser.ts";
import { tlsFetch } from "./support/tls_fetch.ts";

function attr(doc: Doc, selector: string, name: string): string | null {
  return doc.querySelector(selector)?.getAttribute(name) ?? null;
}

function text(doc: Doc, selector: string): string {
  return doc.querySelector(selector)?.textContent?.trim() ?? "";
}

/** The form's action resolved against the page that was served. */
function action(page: Page, selector: string): string {
  return new URL(attr(page.doc, selector, "action") ?? "", page.url).href;
}

/** Named inputs of a form, in order (checkboxes only when checked). */
function inputs(doc: Doc, selector: string): [string, string][] {
  const out: [string, string][] = [];
  for (const el of doc.querySelectorAll(`${selector} input`)) {
    const name = el.getAttribute("name");
    if (!name) continue;
    if (el.getAttribute("type") === "checkbox" && !el.hasAttribute("checked")) {
      continue;
    }
    out.push([name, el.getAttribute("value") ?? ""]);
  }
  return out;
}

/** The SAML XML of a hiddenform page, or undefined. */
function samlXml(page: Page): string | undefined {
  const value = attr(
    page.doc,
    'form[name="hiddenform"] input[name="SAMLResponse"]',
    "value",
  );
  return value === null ? undefined : atob(value);
}

/** GET entry → login page → post credentials; returns the page after redirects. */
async function signIn(
  adfs: AdfsEmulator,
  browser: HtmlBrowser,
  userName: string,
  password = PASSWORD,
): Promise<Page> {
  const login = await browser.go(adfs.entryUrl);
  assert.equal(login.status, 200);
  const body = new URLSearchParams(inputs(login.doc, "#loginForm"));
  body.set("UserName", userName);
  body.set("Password", password);
  return await browser.go(action(login, "#loginForm"), body);
}

/** Posts a second-factor form's own inputs plus extra fields to the page URL. */
async function submitMfa(
  browser: HtmlBrowser,
  page: Page,
  formSelector: string,
  extra: Record<string, string> = {},
): Promise<Page> {
  const body = new URLSearchParams(inputs(page.doc, formSelector));
  for (const [k, v] of Object.entries(extra)) body.set(k, v);
  const target = attr(page.doc, formSelector, "action") === null
    ? page.url
    : action(page, formSelector);
  return await browser.go(target, body);
}

async function withAdfs(
  options: Parameters<typeof startAdfs>[0],
  fn: (adfs: AdfsEmulator) => Promise<void>,
): Promise<void> {
  const adfs = startAdfs(options);
  try {
    await fn(adfs);
  } finally {
    await adfs.close();
  }
}

Deno.test("adfs 2016: entry redirects with MSISSamlRequest to the login page", async () => {
  await withAdfs({}, async (adfs) => {
    const browser = new HtmlBrowser();
    const first = await browser.send(adfs.entryUrl);
    assert.equal(first.status, 302);
    const cookie = first.headers.getSetCookie().find((c) =>
      c.startsWith("MSISSamlRequest=")
    );
    assert.match(cookie ?? "", /; path=\/adfs; secure; HttpOnly$/);
    const location = first.headers.get("location") ?? "";
    assert.match(
      location,
      /^\/adfs\/ls\/\?SAMLRequest=.+&client-request-id=[0-9a-f-]{36}$/,
    );

    const page = await browser.go(adfs.entryUrl);
    assert.equal(page.status, 200);
    assert.match(page.url, /\/adfs\/ls\/\?SAMLRequest=/);
    assert.match(
      attr(page.doc, "#loginForm", "action")!,
      /^\?client-request-id=[0-9a-f-]{36}$/,
    );
    assert.equal(attr(page.doc, "#userNameInput", "name"), "UserName");
    assert.equal(attr(page.doc, "#passwordInput", "name"), "Password");
    assert.equal(attr(page.doc, "#kmsiInput", "name"), "Kmsi");
    assert.equal(
      attr(page.doc, "#optionForms", "value"),
      "FormsAuthentication",
    );
    assert.equal(text(page.doc, "#errorText"), "");
    assert.ok(page.doc.querySelector("form#options #optionSelection"));
    assert.equal(page.doc.querySelector("#userNameInputOptionsHolder"), null);
    assert.deepEqual(inputs(page.doc, "#loginForm").map(([k]) => k), [
      "UserName",
      "Password",
      "AuthMethod",
    ]);
  });
});

Deno.test("adfs 2016: MSISAuth on the 302 is required for the SAML page", async () => {
  await withAdfs({}, async (adfs) => {
    const browser = new HtmlBrowser();
    const login = await browser.go(adfs.entryUrl);
    const body = new URLSearchParams({
      UserName: "alice@example.com",
      Password: PASSWORD,
      Kmsi: "true",
      AuthMethod: "FormsAuthentication",
    });
    const posted = await browser.send(action(login, "#loginForm"), body);
    assert.equal(posted.status, 302);
    const auth = posted.headers.getSetCookie().find((c) =>
      c.startsWith("MSISAuth=")
    );
    assert.match(
      auth ?? "",
      /^MSISAuth=[A-Za-z0-9+/=]{40,}; path=\/adfs; secure; HttpOnly$/,
    );
    const next = new URL(posted.headers.get("location")!, posted.url).href;
    assert.equal(next, action(login, "#loginForm"));

    // Without MSISAuth (only the context cookie): the login page again.
    const without = new HtmlBrowser();
    without.jar.push({
      name: "MSISSamlRequest",
      value: browser.cookie("MSISSamlRequest")!,
      path: "/adfs",
    });
    const again = await without.send(next);
    assert.equal(again.status, 200);
    assert.equal(samlXml(again), undefined);
    assert.ok(again.doc.querySelector("#loginForm"));

    const saml = await browser.send(next);
    assert.equal(saml.status, 200);
    assert.equal(
      attr(saml.doc, 'form[name="hiddenform"]', "action"),
      "https://signin.aws.amazon.com:443/saml",
    );
    const xml = samlXml(saml)!;
    assert.ok(xml.includes(`${ROLE_DEV},${ADFS_PROVIDER}`));
    assert.ok(xml.includes(`${ROLE_ADMIN},${ADFS_PROVIDER}`));
    assert.ok(xml.includes(">3600<"));
    assert.ok(xml.includes(">alice@example.com<"));
    assert.equal(adfs.loginPosts(), 1);
    assert.equal(adfs.users.alice.samlIssued, 1);
  });
});

Deno.test("adfs 2016: the relative action resolves against the served page, not the entry URL", async () => {
  await withAdfs({}, async (adfs) => {
    const browser = new HtmlBrowser();
    const login = await browser.go(adfs.entryUrl);
    const wrong =
      new URL(attr(login.doc, "#loginForm", "action")!, adfs.entryUrl).href;
    assert.match(wrong, /IdpInitiatedSignOn\.aspx\?client-request-id=/);
    const body = new URLSearchParams({
      UserName: "alice@example.com",
      Password: PASSWORD,
      AuthMethod: "FormsAuthentication",
    });
    const bad = await browser.go(wrong, body);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /MSIS7001/);
    const good = await browser.go(action(login, "#loginForm"), body);
    assert.ok(samlXml(good));
  });
});

Deno.test("adfs 2016: user name forms, bad password, unknown and locked users", async () => {
  await withAdfs({}, async (adfs) => {
    assert.ok(samlXml(await signIn(adfs, new HtmlBrowser(), "EXAMPLE\\alice")));
    assert.ok(
      samlXml(await signIn(adfs, new HtmlBrowser(), "Alice@Example.com")),
    );

    const bare = await signIn(adfs, new HtmlBrowser(), "alice");
    assert.equal(bare.status, 200);
    assert.equal(text(bare.doc, "#loginForm #errorText"), ADFS_TEXT.badFormat);

    const wrong = await signIn(
      adfs,
      new HtmlBrowser(),
      "alice@example.com",
      "nope",
    );
    assert.equal(wrong.status, 200);
    assert.equal(
      text(wrong.doc, "#loginForm #errorText"),
      ADFS_TEXT.badPassword,
    );
    assert.equal(
      attr(wrong.doc, "#userNameInput", "value"),
      "alice@example.com",
    );
    assert.equal(adfs.users.alice.badPasswords, 1);

    const unknown = await signIn(
      adfs,
      new HtmlBrowser(),
      "mallory@example.com",
    );
    assert.equal(text(unknown.doc, "#errorText"), ADFS_TEXT.badPassword);
    const otherDomain = await signIn(
      adfs,
      new HtmlBrowser(),
      "alice@evil.example",
    );
    assert.equal(text(otherDomain.doc, "#errorText"), ADFS_TEXT.badPassword);

    const locked = await signIn(adfs, new HtmlBrowser(), "locked@example.com");
    assert.equal(locked.status, 200);
    assert.equal(text(locked.doc, "#errorText"), ADFS_TEXT.locked);
    assert.equal(samlXml(locked), undefined);
    assert.equal(adfs.loginPosts(), 7);
  });
});

Deno.test("adfs: roles of solo and denied, users merged over the defaults", async () => {
  await withAdfs({
    users: {
      alice: { password: "other", sessionDuration: undefined },
      bob: { roles: [{ role: ROLE_ADMIN, principal: ADFS_PROVIDER }] },
    },
  }, async (adfs) => {
    const solo = samlXml(
      await signIn(adfs, new HtmlBrowser(), "solo@example.com"),
    )!;
    assert.ok(solo.includes(ROLE_DEV));
    assert.ok(!solo.includes(ROLE_ADMIN));
    const denied = samlXml(
      await signIn(adfs, new HtmlBrowser(), "denied@example.com"),
    )!;
    assert.ok(denied.includes(`${ROLE_DENIED},${ADFS_PROVIDER}`));
    assert.ok(!denied.includes(ROLE_DEV));
    const alice = samlXml(
      await signIn(adfs, new HtmlBrowser(), "alice@example.com", "other"),
    )!;
    assert.ok(!alice.includes("SessionDuration"));
    const bob = samlXml(await signIn(adfs, new HtmlBrowser(), "EXAMPLE\\bob"))!;
    assert.ok(bob.includes(ROLE_ADMIN) && !bob.includes(ROLE_DEV));
    assert.ok(adfs.users.push.factors.length === 1);
  });
});

Deno.test("adfs 2019: a duplicate UserName is refused; loginForm inputs alone work", async () => {
  await withAdfs({ variant: "2019" }, async (adfs) => {
    const browser = new HtmlBrowser();
    const login = await browser.go(adfs.entryUrl);
    assert.match(
      attr(login.doc, "#loginForm", "action")!,
      /^\/adfs\/ls\/\?client-request-id=/,
    );
    assert.equal(
      attr(login.doc, "form#options #userNameInputOptionsHolder", "name"),
      "UserName",
    );

    const both = new URLSearchParams([
      ...inputs(login.doc, "#loginForm"),
      ...inputs(login.doc, "#options"),
    ]);
    both.set("Password", PASSWORD);
    const all = [...both].map((
      [k, v],
    ) => [k, k === "UserName" ? "alice@example.com" : v]);
    const dup = await browser.go(
      action(login, "#loginForm"),
      new URLSearchParams(all),
    );
    assert.equal(dup.status, 500);
    assert.match(dup.text, /MSIS7000/);
    assert.match(
      text(dup.doc, "#errorDetailsText"),
      /Duplicate post parameter "UserName"/,
    );
    assert.equal(samlXml(dup), undefined);

    assert.ok(samlXml(await signIn(adfs, browser, "alice@example.com")));
  });
});

Deno.test("adfs 2.0: aspnetForm, posting every input as awsprocesscreds does", async () => {
  await withAdfs({ variant: "2.0" }, async (adfs) => {
    const browser = new HtmlBrowser();
    const login = await browser.go(adfs.entryUrl);
    assert.equal(login.status, 200);
    const form = login.doc.querySelector("form");
    assert.equal(form?.getAttribute("id"), "aspnetForm");
    assert.match(
      form?.getAttribute("action") ?? "",
      /^FormsSignIn\.aspx\?loginToRp=urn%3aamazon%3awebservices/,
    );
    const names = inputs(login.doc, "#aspnetForm").map(([k]) => k);
    assert.deepEqual(names, [
      "__VIEWSTATE",
      "__EVENTVALIDATION",
      "__db",
      "ctl00$ContentPlaceHolder1$UsernameTextBox",
      "ctl00$ContentPlaceHolder1$PasswordTextBox",
      "ctl00$ContentPlaceHolder1$SubmitButton",
    ]);
    const post = (user: string, password: string, drop?: string) => {
      const body = new URLSearchParams(inputs(login.doc, "#aspnetForm"));
      body.set("ctl00$ContentPlaceHolder1$UsernameTextBox", user);
      body.set("ctl00$ContentPlaceHolder1$PasswordTextBox", password);
      if (drop) body.delete(drop);
      // awsprocesscreds resolves against the endpoint: same directory here.
      return browser.go(
        new URL(form!.getAttribute("action")!, adfs.entryUrl).href,
        body,
      );
    };
    const bad = await post("EXAMPLE\\alice", "nope");
    assert.equal(bad.status, 200);
    assert.equal(
      text(bad.doc, "#ctl00_ContentPlaceHolder1_ErrorTextLabel"),
      ADFS_TEXT.badPassword20,
    );
    assert.equal(
      attr(bad.doc, "#ctl00_ContentPlaceHolder1_UsernameTextBox", "value"),
      "EXAMPLE\\alice",
    );

    const noButton = await post(
      "EXAMPLE\\alice",
      PASSWORD,
      "ctl00$ContentPlaceHolder1$SubmitButton",
    );
    assert.equal(noButton.status, 200);
    assert.equal(
      text(noButton.doc, "#ctl00_ContentPlaceHolder1_ErrorTextLabel"),
      "",
    );
    assert.equal(samlXml(noButton), undefined);

    const posted = await browser.send(
      new URL(form!.getAttribute("action")!, login.url).href,
      new URLSearchParams([
        ...inputs(login.doc, "#aspnetForm").filter(([k]) =>
          !k.includes("TextBox")
        ),
        ["ctl00$ContentPlaceHolder1$UsernameTextBox", "alice@example.com"],
        ["ctl00$ContentPlaceHolder1$PasswordTextBox", PASSWORD],
      ]),
    );
    assert.equal(posted.status, 302);
    assert.match(
      posted.headers.get("set-cookie") ?? "",
      /MSISAuth=.+; path=\/adfs; secure; HttpOnly/,
    );
    assert.equal(
      posted.headers.get("location"),
      "/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn%3Aamazon%3Awebservices",
    );
    const saml = await browser.go(
      new URL(posted.headers.get("location")!, posted.url).href,
    );
    assert.ok(samlXml(saml)?.includes(">alice@example.com<"));
  });
});

Deno.test("adfs: posting straight to the entry URL, and an unknown relying party", async () => {
  await withAdfs({}, async (adfs) => {
    const browser = new HtmlBrowser();
    const body = new URLSearchParams({
      UserName: "alice@example.com",
      Password: PASSWORD,
      AuthMethod: "FormsAuthentication",
    });
    const posted = await browser.send(adfs.entryUrl, body);
    assert.equal(posted.status, 302);
    assert.equal(
      new URL(posted.headers.get("location")!, adfs.url).href,
      adfs.entryUrl,
    );
    assert.ok(samlXml(await browser.go(adfs.entryUrl)));

    const mixedCase = await new HtmlBrowser().send(
      `${adfs.url}/ADFS/LS/idpinitiatedsignon.aspx?LoginToRp=urn:amazon:webservices`,
    );
    assert.equal(mixedCase.status, 302);
    const rp = await new HtmlBrowser().send(
      `${adfs.url}/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:nope`,
    );
    assert.equal(rp.status, 400);
    assert.match(rp.text, /MSIS7007/);
    const noContext = await new HtmlBrowser().send(
      `${adfs.url}/adfs/ls/?client-request-id=x`,
    );
    assert.equal(noContext.status, 400);
    const missing = await new HtmlBrowser().send(`${adfs.url}/adfs/nothing`);
    assert.equal(missing.status, 404);
  });
});

Deno.test("adfs: the SSO session is reused until it expires", async () => {
  let clock = Date.parse("2030-01-01T00:00:00Z");
  await withAdfs({ now: () => new Date(clock) }, async (adfs) => {
    const browser = new HtmlBrowser();
    assert.ok(samlXml(await signIn(adfs, browser, "alice@example.com")));
    const reuse = await browser.send(adfs.entryUrl);
    assert.equal(reuse.status, 200);
    assert.ok(
      samlXml(reuse)?.includes('IssueInstant="2030-01-01T00:00:00.000Z"'),
    );
    assert.equal(adfs.loginPosts(), 1);

    clock += 8 * 3600_000;
    const expired = await browser.send(adfs.entryUrl);
    assert.equal(expired.status, 302);

    clock = Date.parse("2030-01-01T00:00:00Z");
    assert.ok(samlXml(await signIn(adfs, browser, "alice@example.com")));
    assert.equal((await browser.send(adfs.entryUrl)).status, 200);
    adfs.expireSessions();
    assert.equal((await browser.send(adfs.entryUrl)).status, 302);
  });
});

Deno.test("adfs: VerificationCode page, wrong code counted, Context must round-trip", async () => {
  await withAdfs({}, async (adfs) => {
    const browser = new HtmlBrowser();
    const page = await signIn(adfs, browser, "code@example.com");
    assert.equal(page.status, 200);
    assert.equal(attr(page.doc, "#loginForm", "action"), null);
    assert.equal(
      attr(page.doc, "#authMethod", "value"),
      "AzureMfaAuthentication",
    );
    assert.equal(
      attr(page.doc, "#verificationCodeInput", "name"),
      "VerificationCode",
    );
    assert.ok(attr(page.doc, "#verificationCodeInput", "placeholder"));
    const context = attr(page.doc, "#context", "value")!;
    assert.match(context, /^<EncryptedData .*\+\/=<\/CipherValue>/);
    assert.equal(action(page, "#options"), page.url);

    const wrong = await submitMfa(browser, page, "#loginForm", {
      VerificationCode: "000000",
    });
    assert.equal(wrong.status, 200);
    assert.equal(text(wrong.doc, "#errorText"), ADFS_TEXT.badCode);
    assert.equal(adfs.users.code.badCodes, 1);

    const tampered = await submitMfa(browser, wrong, "#loginForm", {
      VerificationCode: TOTP_CODE,
      Context: context.replace("+/=", "/+="),
    });
    assert.equal(tampered.status, 400);
    assert.equal(samlXml(tampered), undefined);

    const good = await submitMfa(browser, wrong, "#loginForm", {
      VerificationCode: TOTP_CODE,
    });
    assert.ok(samlXml(good)?.includes(">code@example.com<"));
    // The session is now complete: SSO.
    assert.ok(samlXml(await browser.send(adfs.entryUrl)));
  });
});

Deno.test("adfs: SecurID Passcode page", async () => {
  await withAdfs({ variant: "2019" }, async (adfs) => {
    const browser = new HtmlBrowser();
    const page = await signIn(adfs, browser, "EXAMPLE\\securid");
    assert.equal(
      attr(page.doc, "#passcodeForm #authMethod", "value"),
      "SecurIDAuthentication",
    );
    assert.equal(attr(page.doc, "#passcodeInput", "name"), "Passcode");
    assert.equal(page.doc.querySelector("#loginForm"), null);
    const good = await submitMfa(browser, page, "#passcodeForm", {
      Passcode: TOTP_CODE,
    });
    assert.ok(samlXml(good));
  });
});

Deno.test("adfs: Azure push approved after pushPolls, with number matching", async () => {
  await withAdfs({}, async (adfs) => {
    const browser = new HtmlBrowser();
    let page = await signIn(adfs, browser, "push@example.com");
    assert.equal(
      attr(page.doc, "#authMethod", "value"),
      "AzureMfaAuthentication",
    );
    assert.equal(text(page.doc, "p#instructions"), ADFS_TEXT.pushInstructions);
    assert.equal(page.doc.querySelector("#validEntropyNumber"), null);
    for (let i = 0; i < 2; i++) {
      page = await submitMfa(browser, page, "#loginForm");
      assert.equal(samlXml(page), undefined);
      assert.equal(
        text(page.doc, "p#instructions"),
        ADFS_TEXT.pushInstructions,
      );
    }
    // aws-adfs posts to the options form's action with VerificationCode.
    const body = new URLSearchParams({
      AuthMethod: "AzureMfaAuthentication",
      Context: attr(page.doc, "#context", "value")!,
    });
    assert.ok(samlXml(await browser.go(action(page, "#options"), body)));

    const number = await signIn(
      adfs,
      new HtmlBrowser(),
      "push-number@example.com",
    );
    assert.equal(text(number.doc, "p#validEntropyNumber"), "42");
  });
});

Deno.test("adfs: push denied and push never answered", async () => {
  await withAdfs({ pushPolls: 1 }, async (adfs) => {
    const browser = new HtmlBrowser();
    let page = await signIn(adfs, browser, "push-deny@example.com");
    page = await submitMfa(browser, page, "#loginForm");
    assert.equal(text(page.doc, "#errorText"), "");
    page = await submitMfa(browser, page, "#loginForm");
    assert.equal(page.status, 200);
    assert.equal(text(page.doc, "#errorText"), ADFS_TEXT.pushDenied);
    assert.equal(page.doc.querySelector("p#instructions"), null);
    page = await submitMfa(browser, page, "#loginForm");
    assert.equal(text(page.doc, "#errorText"), ADFS_TEXT.pushDenied);

    const waiting = new HtmlBrowser();
    page = await signIn(adfs, waiting, "push-timeout@example.com");
    for (let i = 0; i < 5; i++) {
      page = await submitMfa(waiting, page, "#loginForm");
      assert.equal(samlXml(page), undefined);
      assert.equal(
        text(page.doc, "p#instructions"),
        ADFS_TEXT.pushInstructions,
      );
    }
  });
});

Deno.test("adfs: method choice page leads to the chosen method", async () => {
  await withAdfs({ pushPolls: 0 }, async (adfs) => {
    const browser = new HtmlBrowser();
    const choice = await signIn(adfs, browser, "choose@example.com");
    assert.equal(text(choice.doc, "#loginMessage"), ADFS_TEXT.chooseMethod);
    assert.equal(choice.doc.querySelector("#loginForm"), null);
    const methods = [...choice.doc.querySelectorAll("form#options div.idp")]
      .map((d) => [
        d.getAttribute("id"),
        /SelectOption\('([^']+)'\)/.exec(d.getAttribute("onclick") ?? "")?.[1],
        d.querySelector("span")?.textContent,
      ]);
    // As real ADFS writes it: no id on the entries (choiceIds adds one).
    assert.deepEqual(methods, [
      [null, "AzureMfaAuthentication", "Azure Multi-Factor Authentication"],
      [null, "SymantecVipAdapter", "Symantec VIP"],
      [null, "SecurIDAuthentication", "RSA SecurID"],
    ]);
    assert.deepEqual(inputs(choice.doc, "#options").map(([k]) => k), [
      "AuthMethod",
      "Context",
    ]);

    const none = await submitMfa(browser, choice, "#options");
    assert.equal(text(none.doc, "#errorText"), ADFS_TEXT.chooseMethod);
    const tampered = await submitMfa(browser, choice, "#options", {
      AuthMethod: "SymantecVipAdapter",
      Context: "x",
    });
    assert.equal(tampered.status, 400);

    const vip = await submitMfa(browser, choice, "#options", {
      AuthMethod: "SymantecVipAdapter",
    });
    assert.equal(
      attr(vip.doc, "#loginForm #authMethod", "value"),
      "SymantecVipAdapter",
    );
    assert.equal(attr(vip.doc, "#securityCodeInput", "name"), "SecurityCode");
    assert.notEqual(
      attr(vip.doc, "#context", "value"),
      attr(choice.doc, "#context", "value"),
    );
    assert.ok(
      samlXml(
        await submitMfa(browser, vip, "#loginForm", {
          SecurityCode: TOTP_CODE,
        }),
      ),
    );

    const other = new HtmlBrowser();
    const choice2 = await signIn(adfs, other, "choose@example.com");
    const push = await submitMfa(other, choice2, "#options", {
      AuthMethod: "AzureMfaAuthentication",
    });
    assert.equal(text(push.doc, "p#instructions"), ADFS_TEXT.pushInstructions);
    assert.ok(samlXml(await submitMfa(other, push, "#loginForm")));
  });
});

Deno.test("adfs: the slow user answers late; close() does not wait for it", async () => {
  await withAdfs({ delayMs: 60 }, async (adfs) => {
    const start = Date.now();
    assert.ok(
      samlXml(await signIn(adfs, new HtmlBrowser(), "slow@example.com")),
    );
    assert.ok(Date.now() - start >= 60);
  });
  const adfs = startAdfs({ delayMs: 60_000 });
  const browser = new HtmlBrowser();
  const login = await browser.go(adfs.entryUrl);
  const body = new URLSearchParams({
    UserName: "slow@example.com",
    Password: PASSWORD,
  });
  const pending = tlsFetch(action(login, "#loginForm"), {
    method: "POST",
    body,
    headers: {
      cookie: `MSISSamlRequest=${browser.cookie("MSISSamlRequest")}`,
    },
    signal: AbortSignal.timeout(100),
  });
  await assert.rejects(pending);
  const start = Date.now();
  await adfs.close();
  assert.ok(Date.now() - start < 5000);
});
