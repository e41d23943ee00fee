/**
 * Okta Identity Engine: the `-p okta` provider against the emulator's OIE
 * org (built from tests/emulators/README.md §3), in process with a scripted
 * prompter and a clock shared with the emulator, so polls and deadlines
 * take no real time; then under a pseudo-terminal for what only a real
 * terminal shows.
 */
import assert from "node:assert/strict";
import {
  PASSWORD,
  ROLE_DEV,
  SENT_CODE,
  TOTP_CODE,
} from "./emulators/fixtures.ts";
import {
  OKTA_IDX_CORRECT_ANSWER,
  type OktaEmulator,
  type OktaOptions,
  startOkta,
} from "./emulators/okta.ts";
import { startSts, type StsEmulator } from "./emulators/sts.ts";
import { e2eTest, parseCredentials, runCli } from "./support/cli.ts";
import { type FakeClock, fakeClock } from "./support/fake_clock.ts";
import { type InProcessResult, runInProcess } from "./support/in_process.ts";

/** A code the emulator never accepts. */
const WRONG = "111111";
const REFRESH_MS = 4000;

interface Org {
  okta: OktaEmulator;
  sts: StsEmulator;
  home: string;
  clock: FakeClock;
  /** Runs main's code in process; `answers` null means no terminal. */
  login(
    user: string,
    options?: {
      args?: string[];
      answers?: string[] | null;
      env?: Record<string, string>;
    },
  ): Promise<InProcessResult>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function org(options: OktaOptions = {}): Promise<Org> {
  const clock = fakeClock();
  const okta = startOkta({
    pipeline: "idx",
    now: () => clock.now(),
    ...options,
    idx: { refreshMs: REFRESH_MS, ...options.idx },
  });
  const sts = startSts();
  const home = await Deno.makeTempDir({ prefix: "apc-idx-" });
  return {
    okta,
    sts,
    home,
    clock,
    login(user, o = {}) {
      return runInProcess(
        [
          "-e",
          okta.embedUrl,
          "-u",
          user,
          "-p",
          "okta",
          "-a",
          ROLE_DEV,
          ...(
            o.args ?? []
          ),
        ],
        {
          home,
          clock,
          answers: o.answers === undefined ? [] : o.answers,
          env: {
            AWS_ENDPOINT_URL_STS: sts.url,
            AWSPROCESSCREDS_PASSWORD: PASSWORD,
            ...o.env,
          },
        },
      );
    },
    async [Symbol.asyncDispose]() {
      await Promise.all([okta.close(), sts.close()]);
      await Deno.remove(home, { recursive: true });
    },
  };
}

/** Every secret an OIE login handles: they must never be printed. */
function secretsOf(o: Org): string[] {
  const out = new Set([PASSWORD, TOTP_CODE, SENT_CODE, WRONG]);
  for (const r of o.okta.requests) {
    try {
      const body = JSON.parse(r.body);
      for (const k of ["stateToken", "stateHandle"]) {
        if (typeof body?.[k] === "string") out.add(body[k]);
      }
    } catch {
      // not JSON
    }
    for (const part of r.cookie.split(";")) {
      const value = part.split("=").slice(1).join("=").trim();
      if (value.length >= 8) out.add(value);
    }
  }
  return [...out];
}

function assertNoSecrets(o: Org, r: InProcessResult): void {
  const shown = `${r.stderr}\n${r.prompter.transcript.join("\n")}`;
  for (const secret of secretsOf(o)) {
    const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const word = new RegExp(`(^|[^0-9A-Za-z])${escaped}($|[^0-9A-Za-z])`);
    // Codes typed at a prompt appear as "> code" in the transcript: that is
    // the person typing, not the tool printing.
    const printed = shown.replace(/^> .*$/gm, "");
    assert.ok(!word.test(printed), `a secret was printed: ${secret}`);
  }
}

function assertLoggedIn(o: Org, r: InProcessResult): void {
  assert.equal(r.code, 0, r.stderr);
  assert.match(parseCredentials(r.stdout).AccessKeyId, /^ASIA/);
  assertNoSecrets(o, r);
}

function assertFailed(o: Org, r: InProcessResult, message: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assertNoSecrets(o, r);
}

/** An OIE login never touches Classic or OAuth, and never sends a client_id. */
function assertPureIdx(o: Org): void {
  assert.equal(o.okta.classicCalls(), 0, "an /api/v1 call was made");
  assert.equal(o.okta.oauthCalls(), 0, "an /oauth2 call was made");
  assert.equal(o.okta.sawClientId(), false, "a client_id was sent");
  assert.deepEqual(o.okta.idx.errors(), [], "the emulator refused a request");
}

Deno.test("okta idx: password only, both identify styles, both page templates, no Classic call", async (t) => {
  for (
    const [identify, pageTemplate] of [
      ["one-page", "default"],
      ["identifier-first", "default"],
      ["one-page", "custom"],
      ["identifier-first", "custom"],
    ] as const
  ) {
    await t.step(`${identify}, ${pageTemplate} page`, async () => {
      await using o = await org({ idx: { identify, pageTemplate } });
      const r = await o.login("alice@example.com", { args: ["-v"] });
      assertLoggedIn(o, r);
      assertPureIdx(o);
      const [login] = o.okta.idx.logins();
      assert.equal(login.succeeded, true);
      assert.deepEqual(
        login.remediations,
        identify === "one-page"
          ? ["introspect", "identify"]
          : ["introspect", "identify", "challenge-authenticator"],
      );
      assert.match(r.stderr, /Okta pipeline at .*: idx/);
    });
  }
});

Deno.test("okta idx: detection without the well-known document, from the page", async () => {
  await using o = await org({ wellKnown: false });
  const r = await o.login("alice@example.com");
  assertLoggedIn(o, r);
  assertPureIdx(o);
});

Deno.test("okta idx: a Classic org keeps the Classic flow", async () => {
  await using o = await org({ pipeline: "v1" });
  const r = await o.login("alice@example.com");
  assertLoggedIn(o, r);
  assert.equal(o.okta.authnCount(), 1);
  assert.ok(!o.okta.requests.some((q) => q.path.startsWith("/idp/idx/")));
});

Deno.test("okta idx: stateHandle rotation on or off, keep-me-signed-in, success as a remediation, token redirect as a form", async (t) => {
  const cases: [string, OktaOptions["idx"]][] = [
    ["rotation off", { rotateStateHandle: false }],
    ["keep-me-signed-in", { keepMeSignedIn: true }],
    ["success as a remediation", { success: "remediation" }],
    ["token redirect renders the form", { tokenRedirect: "form" }],
    ["all at once, identifier-first", {
      keepMeSignedIn: true,
      success: "remediation",
      tokenRedirect: "form",
      identify: "identifier-first",
    }],
  ];
  for (const [name, idx] of cases) {
    await t.step(name, async () => {
      await using o = await org({ idx });
      const r = await o.login("alice@example.com");
      assertLoggedIn(o, r);
      assertPureIdx(o);
      if (idx?.keepMeSignedIn) {
        assert.ok(
          o.okta.idx.logins()[0].remediations.includes("keep-me-signed-in"),
        );
      }
    });
  }
});

Deno.test("okta idx: a wrong password shows Okta's message, once, whatever the HTTP status", async (t) => {
  for (const errorStatus of [401, 400, 403, 200]) {
    for (const identify of ["one-page", "identifier-first"] as const) {
      await t.step(`${identify}, HTTP ${errorStatus}`, async () => {
        await using o = await org({ idx: { errorStatus, identify } });
        const r = await o.login("alice@example.com", {
          env: { AWSPROCESSCREDS_PASSWORD: "not the password" },
        });
        assertFailed(
          o,
          r,
          identify === "one-page"
            ? /Okta sign-in failed for alice@example\.com: Authentication failed/
            : /Okta sign-in failed for alice@example\.com: Password is incorrect/,
        );
        assert.ok(!r.stderr.includes("not the password"));
        assert.equal(
          o.okta.requests.filter((q) => q.body.includes('"passcode"')).length,
          1,
          "the password was sent more than once",
        );
      });
    }
  }
});

Deno.test("okta idx: a locked account and terminal errors name themselves", async (t) => {
  const cases: [string, RegExp][] = [
    ["locked@example.com", /Your account is locked/],
    ["not-assigned@example.com", /not assigned to this application/],
    ["access-denied@example.com", /Okta sign-in failed/],
    ["ratelimit@example.com", /rate limiting|Too many requests/],
  ];
  for (const [user, message] of cases) {
    await t.step(user, async () => {
      await using o = await org();
      assertFailed(o, await o.login(user), message);
    });
  }
});

Deno.test("okta idx: Okta Verify push with the number, polled no faster than refresh", async () => {
  await using o = await org();
  const r = await o.login("push-number@example.com", {
    args: ["--mfa", "push"],
  });
  assertLoggedIn(o, r);
  assertPureIdx(o);
  assert.ok(
    r.prompter.transcript.includes(
      "Approve the Okta Verify push on your device",
    ),
  );
  assert.ok(
    r.prompter.notices.some((n) =>
      n.text === `Tap ${OKTA_IDX_CORRECT_ANSWER} on your device` && !n.open
    ),
    JSON.stringify(r.prompter.notices),
  );
  const polls = o.okta.idx.polls();
  assert.ok(polls.length >= 1);
  for (const p of polls) {
    assert.ok(p.gapMs >= REFRESH_MS, `a poll came after ${p.gapMs} ms`);
  }
  assert.equal(o.okta.idx.pushesSent(), 1);
  for (const ms of o.clock.sleeps) assert.equal(ms, REFRESH_MS);
});

Deno.test("okta idx: push rejected, and never approved within --mfa-timeout", async (t) => {
  await t.step("rejected", async () => {
    await using o = await org();
    assertFailed(
      o,
      await o.login("push-reject@example.com", { args: ["--mfa", "push"] }),
      /Okta MFA failed: You have chosen to reject this login/,
    );
  });
  await t.step("never approved", async () => {
    await using o = await org();
    const r = await o.login("push-never@example.com", {
      args: ["--mfa", "push", "--mfa-timeout", "30"],
    });
    assertFailed(o, r, /not approved within 30 s.*--mfa-timeout/);
    const polls = o.okta.idx.polls().length;
    assert.ok(polls >= 6 && polls <= 7, `${polls} polls in 30 s`);
  });
});

Deno.test("okta idx: code authenticators, from the terminal and from the environment", async (t) => {
  const cases: [string, string, string[], string][] = [
    ["totp@example.com", "totp", [TOTP_CODE], "Okta Verify code: "],
    ["google@example.com", "totp", [TOTP_CODE], "Google Authenticator code: "],
    ["sms@example.com", "sms", [SENT_CODE], "SMS code (Enter to resend): "],
    [
      "voice@example.com",
      "call",
      [SENT_CODE],
      "Code from the call (Enter to call again): ",
    ],
    [
      "email@example.com",
      "email",
      [SENT_CODE],
      "Email code (Enter to resend): ",
    ],
  ];
  for (const [user, kind, answers, prompt] of cases) {
    await t.step(`${user} --mfa ${kind}`, async () => {
      await using o = await org();
      const r = await o.login(user, {
        args: ["--mfa", kind],
        answers: [...answers],
      });
      assertLoggedIn(o, r);
      assertPureIdx(o);
      assert.ok(
        r.prompter.transcript.includes(prompt),
        r.prompter.transcript.join("|"),
      );
    });
    await t.step(
      `${user} with AWSPROCESSCREDS_MFA_CODE, no terminal`,
      async () => {
        await using o = await org();
        const r = await o.login(user, {
          args: ["--mfa", kind],
          answers: null,
          env: { AWSPROCESSCREDS_MFA_CODE: answers[0] },
        });
        assertLoggedIn(o, r);
      },
    );
  }
});

Deno.test("okta idx: a rejected code shows Okta's message and is asked again, 3 tries in all", async (t) => {
  await t.step("wrong, then right", async () => {
    await using o = await org();
    const r = await o.login("totp@example.com", {
      answers: [WRONG, TOTP_CODE],
    });
    assertLoggedIn(o, r);
    assert.ok(r.prompter.transcript.includes("Invalid code. Try again."));
  });
  await t.step("three wrong codes", async () => {
    await using o = await org();
    const r = await o.login("totp@example.com", {
      answers: [WRONG, WRONG, WRONG],
    });
    assertFailed(o, r, /not accepted 3 times \(last: Invalid code/);
  });
  await t.step(
    "a wrong code from the environment, then the terminal",
    async () => {
      await using o = await org();
      const r = await o.login("totp@example.com", {
        answers: [TOTP_CODE],
        env: { AWSPROCESSCREDS_MFA_CODE: WRONG },
      });
      assertLoggedIn(o, r);
    },
  );
  await t.step("Enter resends an SMS without using a try", async () => {
    await using o = await org();
    const r = await o.login("sms@example.com", {
      answers: ["", SENT_CODE],
    });
    assertLoggedIn(o, r);
    assert.equal(o.okta.idx.codesSent().length, 2);
    assert.ok(
      r.prompter.transcript.some((l) => /Code sent again by SMS/.test(l)),
      r.prompter.transcript.join("|"),
    );
  });
});

Deno.test("okta idx: several authenticators: one menu, or an error listing --mfa values", async (t) => {
  await t.step("menu on the terminal", async () => {
    await using o = await org();
    const r = await o.login("multi@example.com", {
      answers: ["2", TOTP_CODE],
    });
    assertLoggedIn(o, r);
    const text = r.prompter.transcript.join("\n");
    for (
      const entry of [
        "Okta Verify push",
        "Okta Verify code",
        "SMS",
        "Voice call",
        "Google Authenticator code",
        "Email",
      ]
    ) assert.match(text, new RegExp(`\\d\\) ${entry}`));
  });
  await t.step("no terminal", async () => {
    await using o = await org();
    const r = await o.login("multi@example.com", { answers: null });
    assertFailed(o, r, /several second factors are offered/);
    for (
      const entry of [
        "Okta Verify push [--mfa push]",
        "Okta Verify code [--mfa totp]",
        "[--mfa sms]",
        "[--mfa call]",
        "[--mfa email]",
      ]
    ) assert.ok(r.stderr.includes(entry), r.stderr);
  });
});

Deno.test("okta idx: what a command line cannot do fails at once, saying what is required", async (t) => {
  const cases: [string, RegExp][] = [
    ["fastpass@example.com", /FastPass.*--mfa push/],
    ["webauthn@example.com", /WebAuthn.*browser/],
    ["enroll@example.com", /set up a new authenticator.*browser/],
    ["redirect-idp@example.com", /another identity provider/],
    ["captcha@example.com", /CAPTCHA/],
  ];
  for (const [user, message] of cases) {
    await t.step(user, async () => {
      await using o = await org();
      const started = performance.now();
      assertFailed(o, await o.login(user), message);
      assert.ok(performance.now() - started < 5_000);
      assert.equal(o.okta.idx.polls().length, 0);
    });
  }
});

Deno.test("okta idx: session reuse: stale credentials, live Okta session: no password, no IDX call", async (t) => {
  await t.step("reused", async () => {
    await using o = await org();
    const first = await o.login("alice@example.com");
    assertLoggedIn(o, first);
    const entry = await readEntry(o);
    const names = (entry.IdpSession?.Cookies ?? []).map((c: { name: string }) =>
      c.name
    );
    assert.ok(names.includes("idx"), `cookies kept: ${names}`);
    o.clock.advance(50 * 60_000); // credentials within botocore's window
    const idxBefore = o.okta.idx.logins().length;
    const second = await o.login("alice@example.com", {
      answers: null,
      env: { AWSPROCESSCREDS_PASSWORD: "" },
      args: ["-v"],
    });
    assertLoggedIn(o, second);
    assert.equal(o.okta.idx.logins().length, idxBefore, "a new login began");
    assert.match(second.stderr, /The saved IdP session gave a new assertion/);
  });
  await t.step("refused (app step-up): a full login, silently", async () => {
    await using o = await org();
    assertLoggedIn(o, await o.login("alice@example.com"));
    o.okta.expireSessions();
    o.clock.advance(50 * 60_000);
    const second = await o.login("alice@example.com");
    assertLoggedIn(o, second);
    assert.equal(second.stderr, "");
    // The saved session met a sign-in page; a second full login followed.
    assert.equal(
      o.okta.requests.filter((q) => q.body.includes('"passcode"')).length,
      2,
    );
  });
  await t.step(
    "--no-session-reuse neither sends nor keeps the cookies",
    async () => {
      await using o = await org();
      assertLoggedIn(
        o,
        await o.login("alice@example.com", { args: ["--no-session-reuse"] }),
      );
      assert.equal((await readEntry(o)).IdpSession, undefined);
      o.clock.advance(50 * 60_000);
      assertLoggedIn(
        o,
        await o.login("alice@example.com", { args: ["--no-session-reuse"] }),
      );
      assert.equal(o.okta.idx.logins().length, 2);
    },
  );
});

// deno-lint-ignore no-explicit-any
async function readEntry(o: Org): Promise<any> {
  const dir = `${o.home}/.aws/cli/process-creds-cache`;
  for await (const e of Deno.readDir(dir)) {
    if (e.name.endsWith(".json")) {
      return JSON.parse(await Deno.readTextFile(`${dir}/${e.name}`));
    }
  }
  throw new Error("no cache entry");
}

Deno.test("okta idx: -v redacts every token, handle, cookie and the assertion", async () => {
  await using o = await org();
  const r = await o.login("totp@example.com", {
    args: ["-v", "--no-cache"],
    answers: [TOTP_CODE],
  });
  assertLoggedIn(o, r);
  assert.match(r.stderr, /stateToken=REDACTED/);
  assert.ok(!/SAMLResponse=[^R]/.test(r.stderr));
  assert.match(r.stderr, /arn:aws:iam::123456789012:role\/dev/);
});

e2eTest(
  "okta idx e2e: password and the push number on the terminal, stdout only the JSON",
  async () => {
    await using o = await org({ idx: { refreshMs: 300 } });
    const r = await runCli(
      [
        "-e",
        o.okta.embedUrl,
        "-u",
        "push-number@example.com",
        "-p",
        "okta",
        "-a",
        ROLE_DEV,
      ],
      {
        home: o.home,
        env: { AWS_ENDPOINT_URL_STS: o.sts.url },
        tty: [
          { expect: "Password: ", send: `${PASSWORD}\r` },
          { expect: "Choose 1-2: ", send: "1\r" },
        ],
        timeout: 30,
      },
    );
    assert.equal(r.code, 0, `${r.stderr}\n${r.tty}`);
    parseCredentials(r.stdout);
    assert.deepEqual(r.unanswered, []);
    assert.match(
      r.tty,
      new RegExp(`Tap ${OKTA_IDX_CORRECT_ANSWER} on your device`),
    );
    assert.ok(!r.tty.includes(PASSWORD), "the password was echoed");
    assert.equal(r.stderr, "");
    assert.equal(o.okta.classicCalls(), 0);
  },
);
