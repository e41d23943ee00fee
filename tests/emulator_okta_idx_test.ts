/**
 * Tests of the Okta emulator's Identity Engine mode (`pipeline: "idx"`),
 * driven with the shared test browser (tests/support/browser.ts: a cookie
 * jar and hand-followed redirects), to
 * show each knob behaves as tests/emulators/README.md §3 (Okta Identity
 * Engine) says.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  OKTA_IDX_AUTHENTICATOR_IDS,
  OKTA_IDX_CORRECT_ANSWER,
  OKTA_IDX_PHONE_ENROLLMENT_ID,
  type OktaEmulator,
  type OktaOptions,
  startOkta,
} from "./emulators/okta.ts";
import {
  OKTA_PROVIDER,
  PASSWORD,
  ROLE_DEV,
  SENT_CODE,
  TOTP_CODE,
} from "./emulators/fixtures.ts";
import { wasIssued } from "./emulators/saml_assertion.ts";
import { Browser } from "./support/browser.ts";
import { tlsFetch } from "./support/tls_fetch.ts";
import { assertionOf } from "./support/okta_saml_page.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

interface Page {
  status: number;
  url: string;
  text: string;
  /** Statuses of every hop, redirects included. */
  chain: number[];
  headers: Headers;
}

interface Ion {
  status: number;
  body: Json;
  /** The emulator's X-Emulator-Error header. */
  error: string | null;
  contentType: string | null;
}

/** The shared test browser, with GETs that follow and Identity Engine POSTs. */
class IdxBrowser extends Browser {
  async get(url: string, follow = true): Promise<Page> {
    const chain: number[] = [];
    const page = await this.follow(url, {}, follow ? 10 : 0, chain);
    return { ...page, chain };
  }

  async post(url: string, body: unknown, cookies = true): Promise<Ion> {
    const res = await this.fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json; okta-version=1.0.0",
      },
      body: JSON.stringify(body),
      cookies,
    });
    return {
      status: res.status,
      body: JSON.parse(res.text),
      error: res.headers.get("x-emulator-error"),
      contentType: res.headers.get("content-type"),
    };
  }
}

async function withIdx(
  fn: (okta: OktaEmulator, b: IdxBrowser) => Promise<void>,
  options: OktaOptions = {},
): Promise<void> {
  const okta = startOkta({ pipeline: "idx", ...options });
  try {
    await fn(okta, new IdxBrowser());
  } finally {
    await okta.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Unescapes a JS string literal body (`\xHH`, `\uHHHH`, `\\`, `\'`, …). */
function unescapeJs(s: string): string {
  return s.replace(
    /\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|(.))/g,
    (_, x, u, c) =>
      x
        ? String.fromCharCode(parseInt(x, 16))
        : u
        ? String.fromCharCode(parseInt(u, 16))
        : c,
  );
}

/** The page's stateToken as written (template A or B), and decoded. */
function scrape(page: string): { raw: string; token: string } {
  const m = /\b(?:var|let|const)\s+stateToken\s*=\s*'([^']*)'/.exec(page) ??
    /"stateToken"\s*:\s*"([^"]*)"/.exec(page);
  assert.ok(m, "a stateToken on the page");
  return { raw: m[1], token: unescapeJs(m[1]) };
}

function rem(doc: Json, name: string): Json {
  const r = doc.remediation?.value.find((x: Json) => x.name === name);
  assert.ok(
    r,
    `${name} offered (got ${
      doc.remediation?.value.map((x: Json) => x.name).join(", ")
    })`,
  );
  return r;
}

function names(doc: Json): string[] {
  return (doc.remediation?.value ?? []).map((x: Json) => x.name);
}

/** The body the SDK would build: immutable fields as given, defaults, then `values`. */
function fill(
  form: Json,
  values: Record<string, unknown> = {},
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of form.value) {
    if (f.mutable === false && f.value !== undefined) body[f.name] = f.value;
    else if (f.name in values) body[f.name] = values[f.name];
    else if (f.value !== undefined) body[f.name] = f.value;
  }
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete body[k];
    else if (!(k in body)) body[k] = v;
  }
  return body;
}

/** The `authenticator` value of a select option: its immutable fields, plus `methodType`. */
function pick(
  form: Json,
  id: string,
  methodType?: string,
): Record<string, unknown> {
  const field = form.value.find((f: Json) => f.name === "authenticator");
  const option = field.options.find((o: Json) =>
    o.value.form.value.some((x: Json) => x.name === "id" && x.value === id)
  );
  assert.ok(option, `option ${id}`);
  const out: Record<string, unknown> = {};
  for (const f of option.value.form.value) {
    if (f.mutable === false) out[f.name] = f.value;
  }
  if (methodType !== undefined) out.methodType = methodType;
  return out;
}

function submit(
  b: IdxBrowser,
  doc: Json,
  name: string,
  values: Record<string, unknown> = {},
): Promise<Ion> {
  const form = rem(doc, name);
  return b.post(form.href, fill(form, values));
}

function hrefs(body: Json): string[] {
  const out: string[] = [];
  const walk = (v: Json) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "href" && typeof x === "string") out.push(x);
        else walk(x);
      }
    }
  };
  walk(body);
  return out;
}

