import assert from "node:assert/strict";
import {
  OKTA_CORRECT_ANSWER,
  OKTA_FACTOR_IDS,
  type OktaEmulator,
  type OktaOptions,
  startOkta,
} from "./emulators/okta.ts";
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
} from "./emulators/fixtures.ts";
import { tlsFetch } from "./support/tls_fetch.ts";
import { assertionOf } from "./support/okta_saml_page.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Json;
}

async function withOkta(
  fn: (okta: OktaEmulator) => Promise<void>,
  options: OktaOptions = {},
): Promise<void> {
  const okta = startOkta({ pushPolls: 1, ...options });
  try {
    await fn(okta);
  } finally {
    await okta.close();
  }
}

async function post(url: string, body: unknown): Promise<Answer> {
  const res = await tlsFetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Json = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

function authn(
  okta: OktaEmulator,
  username: string,
  extra: Record<string, unknown> = {},
): Promise<Answer> {
  return post(`${okta.url}/api/v1/authn`, {
    username,
    password: PASSWORD,
    ...extra,
  });
}

async function get(
  url: string,
  cookie?: string,
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await tlsFetch(url, {
    redirect: "manual",
    headers: cookie ? { cookie } : {},
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Follows the embed link with a token the way the client must: manual redirect, carrying sid. */
async function samlPageFor(
  okta: OktaEmulator,
  sessionToken: string,
): Promise<{ page: string; sid: string }> {
  const first = await get(`${okta.embedUrl}?sessionToken=${sessionToken}`);
  assert.equal(first.status, 302);
  const cookies = first.headers.getSetCookie();
  assert.equal(cookies.length, 1);
  const m = /^sid=([^;]+); Path=\/; Secure; HttpOnly$/.exec(cookies[0]);
  assert.ok(m, cookies[0]);
  assert.equal(first.headers.get("location"), okta.ssoUrl);
  const second = await get(okta.ssoUrl, `sid=${m[1]}`);
  assert.equal(second.status, 200);
  assert.match(second.headers.get("content-type") ?? "", /^text\/html/);
  return { page: second.text, sid: m[1] };
}

async function loginAssertion(
  okta: OktaEmulator,
  username: string,
): Promise<string> {
  const a = await authn(okta, username);
  assert.equal(a.body.status, "SUCCESS");
  const { page } = await samlPageFor(okta, a.body.sessionToken);
  const xml = assertionOf(page);
  assert.ok(xml, "SAML page carries a SAMLResponse");
  return xml;
}

/** Role attribute values as written (whitespace trimmed). */
function roleValues(xml: string): string[] {
  const attr = /Attributes\/Role">(.*?)<\/saml2:Attribute>/s.exec(xml);
  assert.ok(attr);
  return [
    ...attr[1].matchAll(
      /<saml2:AttributeValue>(.*?)<\/saml2:AttributeValue>/gs,
    ),
  ]
    .map((m) => m[1].trim());
}

function sessionDuration(xml: string): string | undefined {
  return /SessionDuration"><saml2:AttributeValue>(\d+)</.exec(xml)?.[1];
}

/** Every href in a JSON body. */
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

function assertOwnLinks(okta: OktaEmulator, body: Json) {
  for (const href of hrefs(body)) {
    assert.ok(href.startsWith(`${okta.url}/`), href);
  }
}

function factorOf(body: Json, type: string, provider: string): Json {
  const f = body._embedded.factors.find((x: Json) =>
    x.factorType === type && x.provider === provider
  );
  assert.ok(f, `${type}/${provider} offered`);
  return f;
}

async function mfaRequired(okta: OktaEmulator, username: string) {
  const a = await authn(okta, username);
  assert.equal(a.status, 200);
  assert.equal(a.body.status, "MFA_REQUIRED");
  assert.equal(typeof a.body.stateToken, "string");
  assertOwnLinks(okta, a.body);
  return a.body;
}

Deno.test("okta: alice gets a one-time sessionToken and the SAML page via sid", async () => {
  await withOkta(async (okta) => {
    assert.equal(
      okta.embedUrl,
      `${okta.url}/home/amazon_aws/0oaEMULATOR00000000/272`,
    );
    const a = await authn(okta, "alice@example.com");
    assert.equal(a.status, 200);
    assert.equal(a.body.status, "SUCCESS");
    assert.match(a.body.sessionToken, /^20111[0-9a-f]{32}$/);
    assert.equal(a.body._embedded.user.profile.login, "alice@example.com");
    assertOwnLinks(okta, a.body);
    assert.equal(okta.authnCount(), 1);

    const { page, sid } = await samlPageFor(okta, a.body.sessionToken);
    assert.match(
      page,
      /<form id="appForm" action="https&#x3a;&#x2f;&#x2f;signin\.aws\.amazon\.com&#x2f;saml" method="POST">/,
    );
    const raw = /name="SAMLResponse" type="hidden" value="([^"]*)"/.exec(page);
    assert.ok(raw);
    assert.doesNotMatch(raw[1], /[+=/]/, "base64 is hex-escaped");
    assert.match(raw[1], /&#x2b;|&#x2f;|&#x3d;/);
    const xml = assertionOf(page);
    assert.ok(xml);
    assert.match(xml, /<saml2:NameID [^>]*>alice@example\.com</);
    assert.deepEqual(roleValues(xml), [
      `${OKTA_PROVIDER},${ROLE_DEV}`,
      `${ROLE_ADMIN},${OKTA_PROVIDER}`,
    ]);
    assert.equal(sessionDuration(xml), "3600");

    // The token works once only.
    const again = await get(
      `${okta.embedUrl}?sessionToken=${a.body.sessionToken}`,
    );
    assert.equal(again.status, 200);
    assert.equal(again.headers.getSetCookie().length, 0);
    assert.equal(assertionOf(again.text), undefined);
    assert.match(again.text, /Sign In/);

    // Without the cookie the SSO URL is a sign-in page.
    const bare = await get(okta.ssoUrl);
    assert.equal(bare.status, 200);
    assert.equal(assertionOf(bare.text), undefined);

    // The live sid alone reaches the SAML page again (session reuse).
    const reuse = await get(okta.embedUrl, `sid=${sid}`);
    assert.equal(reuse.status, 302);
    assert.equal(reuse.headers.get("location"), okta.ssoUrl);
    const reused = await get(okta.ssoUrl, `other=1; sid=${sid}`);
    assert.ok(assertionOf(reused.text));
    assert.equal(okta.sessionCount(), 1);

    okta.expireSessions();
    const gone = await get(okta.embedUrl, `sid=${sid}`);
    assert.equal(gone.status, 200);
    assert.equal(assertionOf(gone.text), undefined);
    assert.equal(okta.authnCount(), 1);
  });
});

Deno.test("okta: wrong password and unknown user give 401 E0000004", async () => {
  await withOkta(async (okta) => {
    for (
      const body of [
        { username: "alice@example.com", password: "nope" },
        { username: "nobody@example.com", password: PASSWORD },
        { username: "alice@example.com" },
      ]
    ) {
      const a = await post(`${okta.url}/api/v1/authn`, body);
      assert.equal(a.status, 401);
      assert.equal(a.body.errorCode, "E0000004");
      assert.equal(a.body.errorSummary, "Authentication failed");
      assert.deepEqual(a.body.errorCauses, []);
    }
    const upper = await authn(okta, "Alice@Example.com");
    assert.equal(upper.body.status, "SUCCESS");
    const bad = await tlsFetch(`${okta.url}/api/v1/authn`, {
      method: "POST",
      body: "{not json",
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    assert.equal(okta.authnCount(), 5);
  });
});

Deno.test("okta: role sets and session durations of solo, long and denied", async () => {
  await withOkta(async (okta) => {
    const solo = await loginAssertion(okta, "solo@example.com");
    assert.deepEqual(roleValues(solo), [`${OKTA_PROVIDER},${ROLE_DEV}`]);
    const long = await loginAssertion(okta, "long@example.com");
    assert.deepEqual(roleValues(long), [`${OKTA_PROVIDER},${ROLE_SHORT}`]);
    assert.equal(sessionDuration(long), "28800");
    const denied = await loginAssertion(okta, "denied@example.com");
    assert.deepEqual(roleValues(denied), [`${OKTA_PROVIDER},${ROLE_DENIED}`]);
  });
});

Deno.test("okta: doctype and changed-HTML users", async () => {
  await withOkta(async (okta) => {
    const xml = await loginAssertion(okta, "doctype@example.com");
    assert.match(xml, /<!DOCTYPE/);

    const a = await authn(okta, "changed@example.com");
    const { page } = await samlPageFor(okta, a.body.sessionToken);
    assert.equal(assertionOf(page), undefined);
    assert.doesNotMatch(page, /name="SAMLResponse"/);
    assert.match(page, /<form id="appForm"[^>]*>\n<input name="SAMLToken"/);
  });
});

Deno.test("okta: slow user can be timed out and the server still closes fast", async () => {
  const okta = startOkta();
  const started = Date.now();
  await assert.rejects(
    tlsFetch(`${okta.url}/api/v1/authn`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        username: "slow@example.com",
        password: PASSWORD,
      }),
      signal: AbortSignal.timeout(200),
    }),
  );
  await okta.close();
  assert.ok(Date.now() - started < 2000);
});

Deno.test("okta: push polls WAITING then SUCCESS", async () => {
  await withOkta(async (okta) => {
    const mfa = await mfaRequired(okta, "push@example.com");
    const push = factorOf(mfa, "push", "OKTA");
    const href = push._links.verify.href;
    assert.equal(
      href,
      `${okta.url}/api/v1/authn/factors/${OKTA_FACTOR_IDS.push}/verify`,
    );
    const body = { stateToken: mfa.stateToken };
    const first = await post(
      `${href}?rememberDevice=false&autoPush=false`,
      body,
    );
    assert.equal(first.status, 200);
    assert.equal(first.body.status, "MFA_CHALLENGE");
    assert.equal(first.body.factorResult, "WAITING");
    assert.equal(first.body._links.next.name, "poll");
    assert.equal(first.body._links.next.href, href);
    assert.equal(
      first.body._embedded.factor._embedded?.challenge,
      undefined,
    );
    assertOwnLinks(okta, first.body);
    const second = await post(first.body._links.next.href, body);
    assert.equal(second.body.factorResult, "WAITING");
    const third = await post(second.body._links.next.href, body);
    assert.equal(third.body.status, "SUCCESS");
    assert.equal(typeof third.body.sessionToken, "string");
    assert.equal(okta.sent(OKTA_FACTOR_IDS.push), 1);
    // The transaction is over.
    const after = await post(href, body);
    assert.equal(after.status, 401);
    assert.equal(after.body.errorCode, "E0000011");
    const { page } = await samlPageFor(okta, third.body.sessionToken);
    assert.match(assertionOf(page) ?? "", /push@example\.com/);
  }, { pushPolls: 2 });
});

Deno.test("okta: push number challenge carries correctAnswer", async () => {
  await withOkta(async (okta) => {
    const mfa = await mfaRequired(okta, "push-number@example.com");
    const href = factorOf(mfa, "push", "OKTA")._links.verify.href;
    const body = { stateToken: mfa.stateToken };
    for (let i = 0; i < 3; i++) {
      const w = await post(href, body);
      assert.equal(w.body.factorResult, "WAITING");
      assert.equal(
        w.body._embedded.factor._embedded.challenge.correctAnswer,
        OKTA_CORRECT_ANSWER,
      );
    }
    const done = await post(href, body);
    assert.equal(done.body.status, "SUCCESS");
  }, { pushPolls: 3 });
});

Deno.test("okta: push rejected and push timeout", async () => {
  await withOkta(async (okta) => {
    for (
      const [user, result] of [
        ["push-reject@example.com", "REJECTED"],
        ["push-timeout@example.com", "TIMEOUT"],
      ]
    ) {
      const mfa = await mfaRequired(okta, user);
      const push = factorOf(mfa, "push", "OKTA");
      const href = push._links.verify.href;
      const body = { stateToken: mfa.stateToken };
      const w = await post(href, body);
      assert.equal(w.body.factorResult, "WAITING");
      const end = await post(w.body._links.next.href, body);
      assert.equal(end.status, 200);
      assert.equal(end.body.status, "MFA_CHALLENGE");
      assert.equal(end.body.factorResult, result);
      assert.equal(end.body._links.next.name, "verify");
      assert.equal(end.body.sessionToken, undefined);
      // A fresh verify sends a new push.
      const again = await post(end.body._links.next.href, body);
      assert.equal(again.body.factorResult, "WAITING");
      assert.equal(okta.sent(push.id), 2);
    }
  });
});

Deno.test("okta: Okta and Google TOTP, wrong code keeps the transaction", async () => {
  await withOkta(async (okta) => {
    for (
      const [user, provider] of [
        ["totp@example.com", "OKTA"],
        ["google@example.com", "GOOGLE"],
      ]
    ) {
      const mfa = await mfaRequired(okta, user);
      const href = factorOf(mfa, "token:software:totp", provider)._links
        .verify.href;
      const wrong = await post(`${href}?rememberDevice=true`, {
        stateToken: mfa.stateToken,
        passCode: "000000",
      });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.errorCode, "E0000068");
      assert.equal(wrong.body.errorSummary, "Invalid Passcode/Answer");
      assert.match(wrong.body.errorCauses[0].errorSummary, /passcode/);
      const right = await post(href, {
        stateToken: mfa.stateToken,
        passCode: TOTP_CODE,
      });
      assert.equal(right.body.status, "SUCCESS");
    }
  });
});

Deno.test("okta: YubiKey OTP", async () => {
  await withOkta(async (okta) => {
    const mfa = await mfaRequired(okta, "yubikey@example.com");
    const href = factorOf(mfa, "token:hardware", "YUBICO")._links.verify.href;
    const wrong = await post(href, {
      stateToken: mfa.stateToken,
      passCode: TOTP_CODE,
    });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.errorCode, "E0000068");
    const right = await post(href, {
      stateToken: mfa.stateToken,
      passCode: YUBIKEY_OTP,
    });
    assert.equal(right.body.status, "SUCCESS");
  });
});

Deno.test("okta: sms, call and email send, resend and verify", async () => {
  await withOkta(async (okta) => {
    for (const kind of ["sms", "call", "email"] as const) {
      const mfa = await mfaRequired(okta, `${kind}@example.com`);
      const factor = factorOf(mfa, kind, "OKTA");
      assert.equal(factor.id, OKTA_FACTOR_IDS[kind]);
      const href = factor._links.verify.href;
      const st = { stateToken: mfa.stateToken };
      // A code before any was sent does not match.
      const early = await post(href, { ...st, passCode: SENT_CODE });
      assert.equal(early.status, 403);
      const sent = await post(href, st);
      assert.equal(sent.status, 200);
      assert.equal(sent.body.status, "MFA_CHALLENGE");
      assert.equal(
        sent.body.factorResult,
        kind === "email" ? "CHALLENGE" : undefined,
      );
      assert.equal(sent.body._links.next.name, "verify");
      assert.equal(sent.body._links.next.href, href);
      assert.equal(sent.body._links.resend[0].name, kind);
      assert.equal(sent.body._links.resend[0].href, `${href}/resend`);
      assertOwnLinks(okta, sent.body);
      assert.equal(okta.sent(factor.id), 1);
      const resent = await post(sent.body._links.resend[0].href, st);
      assert.equal(resent.body.status, "MFA_CHALLENGE");
      assert.equal(okta.sent(factor.id), 2);
      const wrong = await post(sent.body._links.next.href, {
        ...st,
        passCode: "111111",
      });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.errorCode, "E0000068");
      const right = await post(sent.body._links.next.href, {
        ...st,
        passCode: SENT_CODE,
      });
      assert.equal(right.body.status, "SUCCESS");
    }
  });
});