/** Embed link → SSO URL → sign-in page → introspect; the first Ion document. */
async function start(okta: OktaEmulator, b: IdxBrowser): Promise<Json> {
  const page = await b.get(okta.embedUrl);
  assert.deepEqual(page.chain, [302, 200]);
  const intro = await b.post(`${okta.url}/idp/idx/introspect`, {
    stateToken: scrape(page.text).token,
  });
  assert.equal(intro.status, 200, JSON.stringify(intro.body));
  return intro.body;
}

/** One-page identify with the password; the Ion answer. */
async function signIn(
  okta: OktaEmulator,
  b: IdxBrowser,
  username: string,
  password = PASSWORD,
): Promise<Ion> {
  const doc = await start(okta, b);
  return await submit(b, doc, "identify", {
    identifier: username,
    credentials: { passcode: password },
  });
}

/** Opens the success href of a success document; the assertion XML. */
async function finish(b: IdxBrowser, doc: Json): Promise<string> {
  const href = doc.success?.href ?? rem(doc, "success-redirect").href;
  const page = await b.get(href);
  assert.equal(page.status, 200);
  const xml = assertionOf(page.text);
  assert.ok(xml, "SAML page");
  assert.ok(wasIssued(xml), "assertion from buildSamlResponse");
  return xml;
}

Deno.test("okta idx: /.well-known/okta-organization tells the pipeline, or 404", async () => {
  for (const pipeline of ["v1", "idx"] as const) {
    const okta = startOkta({ pipeline });
    try {
      const res = await tlsFetch(`${okta.url}/.well-known/okta-organization`);
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.pipeline, pipeline);
      assert.deepEqual(Object.keys(body), [
        "id",
        "cell",
        "pipeline",
        "settings",
        "alternates",
      ]);
    } finally {
      await okta.close();
    }
  }
  await withIdx(async (okta) => {
    const res = await tlsFetch(`${okta.url}/.well-known/okta-organization`);
    assert.equal(res.status, 404);
    await res.body?.cancel();
  }, { wellKnown: false });
});