Deno.test("okta: multi offers push, totp and sms; duo offers web/DUO only", async () => {
  await withOkta(async (okta) => {
    const multi = await mfaRequired(okta, "multi@example.com");
    assert.deepEqual(
      multi._embedded.factors.map((f: Json) => f.factorType),
      ["push", "token:software:totp", "sms"],
    );
    const totp = factorOf(multi, "token:software:totp", "OKTA");
    const ok = await post(totp._links.verify.href, {
      stateToken: multi.stateToken,
      passCode: TOTP_CODE,
    });
    assert.equal(ok.body.status, "SUCCESS");

    const duo = await mfaRequired(okta, "duo@example.com");
    assert.equal(duo._embedded.factors.length, 1);
    factorOf(duo, "web", "DUO");
    // A factor the user does not have is not found.
    const other = await post(
      `${okta.url}/api/v1/authn/factors/${OKTA_FACTOR_IDS.totp}/verify`,
      { stateToken: duo.stateToken, passCode: TOTP_CODE },
    );
    assert.equal(other.status, 404);
  });
});

Deno.test("okta: LOCKED_OUT, PASSWORD_EXPIRED, MFA_ENROLL, unknown status, non-JSON", async () => {
  await withOkta(async (okta) => {
    const locked = await authn(okta, "locked@example.com");
    assert.equal(locked.status, 200);
    assert.equal(locked.body.status, "LOCKED_OUT");
    assert.equal(locked.body.stateToken, undefined);
    assertOwnLinks(okta, locked.body);

    const expired = await authn(okta, "expired@example.com");
    assert.equal(expired.body.status, "PASSWORD_EXPIRED");
    assert.equal(expired.body._links.next.name, "changePassword");
    assertOwnLinks(okta, expired.body);

    const enroll = await authn(okta, "enroll@example.com");
    assert.equal(enroll.body.status, "MFA_ENROLL");
    assert.equal(enroll.body._embedded.factors[0].status, "NOT_SETUP");
    assertOwnLinks(okta, enroll.body);

    const weird = await authn(okta, "weird@example.com");
    assert.equal(weird.status, 200);
    assert.equal(weird.body.status, "UNAUTHENTICATED_WEIRD");

    const garbage = await authn(okta, "garbage@example.com");
    assert.equal(garbage.status, 200);
    assert.equal(garbage.body, undefined);
    assert.match(garbage.text, /<html>/);
  });
});

Deno.test("okta: PASSWORD_WARN only when asked, skip leads on", async () => {
  await withOkta(async (okta) => {
    const plain = await authn(okta, "warn@example.com");
    assert.equal(plain.body.status, "SUCCESS");

    const options = { warnBeforePasswordExpired: true };
    const warn = await authn(okta, "warn@example.com", { options });
    assert.equal(warn.body.status, "PASSWORD_WARN");
    assert.equal(warn.body._links.skip.href, `${okta.url}/api/v1/authn/skip`);
    assertOwnLinks(okta, warn.body);
    const skipped = await post(warn.body._links.skip.href, {
      stateToken: warn.body.stateToken,
    });
    assert.equal(skipped.body.status, "SUCCESS");
    const twice = await post(warn.body._links.skip.href, {
      stateToken: warn.body.stateToken,
    });
    assert.equal(twice.status, 401);
    assert.equal(twice.body.errorCode, "E0000011");

    const warnMfa = await authn(okta, "warn-mfa@example.com", { options });
    assert.equal(warnMfa.body.status, "PASSWORD_WARN");
    const mfa = await post(warnMfa.body._links.skip.href, {
      stateToken: warnMfa.body.stateToken,
    });
    assert.equal(mfa.body.status, "MFA_REQUIRED");
    const totp = factorOf(mfa.body, "token:software:totp", "OKTA");
    const ok = await post(totp._links.verify.href, {
      stateToken: mfa.body.stateToken,
      passCode: TOTP_CODE,
    });
    assert.equal(ok.body.status, "SUCCESS");
  });
});