Deno.test("okta idx: template A page, cookies, decoys, escaped token refused, introspect", async () => {
  await withIdx(async (okta, b) => {
    const page = await b.get(okta.embedUrl);
    assert.deepEqual(page.chain, [302, 200]);
    assert.equal(page.url, okta.ssoUrl);
    assert.ok(b.cookies.has("JSESSIONID") && b.cookies.has("DT"));
    assert.match(page.text, /var stateTokens = "not-this-one";/);
    assert.match(page.text, /var stateTokenAllFlows;/);
    assert.match(page.text, /var fromUri = '\\x2Fapp\\x2Famazon_aws/);
    const { raw, token } = scrape(page.text);
    assert.match(raw, /\\x2D/);
    assert.doesNotMatch(raw, /-/);
    assert.ok(token.length > 3000, `long token (${token.length})`);
    assert.ok(raw.length > token.length);
    assert.match(token, /^eyJ[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(token, /-emulator_token-/);

    const intro = `${okta.url}/idp/idx/introspect`;
    const escaped = await b.post(intro, { stateToken: raw });
    assert.equal(escaped.status, 401);
    assert.equal(escaped.body.stateHandle, undefined);
    assert.equal(
      escaped.body.messages.value[0].i18n.key,
      "idx.session.expired",
    );
    assert.match(escaped.error ?? "", /escaped/);

    const noCookie = await b.post(intro, { stateToken: token }, false);
    assert.equal(noCookie.status, 401);
    assert.match(noCookie.error ?? "", /JSESSIONID/);

    const ok = await b.post(intro, { stateToken: token });
    assert.equal(ok.status, 200);
    assert.equal(ok.contentType, "application/ion+json; okta-version=1.0.0");
    const doc = ok.body;
    assert.equal(doc.version, "1.0.0");
    assert.equal(doc.intent, "LOGIN");
    assert.match(doc.stateHandle, /^02\.id\.[\w-]{40}~c\.[\w-]+$/);
    assert.deepEqual(names(doc), ["identify", "select-enroll-profile"]);
    const identify = rem(doc, "identify");
    assert.deepEqual(identify.value.map((f: Json) => f.name), [
      "identifier",
      "credentials",
      "rememberMe",
      "stateHandle",
    ]);
    assert.equal(identify.value[3].value, doc.stateHandle);
    assert.equal(identify.value[3].mutable, false);
    assert.equal(doc.currentAuthenticator.value.key, "okta_password");
    assert.equal(doc.app.value.name, "amazon_aws");
    assert.equal(doc.cancel.name, "cancel");
    for (const href of hrefs(doc)) {
      assert.ok(href.startsWith(`${okta.url}/idp/idx/`), href);
    }
    assert.equal(okta.idx.logins().length, 1);
    assert.equal(okta.idx.logins()[0].idxRequests, 3);
    assert.equal(okta.idx.errors().length, 2);
  });
});

Deno.test("okta idx: template B (oktaData, not JSON, \\u escapes) decodes; cookie knob off", async () => {
  await withIdx(async (okta, b) => {
    const page = await b.get(okta.embedUrl);
    assert.match(page.text, /var oktaData = \{/);
    assert.match(page.text, /"cancel":function\(\)\{/);
    assert.match(page.text, /var stateTokenAllFlows;/);
    const literal = /var oktaData = (\{.*\});/.exec(page.text);
    assert.ok(literal);
    assert.throws(() => JSON.parse(literal[1]));
    const { raw, token } = scrape(page.text);
    assert.match(raw, /\\u002D/);
    assert.match(raw, /\\x2D/);
    assert.match(raw, /\\x5F/);
    assert.match(token, /-emulator_token-/);
    // The cookie is not required with requireCookie: false.
    const ok = await b.post(`${okta.url}/idp/idx/introspect`, {
      stateToken: token,
    }, false);
    assert.equal(ok.status, 200);
    assert.ok(rem(ok.body, "identify"));
  }, { idx: { pageTemplate: "custom", requireCookie: false } });

  await withIdx(async (okta, b) => {
    const page = await b.get(okta.embedUrl);
    assert.equal(scrape(page.text).raw, "");
    assert.equal(okta.idx.logins().length, 0);
  }, { idx: { pageTemplate: "empty" } });
});

Deno.test("okta idx: one-page password login, success href, SAML form, session reuse", async () => {
  await withIdx(async (okta, b) => {
    const r = await signIn(okta, b, "Alice@Example.com");
    assert.equal(r.status, 200);
    const doc = r.body;
    assert.equal(doc.remediation, undefined);
    assert.equal(doc.success.name, "success-redirect");
    const prefix = doc.stateHandle.split("~")[0];
    assert.equal(
      doc.success.href,
      `${okta.url}/login/token/redirect?stateToken=${prefix}`,
    );
    assert.equal(doc.user.value.identifier, "alice@example.com");

    // The full stateHandle is not the token.
    const full = await new IdxBrowser().get(
      `${okta.url}/login/token/redirect?stateToken=${
        encodeURIComponent(doc.stateHandle)
      }`,
    );
    assert.equal(full.status, 403);

    const page = await b.get(doc.success.href);
    assert.deepEqual(page.chain, [302, 200]);
    assert.equal(page.url, okta.ssoUrl);
    assert.ok(b.cookies.has("idx"));
    const xml = assertionOf(page.text);
    assert.ok(xml && wasIssued(xml));
    assert.match(xml, /<saml2:NameID [^>]*>alice@example\.com</);
    const login = okta.idx.logins()[0];
    assert.equal(login.succeeded, true);
    assert.equal(login.idxRequests, 2);
    assert.deepEqual(login.remediations, ["introspect", "identify"]);
    assert.equal(okta.idx.sessionCount(), 1);

    // The success href works once.
    assert.equal((await b.get(doc.success.href)).status, 403);

    // Session reuse: the embed link with the idx cookie gives the form.
    const reuse = await b.get(okta.embedUrl);
    assert.deepEqual(reuse.chain, [302, 200]);
    assert.ok(assertionOf(reuse.text));
    assert.equal(okta.idx.logins().length, 1);
    const me = await b.fetch(`${okta.url}/api/v1/sessions/me`);
    assert.equal(JSON.parse(me.text).login, "alice@example.com");

    assert.equal(okta.classicCalls(), 1);
    assert.equal(okta.oauthCalls(), 0);
    assert.equal(okta.sawClientId(), false);

    okta.expireSessions();
    assert.equal(okta.idx.sessionCount(), 0);
    const again = await b.get(okta.embedUrl);
    assert.equal(assertionOf(again.text), undefined);
    assert.ok(scrape(again.text).token.length > 3000);
  });
});

Deno.test("okta idx: roles and session duration come from the OIE user", async () => {
  await withIdx(async (okta, b) => {
    const r = await signIn(okta, b, "solo@example.com");
    const xml = await finish(b, r.body);
    assert.match(xml, new RegExp(`${OKTA_PROVIDER},${ROLE_DEV}`));
    assert.doesNotMatch(xml, /role\/admin/);
    assert.match(xml, /SessionDuration"><saml2:AttributeValue>3600</);
  });
});

Deno.test("okta idx: stale stateHandle, changed immutable fields and unoffered paths are refused", async () => {
  await withIdx(async (okta, b) => {
    const doc1 = await start(okta, b);
    const again = await b.post(`${okta.url}/idp/idx/introspect`, {
      stateHandle: doc1.stateHandle,
    });
    assert.equal(again.status, 200);
    const doc2 = again.body;
    assert.notEqual(doc2.stateHandle, doc1.stateHandle);
    assert.equal(
      doc2.stateHandle.split("~")[0],
      doc1.stateHandle.split("~")[0],
    );
    const values = {
      identifier: "multi@example.com",
      credentials: { passcode: PASSWORD },
    };

    const stale = await submit(b, doc1, "identify", values);
    assert.equal(stale.status, 401);
    assert.match(stale.error ?? "", /stale stateHandle/);
    assert.equal(stale.body.messages.value[0].class, "ERROR");
    assert.equal(
      stale.body.messages.value[0].i18n.key,
      "idx.session.expired",
    );

    const missing = await submit(b, doc2, "identify", {
      ...values,
      stateHandle: undefined,
    });
    assert.equal(missing.status, 400);
    assert.match(missing.error ?? "", /stateHandle missing/);

    const wrongPath = await b.post(`${okta.url}/idp/idx/challenge/answer`, {
      credentials: { passcode: PASSWORD },
      stateHandle: doc2.stateHandle,
    });
    assert.equal(wrongPath.status, 400);
    assert.match(wrongPath.error ?? "", /no form of the latest response/);

    const noId = await submit(b, doc2, "identify", {
      credentials: { passcode: PASSWORD },
    });
    assert.match(noId.error ?? "", /required field identifier is missing/);

    const r = await submit(b, doc2, "identify", values);
    assert.equal(r.status, 200);
    const select = rem(r.body, "select-authenticator-authenticate");
    const phone = pick(select, OKTA_IDX_AUTHENTICATOR_IDS.phone_number, "sms");
    assert.equal(phone.enrollmentId, OKTA_IDX_PHONE_ENROLLMENT_ID);
    const post = (authenticator: unknown) =>
      b.post(select.href, { authenticator, stateHandle: r.body.stateHandle });

    const badId = await post({ ...phone, id: "autSOMETHINGELSE0000" });
    assert.equal(badId.status, 400);
    assert.match(badId.error ?? "", /authenticator\.id matches none/);
    const badEnroll = await post({ ...phone, enrollmentId: "pae0" });
    assert.match(
      badEnroll.error ?? "",
      /immutable field authenticator\.enrollmentId was not sent back/,
    );
    const badMethod = await post({ ...phone, methodType: "pigeon" });
    assert.match(badMethod.error ?? "", /methodType "pigeon" is not one/);
    const ok = await post(phone);
    assert.equal(ok.status, 200);
    assert.ok(rem(ok.body, "challenge-authenticator"));
    assert.equal(okta.idx.errors().length, 7);
  });

  // Rotation off: one stateHandle for the whole transaction.
  await withIdx(async (okta, b) => {
    const doc1 = await start(okta, b);
    const r = await submit(b, doc1, "identify", {
      identifier: "push@example.com",
      credentials: { passcode: PASSWORD },
    });
    assert.equal(r.body.stateHandle, doc1.stateHandle);
    const poll = await submit(
      b,
      r.body,
      "select-authenticator-authenticate",
      {
        authenticator: pick(
          rem(r.body, "select-authenticator-authenticate"),
          OKTA_IDX_AUTHENTICATOR_IDS.okta_verify,
          "push",
        ),
      },
    );
    assert.equal(poll.body.stateHandle, doc1.stateHandle);
    const done = await submit(b, poll.body, "challenge-poll");
    assert.ok(done.body.success);
  }, { idx: { rotateStateHandle: false, pushPolls: 1 } });
});

Deno.test("okta idx: wrong password (E10a) answers the errorStatus knob", async () => {
  for (const status of [401, 400, 403, 200]) {
    await withIdx(async (okta, b) => {
      const r = await signIn(okta, b, "alice@example.com", "wrong");
      assert.equal(r.status, status);
      assert.deepEqual(r.body.messages.value, [{
        message: "Authentication failed",
        i18n: { key: "errors.E0000004" },
        class: "ERROR",
      }]);
      assert.ok(rem(r.body, "identify"));
      assert.equal(typeof r.body.stateHandle, "string");
      assert.equal(r.body.success, undefined);
      // The form is offered again and works.
      const ok = await submit(b, r.body, "identify", {
        identifier: "alice@example.com",
        credentials: { passcode: PASSWORD },
      });
      assert.ok(ok.body.success);
    }, status === 401 ? {} : { idx: { errorStatus: status } });
  }
  await withIdx(async (okta, b) => {
    const unknown = await signIn(okta, b, "nobody@example.com");
    assert.equal(unknown.body.messages.value[0].i18n.key, "errors.E0000004");
    const b2 = new IdxBrowser();
    const locked = await signIn(okta, b2, "locked@example.com");
    assert.equal(locked.status, 401);
    assert.match(locked.body.messages.value[0].message, /locked/);
    assert.deepEqual(names(locked.body), [
      "identify",
      "select-enroll-profile",
      "unlock-account",
    ]);
  });
});

Deno.test("okta idx: identifier-first: password challenge (E5), E10b, phantom user", async () => {
  await withIdx(async (okta, b) => {
    const doc = await start(okta, b);
    assert.deepEqual(rem(doc, "identify").value.map((f: Json) => f.name), [
      "identifier",
      "rememberMe",
      "stateHandle",
    ]);
    const r = await submit(b, doc, "identify", {
      identifier: "alice@example.com",
    });
    assert.equal(r.status, 200);
    const challenge = rem(r.body, "challenge-authenticator");
    assert.deepEqual(challenge.relatesTo, ["$.currentAuthenticatorEnrollment"]);
    assert.equal(challenge.href, `${okta.url}/idp/idx/challenge/answer`);
    assert.equal(
      r.body.currentAuthenticatorEnrollment.value.key,
      "okta_password",
    );
    const wrong = await submit(b, r.body, "challenge-authenticator", {
      credentials: { passcode: "nope" },
    });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body.messages.value[0].i18n, {
      key: "incorrectPassword",
    });
    const ok = await submit(b, wrong.body, "challenge-authenticator", {
      credentials: { passcode: PASSWORD },
    });
    assert.ok((await finish(b, ok.body)).includes("alice@example.com"));

    // An unknown identifier still gets a password step, which always fails.
    const b2 = new IdxBrowser();
    const ghost = await submit(b2, await start(okta, b2), "identify", {
      identifier: "ghost@example.com",
    });
    assert.ok(rem(ghost.body, "challenge-authenticator"));
    const no = await submit(b2, ghost.body, "challenge-authenticator", {
      credentials: { passcode: PASSWORD },
    });
    assert.equal(no.body.messages.value[0].i18n.key, "incorrectPassword");
  }, { idx: { identify: "identifier-first", errorStatus: 401 } });
});

Deno.test("okta idx: identifier-first variants: password as a select option, passwordless", async () => {
  await withIdx(async (okta, b) => {
    const r = await submit(b, await start(okta, b), "identify", {
      identifier: "select-password@example.com",
    });
    const select = rem(r.body, "select-authenticator-authenticate");
    const option = pick(select, OKTA_IDX_AUTHENTICATOR_IDS.okta_password);
    assert.deepEqual(option, {
      id: OKTA_IDX_AUTHENTICATOR_IDS.okta_password,
      methodType: "password",
    });
    assert.equal(r.body.authenticators.value[0].key, "okta_password");
    const pw = await submit(b, r.body, "select-authenticator-authenticate", {
      authenticator: option,
    });
    const mfa = await submit(b, pw.body, "challenge-authenticator", {
      credentials: { passcode: PASSWORD },
    });
    const email = await submit(
      b,
      mfa.body,
      "select-authenticator-authenticate",
      {
        authenticator: pick(
          rem(mfa.body, "select-authenticator-authenticate"),
          OKTA_IDX_AUTHENTICATOR_IDS.okta_email,
        ),
      },
    );
    const done = await submit(b, email.body, "challenge-authenticator", {
      credentials: { passcode: SENT_CODE },
    });
    assert.ok(done.body.success);

    const b2 = new IdxBrowser();
    const pl = await submit(b2, await start(okta, b2), "identify", {
      identifier: "passwordless@example.com",
    });
    assert.deepEqual(names(pl.body), ["select-authenticator-authenticate"]);
    assert.equal(pl.body.authenticators.value[0].key, "okta_verify");
  }, { idx: { identify: "identifier-first" } });
});

Deno.test("okta idx: push with number challenge, approved at poll N, poll times recorded", async () => {
  await withIdx(async (okta, b) => {
    const r = await signIn(okta, b, "push-number@example.com");
    const select = rem(r.body, "select-authenticator-authenticate");
    const ov = pick(select, OKTA_IDX_AUTHENTICATOR_IDS.okta_verify, "push");
    const methods = select.value[0].options[0].value.form.value[1].options.map(
      (o: Json) => o.value,
    );
    assert.deepEqual(methods, ["push", "totp"]);
    const challenged = await submit(
      b,
      r.body,
      "select-authenticator-authenticate",
      { authenticator: ov },
    );
    const pollForm = rem(challenged.body, "challenge-poll");
    assert.equal(pollForm.refresh, 30);
    assert.equal(pollForm.href, `${okta.url}/idp/idx/authenticators/poll`);
    const current = challenged.body.currentAuthenticator.value;
    assert.equal(current.key, "okta_verify");
    assert.equal(current.contextualData.correctAnswer, OKTA_IDX_CORRECT_ANSWER);
    assert.equal(current.resend.name, "resend");

    await sleep(35);
    const pending = await submit(b, challenged.body, "challenge-poll");
    assert.equal(pending.status, 200);
    assert.ok(rem(pending.body, "challenge-poll"));
    assert.equal(
      pending.body.currentAuthenticator.value.contextualData.correctAnswer,
      OKTA_IDX_CORRECT_ANSWER,
    );
    await sleep(35);
    const approved = await submit(b, pending.body, "challenge-poll");
    assert.ok(approved.body.success);
    await finish(b, approved.body);

    const polls = okta.idx.polls();
    assert.equal(polls.length, 2);
    for (const p of polls) {
      assert.ok(p.gapMs >= 30, `gap ${p.gapMs}`);
      assert.equal(p.remediation, "challenge-poll");
      assert.equal(p.login, 1);
    }
    assert.equal(okta.idx.pushesSent(), 1);
    assert.equal(okta.idx.logins()[0].pushes, 1);
    assert.deepEqual(okta.idx.logins()[0].remediations, [
      "introspect",
      "identify",
      "select-authenticator-authenticate",
      "challenge-poll",
      "challenge-poll",
    ]);
  }, { idx: { refreshMs: 30, pushPolls: 2 } });
});

Deno.test("okta idx: push rejected (E10e) then resent, push never approved, early polls refused", async () => {
  const choosePush = async (
    okta: OktaEmulator,
    b: IdxBrowser,
    user: string,
  ) => {
    const r = await signIn(okta, b, user);
    return await submit(b, r.body, "select-authenticator-authenticate", {
      authenticator: pick(
        rem(r.body, "select-authenticator-authenticate"),
        OKTA_IDX_AUTHENTICATOR_IDS.okta_verify,
        "push",
      ),
    });
  };
  await withIdx(async (okta, b) => {
    const c = await choosePush(okta, b, "push-reject@example.com");
    const rejected = await submit(b, c.body, "challenge-poll");
    assert.equal(rejected.status, 200);
    assert.deepEqual(names(rejected.body), [
      "resend",
      "select-authenticator-authenticate",
    ]);
    assert.deepEqual(rejected.body.messages.value[0].i18n, {
      key: "api.authn.poll.error.push_rejected",
      params: [],
    });
    const again = await submit(b, rejected.body, "resend");
    assert.ok(rem(again.body, "challenge-poll"));
    assert.equal(okta.idx.pushesSent(), 2);

    const b2 = new IdxBrowser();
    const n = await choosePush(okta, b2, "push-never@example.com");
    let doc = n.body;
    for (let i = 0; i < 4; i++) {
      doc = (await submit(b2, doc, "challenge-poll")).body;
      assert.ok(rem(doc, "challenge-poll"));
      assert.equal(doc.success, undefined);
    }
    assert.equal(okta.idx.logins()[1].polls.length, 4);
  }, { idx: { refreshMs: 1, pushPolls: 1 } });

  await withIdx(async (okta, b) => {
    const c = await choosePush(okta, b, "push@example.com");
    const early = await submit(b, c.body, "challenge-poll");
    assert.equal(early.status, 429);
    assert.equal(early.body.messages.value[0].i18n.key, "tooManyRequests");
    assert.match(okta.idx.errors()[0], /refresh is 1000 ms/);
  }, { idx: { refreshMs: 1000, rejectEarlyPolls: true } });
});

Deno.test("okta idx: Okta Verify code (totp) and Google Authenticator (passcode); wrong code is E10c", async () => {
  await withIdx(async (okta, b) => {
    const r = await signIn(okta, b, "totp@example.com");
    const select = rem(r.body, "select-authenticator-authenticate");
    const ov = pick(select, OKTA_IDX_AUTHENTICATOR_IDS.okta_verify);
    assert.deepEqual(ov, {
      id: OKTA_IDX_AUTHENTICATOR_IDS.okta_verify,
      methodType: "totp",
    });
    const c = await submit(b, r.body, "select-authenticator-authenticate", {
      authenticator: ov,
    });
    const form = rem(c.body, "challenge-authenticator");
    assert.equal(form.value[0].form.value[0].name, "totp");
    const asPasscode = await submit(b, c.body, "challenge-authenticator", {
      credentials: { passcode: TOTP_CODE },
    });
    assert.equal(asPasscode.status, 400);
    assert.match(asPasscode.error ?? "", /credentials\.totp is missing/);
    const wrong = await submit(b, c.body, "challenge-authenticator", {
      credentials: { totp: "000000" },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.messages, undefined);
    const field = rem(wrong.body, "challenge-authenticator").value[0].form
      .value[0];
    assert.deepEqual(field.messages.value[0].i18n, {
      key: "api.authn.error.PASSCODE_INVALID",
      params: [],
    });
    const ok = await submit(b, wrong.body, "challenge-authenticator", {
      credentials: { totp: TOTP_CODE },
    });
    assert.ok(ok.body.success);

    const b2 = new IdxBrowser();
    const g = await signIn(okta, b2, "google@example.com");
    const gs = rem(g.body, "select-authenticator-authenticate");
    assert.deepEqual(pick(gs, OKTA_IDX_AUTHENTICATOR_IDS.google_otp), {
      id: OKTA_IDX_AUTHENTICATOR_IDS.google_otp,
    });
    const gc = await submit(b2, g.body, "select-authenticator-authenticate", {
      authenticator: pick(gs, OKTA_IDX_AUTHENTICATOR_IDS.google_otp),
    });
    assert.equal(
      gc.body.currentAuthenticatorEnrollment.value.key,
      "google_otp",
    );
    const gok = await submit(b2, gc.body, "challenge-authenticator", {
      credentials: { passcode: TOTP_CODE },
    });
    assert.ok(gok.body.success);
  });
});

Deno.test("okta idx: phone SMS and voice (enrollmentId, resend), email, method chosen later", async () => {
  await withIdx(async (okta, b) => {
    for (const [user, method] of [["sms", "sms"], ["voice", "voice"]]) {
      const br = new IdxBrowser();
      const r = await signIn(okta, br, `${user}@example.com`);
      const option = pick(
        rem(r.body, "select-authenticator-authenticate"),
        OKTA_IDX_AUTHENTICATOR_IDS.phone_number,
      );
      assert.deepEqual(option, {
        id: OKTA_IDX_AUTHENTICATOR_IDS.phone_number,
        methodType: method,
        enrollmentId: OKTA_IDX_PHONE_ENROLLMENT_ID,
      });
      const c = await submit(br, r.body, "select-authenticator-authenticate", {
        authenticator: option,
      });
      const enrollment = c.body.currentAuthenticatorEnrollment.value;
      assert.equal(enrollment.key, "phone_number");
      assert.equal(enrollment.profile.phoneNumber, "+1 XXX-XXX-1234");
      assert.equal(
        enrollment.resend.href,
        `${okta.url}/idp/idx/challenge/resend`,
      );
      const resent = await br.post(
        enrollment.resend.href,
        fill(enrollment.resend),
      );
      assert.equal(resent.status, 200);
      const ok = await submit(br, resent.body, "challenge-authenticator", {
        credentials: { passcode: SENT_CODE },
      });
      assert.ok(ok.body.success);
    }
    assert.deepEqual(
      okta.idx.codesSent().map((c) => [c.method, c.code, c.login]),
      [["sms", SENT_CODE, 1], ["sms", SENT_CODE, 1], [
        "voice",
        SENT_CODE,
        2,
      ], ["voice", SENT_CODE, 2]],
    );

    // Both methods, none chosen: authenticator-verification-data asks.
    const r = await signIn(okta, b, "phone@example.com");
    const c = await submit(b, r.body, "select-authenticator-authenticate", {
      authenticator: pick(
        rem(r.body, "select-authenticator-authenticate"),
        OKTA_IDX_AUTHENTICATOR_IDS.phone_number,
      ),
    });
    const data = rem(c.body, "authenticator-verification-data");
    const fields = data.value[0].form.value;
    assert.deepEqual(fields[1].options.map((o: Json) => o.value), [
      "sms",
      "voice",
    ]);
    const v = await b.post(data.href, {
      authenticator: {
        id: fields[0].value,
        methodType: "voice",
        enrollmentId: fields[2].value,
      },
      stateHandle: c.body.stateHandle,
    });
    assert.equal(
      v.body.currentAuthenticatorEnrollment.value.methods[0].type,
      "voice",
    );

    const be = new IdxBrowser();
    const e = await signIn(okta, be, "email@example.com");
    const ec = await submit(be, e.body, "select-authenticator-authenticate", {
      authenticator: pick(
        rem(e.body, "select-authenticator-authenticate"),
        OKTA_IDX_AUTHENTICATOR_IDS.okta_email,
      ),
    });
    const wrong = await submit(be, ec.body, "challenge-authenticator", {
      credentials: { passcode: TOTP_CODE },
    });
    assert.equal(wrong.status, 401);
    const ok = await submit(be, wrong.body, "challenge-authenticator", {
      credentials: { passcode: SENT_CODE },
    });
    assert.ok(ok.body.success);
    assert.equal(okta.idx.logins()[3].codes, 1);
  });
});

Deno.test("okta idx: multi offers every authenticator; verificationData knob for Okta Verify only", async () => {
  await withIdx(async (okta, b) => {
    const r = await signIn(okta, b, "multi@example.com");
    assert.deepEqual(
      r.body.authenticators.value.map((a: Json) => a.key),
      ["okta_verify", "phone_number", "google_otp", "okta_email"],
    );
    const options = rem(r.body, "select-authenticator-authenticate").value[0]
      .options;
    assert.deepEqual(options.map((o: Json) => o.relatesTo), [
      "$.authenticators.value[0]",
      "$.authenticators.value[1]",
      "$.authenticators.value[2]",
      "$.authenticators.value[3]",
    ]);
    // In a code step, the select form is offered again to switch.
    const g = await submit(b, r.body, "select-authenticator-authenticate", {
      authenticator: pick(
        rem(r.body, "select-authenticator-authenticate"),
        OKTA_IDX_AUTHENTICATOR_IDS.google_otp,
      ),
    });
    assert.deepEqual(names(g.body), [
      "challenge-authenticator",
      "select-authenticator-authenticate",
    ]);
  });

  await withIdx(async (okta, b) => {
    const r = await signIn(okta, b, "push@example.com");
    assert.deepEqual(names(r.body), ["authenticator-verification-data"]);
    const data = rem(r.body, "authenticator-verification-data");
    const fields = data.value[0].form.value;
    assert.deepEqual(fields.map((f: Json) => f.name), [
      "id",
      "methodType",
      "autoChallenge",
    ]);
    const c = await b.post(data.href, {
      authenticator: {
        id: fields[0].value,
        methodType: "push",
        autoChallenge: false,
      },
      stateHandle: r.body.stateHandle,
    });
    assert.ok(rem(c.body, "challenge-poll"));
    assert.equal(okta.idx.pushesSent(), 1);
  }, { idx: { verificationData: true } });
});

Deno.test("okta idx: FastPass-only and WebAuthn-only offer nothing a CLI can answer", async () => {
  await withIdx(async (okta, b) => {
    const r = await signIn(okta, b, "fastpass@example.com");
    const select = rem(r.body, "select-authenticator-authenticate");
    assert.equal(select.value[0].options.length, 1);
    const option = pick(select, OKTA_IDX_AUTHENTICATOR_IDS.okta_verify);
    assert.equal(option.methodType, "signed_nonce");
    const c = await submit(b, r.body, "select-authenticator-authenticate", {
      authenticator: option,
    });
    assert.deepEqual(names(c.body), [
      "device-challenge-poll",
      "cancel-polling",
    ]);
    assert.equal(
      c.body.currentAuthenticator.value.contextualData.challenge.value
        .challengeMethod,
      "LOOPBACK",
    );
    const p = await submit(b, c.body, "device-challenge-poll");
    assert.deepEqual(names(p.body), [
      "device-challenge-poll",
      "cancel-polling",
    ]);

    const b2 = new IdxBrowser();
    const w = await signIn(okta, b2, "webauthn@example.com");
    const ws = rem(w.body, "select-authenticator-authenticate");
    const wo = pick(ws, OKTA_IDX_AUTHENTICATOR_IDS.webauthn);
    assert.equal(wo.methodType, "webauthn");
    const wc = await submit(b2, w.body, "select-authenticator-authenticate", {
      authenticator: wo,
    });
    assert.deepEqual(
      rem(wc.body, "challenge-authenticator").value[0].form.value.map((
        f: Json,
      ) => f.name),
      ["clientData", "authenticatorData", "signatureData"],
    );
    assert.ok(
      wc.body.currentAuthenticatorEnrollment.value.contextualData.challengeData
        .challenge,
    );
  }, { idx: { refreshMs: 1 } });
});

Deno.test("okta idx: keep-me-signed-in, success-redirect remediation, token redirect renders the form", async () => {
  await withIdx(async (okta, b) => {
    const r = await signIn(okta, b, "alice@example.com");
    const kmsi = rem(r.body, "keep-me-signed-in");
    assert.deepEqual(kmsi.value[0], {
      name: "keepMeSignedIn",
      type: "boolean",
      label: "Stay signed in",
      required: true,
      value: false,
      mutable: true,
    });
    const s = await submit(b, r.body, "keep-me-signed-in", {
      keepMeSignedIn: false,
    });
    assert.equal(s.body.success, undefined);
    const redirect = rem(s.body, "success-redirect");
    assert.equal(redirect.method, "GET");
    const page = await b.get(redirect.href, false);
    assert.equal(page.status, 200);
    assert.ok(b.cookies.has("idx"));
    const xml = assertionOf(page.text);
    assert.ok(xml && wasIssued(xml));
  }, {
    idx: {
      keepMeSignedIn: true,
      success: "remediation",
      tokenRedirect: "form",
    },
  });

  // Per user: kmsi asks even when the option is off.
  await withIdx(async (okta, b) => {
    const r = await signIn(okta, b, "kmsi@example.com");
    assert.deepEqual(names(r.body), ["keep-me-signed-in"]);
  });
});

Deno.test("okta idx: app step-up: a live idx session still gets a sign-in page", async () => {
  await withIdx(async (okta, b) => {
    const r = await signIn(okta, b, "alice@example.com");
    await finish(b, r.body);
    assert.equal(okta.idx.sessionCount(), 1);
    const again = await b.get(okta.embedUrl);
    assert.equal(assertionOf(again.text), undefined);
    assert.ok(scrape(again.text).token.length > 3000);
    // And the fresh login there ends at the SAML form again.
    const intro = await b.post(`${okta.url}/idp/idx/introspect`, {
      stateToken: scrape(again.text).token,
    });
    const s = await submit(b, intro.body, "identify", {
      identifier: "alice@example.com",
      credentials: { passcode: PASSWORD },
    });
    await finish(b, s.body);
  }, { idx: { appStepUp: true } });
});

Deno.test("okta idx: unsupported steps and terminal errors", async () => {
  await withIdx(async (okta, b) => {
    const enroll = await signIn(okta, b, "enroll@example.com");
    assert.deepEqual(names(enroll.body), ["select-authenticator-enroll"]);

    const idp = await signIn(
      okta,
      new IdxBrowser(),
      "redirect-idp@example.com",
    );
    assert.deepEqual(names(idp.body), ["redirect-idp"]);
    assert.equal(rem(idp.body, "redirect-idp").method, "GET");

    const cap = await signIn(okta, new IdxBrowser(), "captcha@example.com");
    const identify = rem(cap.body, "identify");
    assert.ok(identify.value.some((f: Json) => f.name === "captchaVerify"));
    assert.equal(cap.body.captcha.value.type, "HCAPTCHA");

    for (
      const [user, status, key] of [
        ["not-assigned", 400, "idx.error.user.not.assigned.to.app"],
        ["access-denied", 403, "security.access_denied"],
        ["ratelimit", 429, "tooManyRequests"],
      ] as const
    ) {
      const r = await signIn(okta, new IdxBrowser(), `${user}@example.com`);
      assert.equal(r.status, status);
      assert.equal(r.body.stateHandle, undefined);
      assert.equal(r.body.messages.value[0].i18n.key, key);
    }
  });

  await withIdx(async (okta, b) => {
    const doc = await start(okta, b);
    const identify = rem(doc, "identify");
    const captcha = identify.value.find((f: Json) =>
      f.name === "captchaVerify"
    );
    assert.equal(captcha.required, true);
    assert.equal(doc.captcha.value.name, "hCaptcha");
  }, { idx: { captcha: true } });
});

Deno.test("okta idx: /api/v1/authn says SUCCESS but the embed link still shows the sign-in page", async () => {
  await withIdx(async (okta, b) => {
    const res = await tlsFetch(`${okta.url}/api/v1/authn`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        username: "push@example.com",
        password: PASSWORD,
      }),
    });
    const authn = await res.json();
    assert.equal(authn.status, "SUCCESS");
    const page = await b.get(
      `${okta.embedUrl}?sessionToken=${authn.sessionToken}`,
    );
    assert.deepEqual(page.chain, [302, 200]);
    assert.equal(assertionOf(page.text), undefined);
    assert.ok(scrape(page.text).token.length > 3000);
    assert.equal(b.cookies.has("sid"), false);
    assert.equal(okta.idx.ignoredSessionTokens(), 1);

    const bad = await tlsFetch(`${okta.url}/api/v1/authn`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "push@example.com", password: "x" }),
    });
    assert.equal(bad.status, 401);
    await bad.body?.cancel();
    assert.equal(okta.authnCount(), 2);
    assert.equal(okta.classicCalls(), 2);
    assert.equal(okta.sawClientId(), false);
    await tlsFetch(`${okta.url}/oauth2/v1/authorize?client_id=x`).then((r) =>
      r.body?.cancel()
    );
    assert.equal(okta.oauthCalls(), 1);
    assert.equal(okta.sawClientId(), true);
  });
});

Deno.test("okta idx: expireTransactions ends IDX transactions; v1 stays Classic", async () => {
  await withIdx(async (okta, b) => {
    const doc = await start(okta, b);
    okta.expireTransactions();
    const r = await submit(b, doc, "identify", {
      identifier: "alice@example.com",
      credentials: { passcode: PASSWORD },
    });
    assert.equal(r.status, 401);
    assert.equal(r.body.messages.value[0].i18n.key, "idx.session.expired");
  });

  const okta = startOkta();
  try {
    const b = new IdxBrowser();
    const page = await b.get(okta.embedUrl);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /stateToken/);
    const res = await tlsFetch(`${okta.url}/idp/idx/introspect`, {
      method: "POST",
      body: "{}",
    });
    assert.equal(res.status, 404);
    await res.body?.cancel();
  } finally {
    await okta.close();
  }
});