Deno.test("okta: rate limits answer 429 E0000047 with X-Rate-Limit headers", async () => {
  await withOkta(async (okta) => {
    const limited = await authn(okta, "ratelimit@example.com");
    assert.equal(limited.status, 429);
    assert.equal(limited.body.errorCode, "E0000047");
    assert.equal(limited.headers.get("x-rate-limit-remaining"), "0");
    assert.ok(Number(limited.headers.get("x-rate-limit-limit")) > 0);
    const reset = Number(limited.headers.get("x-rate-limit-reset"));
    const ahead = reset - Date.now() / 1000;
    assert.ok(ahead > 0 && ahead <= 1, String(ahead));
    const next = await authn(okta, "ratelimit@example.com");
    assert.equal(next.body.status, "SUCCESS");

    for (let i = 0; i < 3; i++) {
      const long = await authn(okta, "ratelimit-long@example.com");
      assert.equal(long.status, 429);
      const ahead = Number(long.headers.get("x-rate-limit-reset")) -
        Date.now() / 1000;
      assert.ok(ahead > 599 && ahead <= 600, String(ahead));
    }
  });
});

Deno.test("okta: expired or unknown tokens", async () => {
  let clock = Date.parse("2030-01-01T00:00:00Z");
  await withOkta(async (okta) => {
    const unknown = await post(
      `${okta.url}/api/v1/authn/factors/${OKTA_FACTOR_IDS.totp}/verify`,
      { stateToken: "00nope", passCode: TOTP_CODE },
    );
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.errorCode, "E0000011");
    assert.equal(unknown.body.errorSummary, "Invalid token provided");

    const mfa = await mfaRequired(okta, "totp@example.com");
    assert.equal(mfa.expiresAt, "2030-01-01T00:05:00.000Z");
    okta.expireTransactions();
    const gone = await post(mfa._embedded.factors[0]._links.verify.href, {
      stateToken: mfa.stateToken,
      passCode: TOTP_CODE,
    });
    assert.equal(gone.body.errorCode, "E0000011");

    // stateToken lifetime by the clock.
    const mfa2 = await mfaRequired(okta, "totp@example.com");
    clock += 5 * 60_000;
    const late = await post(mfa2._embedded.factors[0]._links.verify.href, {
      stateToken: mfa2.stateToken,
      passCode: TOTP_CODE,
    });
    assert.equal(late.status, 401);

    // sessionToken lifetime by the clock.
    const a = await authn(okta, "alice@example.com");
    clock += 5 * 60_000 + 1;
    const stale = await get(
      `${okta.embedUrl}?sessionToken=${a.body.sessionToken}`,
    );
    assert.equal(stale.status, 200);
    assert.equal(assertionOf(stale.text), undefined);

    const b = await authn(okta, "alice@example.com");
    okta.expireSessionTokens();
    const dropped = await get(
      `${okta.embedUrl}?sessionToken=${b.body.sessionToken}`,
    );
    assert.equal(dropped.status, 200);
    assert.equal(dropped.headers.getSetCookie().length, 0);

    const bogus = await get(`${okta.embedUrl}?sessionToken=20111bogus`);
    assert.equal(bogus.status, 200);
    assert.equal(assertionOf(bogus.text), undefined);
    const stranger = await get(okta.ssoUrl, "sid=deadbeef");
    assert.equal(assertionOf(stranger.text), undefined);
  }, { now: () => new Date(clock) });
});

Deno.test("okta: users option and the live table", async () => {
  await withOkta(async (okta) => {
    okta.users["bob@example.com"] = {
      password: "pw",
      roles: [{ role: ROLE_ADMIN, principal: OKTA_PROVIDER }],
      mixOrder: false,
      sessionDuration: null,
    };
    const r = await post(`${okta.url}/api/v1/authn`, {
      username: "bob@example.com",
      password: "pw",
    });
    assert.equal(r.body.status, "SUCCESS");
    const { page } = await samlPageFor(okta, r.body.sessionToken);
    const xml = assertionOf(page) ?? "";
    assert.deepEqual(roleValues(xml), [`${ROLE_ADMIN},${OKTA_PROVIDER}`]);
    assert.equal(sessionDuration(xml), undefined);

    const carol = await authn(okta, "carol@example.com");
    assert.equal(carol.body.status, "MFA_REQUIRED");
    const alice = await authn(okta, "alice@example.com");
    assert.equal(alice.body.status, "PASSWORD_EXPIRED");
  }, {
    users: {
      "carol@example.com": { factors: ["totp"] },
      "alice@example.com": { status: "PASSWORD_EXPIRED" },
    },
  });
});

Deno.test("okta: links follow the request's origin and delayMs delays", async () => {
  await withOkta(async (okta) => {
    const origin = `https://localhost:${okta.port}`;
    const started = Date.now();
    const a = await post(`${origin}/api/v1/authn`, {
      username: "sms@example.com",
      password: PASSWORD,
    });
    assert.ok(Date.now() - started >= 100);
    for (const href of hrefs(a.body)) {
      assert.ok(href.startsWith(`${origin}/api/v1/authn/`), href);
    }
  }, { delayMs: 100 });
});

Deno.test("okta: duo verify waits, state lookup, previous, cancel, wrong state", async () => {
  await withOkta(async (okta) => {
    const duo = await mfaRequired(okta, "duo@example.com");
    const href = factorOf(duo, "web", "DUO")._links.verify.href;
    const waiting = await post(href, { stateToken: duo.stateToken });
    assert.equal(waiting.body.status, "MFA_CHALLENGE");
    assert.equal(waiting.body.factorResult, "WAITING");
    assertOwnLinks(okta, waiting.body);

    // POST /api/v1/authn {stateToken} answers the current state.
    const state = await post(`${okta.url}/api/v1/authn`, {
      stateToken: duo.stateToken,
    });
    assert.equal(state.body.status, "MFA_CHALLENGE");
    const prev = await post(waiting.body._links.prev.href, {
      stateToken: duo.stateToken,
    });
    assert.equal(prev.body.status, "MFA_REQUIRED");
    const cancel = await post(waiting.body._links.cancel.href, {
      stateToken: duo.stateToken,
    });
    assert.equal(cancel.status, 200);
    const after = await post(href, { stateToken: duo.stateToken });
    assert.equal(after.body.errorCode, "E0000011");

    // Verifying during PASSWORD_WARN is not allowed.
    const warn = await authn(okta, "warn-mfa@example.com", {
      options: { warnBeforePasswordExpired: true },
    });
    const early = await post(
      `${okta.url}/api/v1/authn/factors/${OKTA_FACTOR_IDS.totp}/verify`,
      { stateToken: warn.body.stateToken, passCode: TOTP_CODE },
    );
    assert.equal(early.status, 403);
    assert.equal(early.body.errorCode, "E0000079");
  });
});
