/**
 * Okta MFA: end to end (main.ts under a pseudo-terminal against the
 * emulators, as the AWS CLI runs it), then in-process edge cases with a
 * scripted Prompter, a fake clock and either the emulator or a scripted fetch.
 */
import assert from "node:assert/strict";
import { createLogger } from "../lib/logger.ts";
import { LoginError, MfaError, NoTerminalError } from "../lib/errors.ts";
import { HttpSession } from "../lib/http/http_session.ts";
import { oktaSessionToken } from "../lib/providers/okta/classic.ts";
import { completeOktaMfa } from "../lib/providers/okta/classic_mfa.ts";
import { factorInfo } from "../lib/providers/okta/classic_factors.ts";
import { PUSH_POLL_MS } from "../lib/mfa/push_wait.ts";
import type { MfaKind } from "../lib/mfa/mfa_kind.ts";
import {
  OktaApi,
  OktaApiError,
  type OktaFactor,
  type OktaTransaction,
} from "../lib/providers/okta/classic_api.ts";
import type { LoginContext } from "../lib/providers/provider.ts";
import {
  PASSWORD,
  ROLE_DEV,
  SENT_CODE,
  TOTP_CODE,
  YUBIKEY_OTP,
} from "./emulators/fixtures.ts";
import {
  OKTA_FACTOR_IDS,
  type OktaEmulator,
  type OktaOptions,
  startOkta,
} from "./emulators/okta.ts";
import {
  type CliResult,
  e2eTest,
  parseCredentials,
  type TtyStep,
} from "./support/cli.ts";
import { type Stack, type StackOptions, startStack } from "./support/stack.ts";
import { tlsFetch } from "./support/tls_fetch.ts";
import { fakeClock } from "./support/fake_clock.ts";
import {
  type ScriptedPrompter,
  scriptedPrompter,
} from "./support/scripted_prompter.ts";

// ---------------------------------------------------------------------------
// End to end: main.ts under a pseudo-terminal
// ---------------------------------------------------------------------------

const STACK: StackOptions = { okta: { pushPolls: 2 } };
/** A code the emulator never accepts. */
const WRONG = "111111";
const SECRETS = [PASSWORD, TOTP_CODE, SENT_CODE, YUBIKEY_OTP, WRONG];

/** Typed at the terminal: the text and Enter. */
const type = (text: string) => `${text}\r`;

interface LoginOptions {
  args?: string[];
  /** Prompt answers; omitted runs with no terminal at all. */
  tty?: TtyStep[];
  env?: Record<string, string>;
}

function login(
  stack: Stack,
  user: string,
  options: LoginOptions = {},
): Promise<CliResult> {
  return stack.run(
    [
      ...stack.oktaArgs(user),
      "-a",
      ROLE_DEV,
      "--no-cache",
      ...(options.args ?? []),
    ],
    {
      env: { AWSPROCESSCREDS_PASSWORD: PASSWORD, ...options.env },
      tty: options.tty,
      timeout: 30,
    },
  );
}

/** Every stateToken the client sent to the Okta emulator. */
function stateTokens(okta: OktaEmulator): string[] {
  const out = new Set<string>();
  for (const r of okta.requests) {
    try {
      const token = JSON.parse(r.body)?.stateToken;
      if (typeof token === "string") out.add(token);
    } catch {
      // not JSON
    }
  }
  return [...out];
}

/** Whether `secret` appears in `text` as a whole word ("123456" is also the start of the account id). */
function leaks(text: string, secret: string): boolean {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^0-9A-Za-z])${escaped}($|[^0-9A-Za-z])`).test(text);
}

function assertNoSecrets(stack: Stack, result: CliResult): void {
  for (const secret of [...SECRETS, ...stateTokens(stack.okta)]) {
    assert.ok(!leaks(result.stderr, secret), `stderr leaks ${secret}`);
  }
  assert.ok(!result.tty.includes(PASSWORD), "the password was echoed");
}

function assertLoggedIn(stack: Stack, result: CliResult): void {
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  const credentials = parseCredentials(result.stdout);
  assert.equal(credentials.Version, 1);
  assert.match(credentials.AccessKeyId, /^ASIA/);
  assert.deepEqual(result.unanswered, []);
  assertNoSecrets(stack, result);
}

function assertFailed(
  stack: Stack,
  result: CliResult,
  message: RegExp,
  exitCode = 1,
): void {
  assert.equal(result.code, exitCode, `stderr: ${result.stderr}`);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, message);
  assert.deepEqual(result.unanswered, []);
  assertNoSecrets(stack, result);
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

function verifyPosts(okta: OktaEmulator, kind: keyof typeof OKTA_FACTOR_IDS) {
  const id = OKTA_FACTOR_IDS[kind];
  return okta.requests.filter((r) =>
    r.method === "POST" && r.path.startsWith(`/api/v1/authn/factors/${id}/`)
  );
}

const APPROVE = "Approve the Okta Verify push on your device";

e2eTest(
  "okta mfa e2e: push (approved, number challenge, rejected, Okta timeout, our deadline, Ctrl-C)",
  async (t) => {
    // Independent logins, run at once to keep the suite fast; the approved one
    // has a stack of its own so its requests can be counted.
    await using solo = await startStack(STACK);
    await using stack = await startStack(STACK);
    const [approved, number, rejected, timeout, deadline, interrupted] =
      await Promise.all([
        login(solo, "push@example.com", { tty: [] }),
        login(stack, "push-number@example.com", { tty: [] }),
        login(stack, "push-reject@example.com", { tty: [] }),
        login(stack, "push-timeout@example.com", { tty: [] }),
        login(stack, "push@example.com", {
          tty: [],
          args: ["--mfa-timeout", "1"],
        }),
        login(stack, "push-number@example.com", {
          tty: [{ expect: "Tap 92", send: "\x03" }],
        }),
      ]);
    await t.step("approved after WAITING polls", () => {
      assertLoggedIn(solo, approved);
      assert.equal(count(approved.tty, APPROVE), 1, approved.tty);
      assert.ok(!approved.tty.includes("Tap "), approved.tty);
      // The verify POST and two polls (pushPolls 2), one push sent.
      assert.equal(verifyPosts(solo.okta, "push").length, 3);
      assert.equal(solo.okta.sent(OKTA_FACTOR_IDS.push), 1);
      // The pipeline document, authn, verify, 2 polls, embed link, SSO page.
      assert.equal(solo.okta.requests.length, 7);
      // Two polls about 2 s apart.
      assert.ok(approved.ms >= 2 * PUSH_POLL_MS, `${approved.ms} ms`);
    });
    await t.step("number challenge: the terminal shows the number", () => {
      assertLoggedIn(stack, number);
      assert.equal(count(number.tty, APPROVE), 1, number.tty);
      // Shown once although every WAITING answer repeats it.
      assert.equal(count(number.tty, "Tap 92 on your device"), 1, number.tty);
    });
    await t.step("rejected", () => {
      assertFailed(stack, rejected, /push was rejected/);
      assert.ok(rejected.tty.includes(APPROVE));
    });
    await t.step("Okta answers TIMEOUT", () => {
      assertFailed(stack, timeout, /timed out at Okta \(TIMEOUT\)/);
      assert.match(timeout.stderr, /--mfa-timeout/);
    });
    await t.step("--mfa-timeout 1 ends the wait", () => {
      assertFailed(stack, deadline, /timed out.*within 1 s.*--mfa-timeout/);
      assert.ok(deadline.tty.includes(APPROVE));
      assert.ok(deadline.ms < approved.ms, `${deadline.ms} ms`);
    });
    await t.step("Ctrl-C while waiting stops at once", () => {
      // SIGINT from the terminal driver: the terminal is restored, exit 130.
      assert.equal(interrupted.code, 130, interrupted.stderr);
      assert.equal(
        interrupted.stderr,
        "awsprocesscreds-saml: Interrupted by SIGINT\n",
      );
      assert.equal(interrupted.stdout, "");
      assert.deepEqual(interrupted.unanswered, []);
      assert.ok(interrupted.ms < approved.ms, `${interrupted.ms} ms`);
    });
  },
);

e2eTest("okta mfa e2e: totp right first time, verbose log clean", async () => {
  await using stack = await startStack(STACK);
  const result = await login(stack, "totp@example.com", {
    args: ["-v"],
    tty: [{ expect: "Okta Verify code: ", send: type(TOTP_CODE) }],
  });
  assertLoggedIn(stack, result);
  assert.match(result.stderr, /Okta MFA: using Okta Verify code/);
  // The leak check has something to look for.
  assert.equal(stateTokens(stack.okta).length, 1);
  assert.ok(leaks(`x ${TOTP_CODE}.`, TOTP_CODE));
  assert.ok(!leaks("arn:aws:iam::123456789012:role/dev", TOTP_CODE));
  assert.ok(!result.tty.includes("Wrong code"));
  assert.equal(count(result.tty, "Okta Verify code: "), 1);
});

e2eTest("okta mfa e2e: totp wrong, then right", async () => {
  await using stack = await startStack(STACK);
  const result = await login(stack, "totp@example.com", {
    tty: [
      { expect: "Okta Verify code: ", send: type(WRONG) },
      { expect: "Wrong code, try again", send: "" },
      { expect: "Okta Verify code: ", send: type(TOTP_CODE) },
    ],
  });
  assertLoggedIn(stack, result);
  assert.equal(count(result.tty, "Okta Verify code: "), 2);
  assert.equal(verifyPosts(stack.okta, "totp").length, 2);
});

e2eTest("okta mfa e2e: Google Authenticator code", async () => {
  await using stack = await startStack(STACK);
  const result = await login(stack, "google@example.com", {
    tty: [{ expect: "Google Authenticator code: ", send: type(TOTP_CODE) }],
  });
  assertLoggedIn(stack, result);
});

e2eTest("okta mfa e2e: three wrong codes fail", async () => {
  await using stack = await startStack(STACK);
  const result = await login(stack, "totp@example.com", {
    args: ["-v"],
    tty: [
      { expect: "Okta Verify code: ", send: type(WRONG) },
      { expect: "Okta Verify code: ", send: type(WRONG) },
      { expect: "Okta Verify code: ", send: type(WRONG) },
    ],
  });
  assertFailed(stack, result, /not accepted 3 times/);
  assert.equal(count(result.tty, "Okta Verify code: "), 3);
  assert.equal(count(result.tty, "Wrong code, try again"), 2);
  assert.equal(verifyPosts(stack.okta, "totp").length, 3);
});

e2eTest(
  "okta mfa e2e: sms sends, Enter resends, then the code verifies",
  async () => {
    await using stack = await startStack(STACK);
    const result = await login(stack, "sms@example.com", {
      args: ["-v"],
      tty: [
        { expect: "SMS code (Enter to resend): ", send: type("") },
        { expect: "SMS code (Enter to resend): ", send: type(SENT_CODE) },
      ],
    });
    assertLoggedIn(stack, result);
    assert.ok(
      result.tty.includes("Code sent by SMS to +1 XXX-XXX-1234"),
      result.tty,
    );
    assert.ok(result.tty.includes("Code sent again by SMS"), result.tty);
    assert.equal(stack.okta.sent(OKTA_FACTOR_IDS.sms), 2);
    const paths = verifyPosts(stack.okta, "sms").map((r) => r.path);
    assert.deepEqual(paths.map((p) => p.replace(/^.*\/verify/, "verify")), [
      "verify",
      "verify/resend",
      "verify",
    ]);
  },
);

e2eTest("okta mfa e2e: voice call", async () => {
  await using stack = await startStack(STACK);
  const result = await login(stack, "call@example.com", {
    tty: [{ expect: "(Enter to call again): ", send: type(SENT_CODE) }],
  });
  assertLoggedIn(stack, result);
  assert.ok(result.tty.includes("Calling +1 XXX-XXX-1234"), result.tty);
  assert.equal(stack.okta.sent(OKTA_FACTOR_IDS.call), 1);
});

e2eTest("okta mfa e2e: email, with a resend and a wrong code", async () => {
  await using stack = await startStack(STACK);
  const result = await login(stack, "email@example.com", {
    tty: [
      { expect: "Email code (Enter to resend): ", send: type("") },
      { expect: "Email code (Enter to resend): ", send: type(WRONG) },
      { expect: "Email code (Enter to resend): ", send: type(SENT_CODE) },
    ],
  });
  assertLoggedIn(stack, result);
  assert.ok(
    result.tty.includes("Code sent by email to u...r@example.com"),
    result.tty,
  );
  assert.ok(result.tty.includes("Wrong code, try again"), result.tty);
  assert.equal(stack.okta.sent(OKTA_FACTOR_IDS.email), 2);
});

e2eTest("okta mfa e2e: YubiKey OTP", async () => {
  await using stack = await startStack(STACK);
  const result = await login(stack, "yubikey@example.com", {
    tty: [{ expect: "YubiKey: press the button: ", send: type(YUBIKEY_OTP) }],
  });
  assertLoggedIn(stack, result);
});

e2eTest("okta mfa e2e: several factors, menu on the terminal", async () => {
  await using stack = await startStack(STACK);
  const result = await login(stack, "multi@example.com", {
    tty: [
      { expect: "Choose 1-3: ", send: type("2") },
      { expect: "Okta Verify code: ", send: type(TOTP_CODE) },
    ],
  });
  assertLoggedIn(stack, result);
  for (
    const item of [
      "1) Okta Verify push (Emulated iPhone)",
      "2) Okta Verify code",
      "3) SMS to +1 XXX-XXX-1234",
    ]
  ) {
    assert.ok(result.tty.includes(item), result.tty);
  }
  assert.equal(stack.okta.sent(OKTA_FACTOR_IDS.push), 0);
  assert.equal(stack.okta.sent(OKTA_FACTOR_IDS.sms), 0);
});

e2eTest("okta mfa e2e: --mfa picks the factor without a menu", async () => {
  await using stack = await startStack(STACK);
  const result = await login(stack, "multi@example.com", {
    args: ["--mfa", "sms"],
    tty: [{ expect: "SMS code (Enter to resend): ", send: type(SENT_CODE) }],
  });
  assertLoggedIn(stack, result);
  assert.ok(!result.tty.includes("Choose"), result.tty);
  assert.equal(stack.okta.sent(OKTA_FACTOR_IDS.sms), 1);
});

e2eTest(
  "okta mfa e2e: --mfa for a factor not enrolled lists the enrolled ones",
  async () => {
    await using stack = await startStack(STACK);
    const result = await login(stack, "totp@example.com", {
      args: ["--mfa", "push"],
      tty: [],
    });
    assertFailed(
      stack,
      result,
      /--mfa push.*no such factor.*Okta Verify code \[--mfa totp\]/,
    );
    assert.equal(result.tty, "");
  },
);

e2eTest("okta mfa e2e: Duo only, the error names the factor", async () => {
  await using stack = await startStack(STACK);
  const result = await login(stack, "duo@example.com", { tty: [] });
  assertFailed(stack, result, /Duo Security \(web\)/);
  assert.match(result.stderr, /cannot use/);
  assert.equal(result.tty, "");
});

e2eTest(
  "okta mfa e2e: several factors without a terminal lists them and --mfa",
  async () => {
    await using stack = await startStack(STACK);
    const result = await login(stack, "multi@example.com");
    assertFailed(stack, result, /no terminal/);
    for (
      const name of [
        "Okta Verify push (Emulated iPhone) [--mfa push]",
        "Okta Verify code [--mfa totp]",
        "SMS to +1 XXX-XXX-1234 [--mfa sms]",
        "--mfa push|totp|sms",
      ]
    ) {
      assert.ok(result.stderr.includes(name), result.stderr);
    }
    assert.equal(stack.okta.sent(OKTA_FACTOR_IDS.push), 0);
  },
);

e2eTest(
  "okta mfa e2e: AWSPROCESSCREDS_MFA_CODE without a terminal",
  async (t) => {
    await using stack = await startStack(STACK);
    const [right, wrong, multi] = await Promise.all([
      login(stack, "totp@example.com", {
        args: ["-v"],
        env: { AWSPROCESSCREDS_MFA_CODE: TOTP_CODE },
      }),
      login(stack, "google@example.com", {
        env: { AWSPROCESSCREDS_MFA_CODE: WRONG },
      }),
      login(stack, "multi@example.com", {
        args: ["--mfa", "totp"],
        env: { AWSPROCESSCREDS_MFA_CODE: TOTP_CODE },
      }),
    ]);
    await t.step("right code", () => {
      assertLoggedIn(stack, right);
      assert.match(right.stderr, /AWSPROCESSCREDS_MFA_CODE/);
    });
    await t.step("wrong code fails at once", () => {
      assertFailed(stack, wrong, /AWSPROCESSCREDS_MFA_CODE.*no terminal/);
      assert.equal(wrong.stderr.trim().split("\n").length, 1, wrong.stderr);
    });
    await t.step("with --mfa among several factors", () => {
      assertLoggedIn(stack, multi);
    });
  },
);

e2eTest(
  "okta mfa e2e: a wrong AWSPROCESSCREDS_MFA_CODE asks on the terminal",
  async () => {
    await using stack = await startStack(STACK);
    const result = await login(stack, "totp@example.com", {
      env: { AWSPROCESSCREDS_MFA_CODE: WRONG },
      tty: [{ expect: "Okta Verify code: ", send: type(TOTP_CODE) }],
    });
    assertLoggedIn(stack, result);
    assert.equal(count(result.tty, "Okta Verify code: "), 1);
    assert.ok(!result.tty.includes(WRONG), "the env code was shown");
  },
);

e2eTest("okta mfa e2e: password warning, then MFA", async () => {
  await using stack = await startStack(STACK);
  const result = await login(stack, "warn-mfa@example.com", {
    env: { AWSPROCESSCREDS_PASSWORD: "" },
    tty: [
      { expect: "Password: ", send: type(PASSWORD) },
      { expect: "Okta Verify code: ", send: type(TOTP_CODE) },
    ],
  });
  assertLoggedIn(stack, result);
  const warned = result.tty.indexOf("password expires soon");
  assert.ok(warned >= 0, result.tty);
  assert.ok(warned < result.tty.indexOf("Okta Verify code: "));
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
});

e2eTest("okta mfa e2e: Ctrl-C at the code prompt exits 130", async () => {
  await using stack = await startStack(STACK);
  const result = await login(stack, "totp@example.com", {
    tty: [{ expect: "Okta Verify code: ", send: "\x03" }],
  });
  assertFailed(stack, result, /Interrupted/, 130);
});

// ---------------------------------------------------------------------------
// In process: scripted Prompter, fake clock
// ---------------------------------------------------------------------------

interface Harness {
  ctx: LoginContext;
  api: OktaApi;
  prompter: ScriptedPrompter;
  sleeps: number[];
  logs: string[];
}

function harness(options: {
  fetch: typeof fetch;
  answers?: string[] | null;
  mfa?: MfaKind;
  mfaTimeoutMs?: number;
  envCode?: string;
  endpoint?: string;
}): Harness {
  const clock = fakeClock();
  const sleeps = clock.sleeps;
  const logs: string[] = [];
  const logger = createLogger((line) => logs.push(line), true);
  const prompter = scriptedPrompter(
    options.answers === undefined ? [] : options.answers,
  );
  const http = new HttpSession({
    fetch: options.fetch,
    clock,
    logger,
    timeoutMs: 10_000,
  });
  let envCode = options.envCode;
  const ctx: LoginContext = {
    http,
    prompter,
    logger,
    clock,
    endpoint: new URL(options.endpoint ?? "https://okta.invalid/home/app"),
    username: "monty@example.com",
    password: () => Promise.resolve(PASSWORD),
    mfaTimeoutMs: options.mfaTimeoutMs ?? 60_000,
    takeEnvCode() {
      const code = envCode;
      envCode = undefined;
      return code;
    },
  };
  if (options.mfa) ctx.mfa = options.mfa;
  return {
    ctx,
    api: new OktaApi(http, clock, logger, ctx.endpoint),
    prompter,
    sleeps,
    logs,
  };
}

async function withEmulator(
  options: OktaOptions,
  fn: (okta: OktaEmulator) => Promise<void>,
): Promise<void> {
  const okta = startOkta(options);
  try {
    await fn(okta);
  } finally {
    await okta.close();
  }
}

Deno.test("okta mfa in-process: push polls every 2 s on the clock, says it once", async () => {
  await withEmulator({ pushPolls: 3 }, async (okta) => {
    const h = harness({ fetch: tlsFetch, endpoint: okta.embedUrl });
    const token = await oktaSessionToken(
      { ...h.ctx, username: "push-number@example.com" },
      h.api,
    );
    assert.match(token, /^20111/);
    assert.deepEqual(h.sleeps, [PUSH_POLL_MS, PUSH_POLL_MS, PUSH_POLL_MS]);
    assert.deepEqual(h.prompter.transcript, [
      APPROVE,
      "Tap 92 on your device",
    ]);
  });
});

Deno.test("okta mfa in-process: the push deadline follows the clock", async () => {
  await withEmulator({ pushPolls: 100 }, async (okta) => {
    const h = harness({
      fetch: tlsFetch,
      endpoint: okta.embedUrl,
      mfaTimeoutMs: 5_000,
    });
    await assert.rejects(
      oktaSessionToken({ ...h.ctx, username: "push@example.com" }, h.api),
      (e) =>
        e instanceof MfaError && /within 5 s/.test(e.message) &&
        /--mfa-timeout/.test(e.message),
    );
    assert.deepEqual(h.sleeps, [2000, 2000, 1000]);
  });
});

Deno.test("okta mfa in-process: emulator totp, wrong then right; logs clean", async () => {
  await withEmulator({}, async (okta) => {
    const h = harness({
      fetch: tlsFetch,
      endpoint: okta.embedUrl,
      answers: [WRONG, TOTP_CODE],
    });
    await oktaSessionToken({ ...h.ctx, username: "totp@example.com" }, h.api);
    assert.deepEqual(h.prompter.transcript, [
      "Okta Verify code: ",
      `> ${WRONG}`,
      "Wrong code, try again.",
      "Okta Verify code: ",
      `> ${TOTP_CODE}`,
    ]);
    const log = h.logs.join("");
    for (const secret of [...SECRETS, ...stateTokens(okta)]) {
      assert.ok(!leaks(log, secret), `the log leaks ${secret}: ${log}`);
    }
    assert.match(log, /E0000068/);
  });
});

Deno.test("okta mfa in-process: emulator, empty answers for a TOTP do not count as tries", async () => {
  await withEmulator({}, async (okta) => {
    const h = harness({
      fetch: tlsFetch,
      endpoint: okta.embedUrl,
      answers: ["", "  ", TOTP_CODE],
    });
    await oktaSessionToken({ ...h.ctx, username: "google@example.com" }, h.api);
    assert.equal(
      h.prompter.transcript.filter((l) => l === "Please enter the code.")
        .length,
      2,
    );
    assert.equal(
      okta.requests.filter((r) => r.path.includes("/verify")).length,
      1,
    );
  });
});

// A scripted Okta: each POST path answers from a queue of replies.

type Reply = unknown | Response;

interface FakeOkta {
  fetch: typeof fetch;
  /** POSTed bodies, as [path, body]. */
  posts: [string, Record<string, unknown>][];
}

function fakeOkta(routes: Record<string, Reply[]>): FakeOkta {
  const posts: [string, Record<string, unknown>][] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    posts.push([url.pathname, JSON.parse(String(init?.body ?? "{}"))]);
    const queue = routes[url.pathname];
    const reply = queue?.length ? queue.shift() : undefined;
    if (reply === undefined) {
      return Promise.resolve(
        Response.json({ errorCode: "E0000007" }, { status: 404 }),
      );
    }
    return Promise.resolve(
      reply instanceof Response ? reply : Response.json(reply),
    );
  };
  return { fetch, posts };
}

const BASE = "https://okta.invalid";
const STATE = "00scriptedStateToken0000000000";

function factor(
  id: string,
  factorType: string,
  provider: string,
  profile: Record<string, unknown> = {},
): OktaFactor {
  return {
    id,
    factorType,
    provider,
    profile,
    _links: {
      verify: { href: `${BASE}/api/v1/authn/factors/${id}/verify` },
    },
  };
}

const PUSH = factor("opfPUSH", "push", "OKTA", { name: "Monty's iPhone" });
const TOTP = factor("ostTOTP", "token:software:totp", "OKTA");
const GOOGLE = factor("uftGOOG", "token:software:totp", "GOOGLE");
const SMS = factor("smsSMS", "sms", "OKTA", { phoneNumber: "+1 XXX-XXX-9999" });
const DUO = factor("dsfDUO", "web", "DUO");
const WEBAUTHN = factor("fwfKEY", "webauthn", "FIDO");

function required(...factors: OktaFactor[]): OktaTransaction {
  return {
    status: "MFA_REQUIRED",
    stateToken: STATE,
    _embedded: { factors },
  };
}

function challenge(
  f: OktaFactor,
  extra: Partial<OktaTransaction> = {},
): OktaTransaction {
  const verify = f._links!.verify!.href;
  return {
    status: "MFA_CHALLENGE",
    stateToken: STATE,
    _embedded: { factor: f },
    _links: {
      next: { name: "verify", href: verify },
      resend: [{ name: f.factorType, href: `${verify}/resend` }],
    },
    ...extra,
  };
}

const SUCCESS = { status: "SUCCESS", sessionToken: "20111scripted" };
const path = (f: OktaFactor, suffix = "") =>
  `/api/v1/authn/factors/${f.id}/verify${suffix}`;

function oktaError(status: number, errorCode: string, summary = errorCode) {
  return Response.json({ errorCode, errorSummary: summary, errorCauses: [] }, {
    status,
  });
}

Deno.test("okta mfa in-process: a changed push number is shown again", async () => {
  const numbered = (n: number) =>
    challenge(PUSH, {
      factorResult: "WAITING",
      _embedded: {
        factor: { ...PUSH, _embedded: { challenge: { correctAnswer: n } } },
      },
    });
  const okta = fakeOkta({
    [path(PUSH)]: [numbered(11), numbered(11), numbered(37), SUCCESS],
  });
  const h = harness({ fetch: okta.fetch });
  const tx = await completeOktaMfa(h.ctx, h.api, required(PUSH));
  assert.equal(tx.status, "SUCCESS");
  assert.deepEqual(h.prompter.transcript, [
    APPROVE,
    "Tap 11 on your device",
    "Tap 37 on your device",
  ]);
  assert.ok(okta.posts.every(([, body]) => body.stateToken === STATE));
});

Deno.test("okta mfa in-process: unexpected push answers are errors that name them", async (t) => {
  const cases: [string, OktaTransaction, RegExp][] = [
    [
      "unknown factorResult",
      challenge(PUSH, { factorResult: "PUZZLED" }),
      /unexpected push result "PUZZLED"/,
    ],
    [
      "no factorResult",
      challenge(PUSH),
      /no factorResult/,
    ],
    [
      "WAITING without a poll link",
      { status: "MFA_CHALLENGE", stateToken: STATE, factorResult: "WAITING" },
      /no poll link/,
    ],
    [
      "CANCELLED",
      challenge(PUSH, { factorResult: "CANCELLED" }),
      /cancelled/,
    ],
    [
      "MFA_REQUIRED again",
      required(PUSH),
      /MFA_REQUIRED/,
    ],
  ];
  for (const [name, reply, message] of cases) {
    await t.step(name, async () => {
      const h = harness({ fetch: fakeOkta({ [path(PUSH)]: [reply] }).fetch });
      await assert.rejects(
        completeOktaMfa(h.ctx, h.api, required(PUSH)),
        (e) => e instanceof MfaError && message.test(e.message),
      );
    });
  }
  await t.step(
    "an unknown transaction status goes back to the caller",
    async () => {
      const h = harness({
        fetch: fakeOkta({ [path(PUSH)]: [{ status: "SOMETHING_NEW" }] }).fetch,
      });
      const tx = await completeOktaMfa(h.ctx, h.api, required(PUSH));
      assert.equal(tx.status, "SOMETHING_NEW");
    },
  );
  await t.step("a body that is not JSON", async () => {
    const h = harness({
      fetch: fakeOkta({
        [path(PUSH)]: [new Response("<html>oops</html>", { status: 200 })],
      }).fetch,
    });
    await assert.rejects(
      completeOktaMfa(h.ctx, h.api, required(PUSH)),
      (e) => e instanceof LoginError && /not Okta JSON/.test(e.message),
    );
  });
});

Deno.test("okta mfa in-process: SMS send answered 429, the code is still asked for", async () => {
  const okta = fakeOkta({
    [path(SMS)]: [
      oktaError(429, "E0000109", "An SMS message was recently sent."),
      SUCCESS,
    ],
  });
  const h = harness({ fetch: okta.fetch, answers: [SENT_CODE] });
  const tx = await completeOktaMfa(h.ctx, h.api, required(SMS));
  assert.equal(tx.status, "SUCCESS");
  assert.match(h.prompter.transcript[0], /did not send a new code/);
  assert.deepEqual(okta.posts.map(([p, b]) => [p, b.passCode]), [
    [path(SMS), undefined],
    [path(SMS), SENT_CODE],
  ]);
});

Deno.test("okta mfa in-process: SMS resend answered 429 keeps asking", async () => {
  const okta = fakeOkta({
    [path(SMS)]: [challenge(SMS), SUCCESS],
    [path(SMS, "/resend")]: [oktaError(429, "E0000109")],
  });
  const h = harness({ fetch: okta.fetch, answers: ["", SENT_CODE] });
  const tx = await completeOktaMfa(h.ctx, h.api, required(SMS));
  assert.equal(tx.status, "SUCCESS");
  assert.ok(
    h.prompter.transcript.some((l) => /did not resend the code yet/.test(l)),
    h.prompter.transcript.join("\n"),
  );
  assert.equal(h.prompter.transcript[0], "Code sent by SMS to +1 XXX-XXX-9999");
});

Deno.test("okta mfa in-process: replayed code and other Okta errors", async (t) => {
  await t.step("E0000082 asks again with its own message", async () => {
    const okta = fakeOkta({
      [path(TOTP)]: [oktaError(403, "E0000082"), SUCCESS],
    });
    const h = harness({ fetch: okta.fetch, answers: [TOTP_CODE, "654321"] });
    await completeOktaMfa(h.ctx, h.api, required(TOTP));
    assert.ok(h.prompter.transcript.some((l) => /already used/.test(l)));
  });
  await t.step("E0000069 (factor locked) is not retried", async () => {
    const okta = fakeOkta({
      [path(TOTP)]: [oktaError(403, "E0000069", "User Locked")],
    });
    const h = harness({ fetch: okta.fetch, answers: [TOTP_CODE] });
    await assert.rejects(
      completeOktaMfa(h.ctx, h.api, required(TOTP)),
      (e) => e instanceof OktaApiError && e.errorCode === "E0000069",
    );
    assert.equal(okta.posts.length, 1);
  });
});

Deno.test("okta mfa in-process: factor choice", async (t) => {
  await t.step("no factors listed", async () => {
    const h = harness({ fetch: fakeOkta({}).fetch });
    await assert.rejects(
      completeOktaMfa(h.ctx, h.api, required()),
      (e) =>
        e instanceof MfaError && /lists no enrolled factor/.test(e.message),
    );
    const weird = { ...required(), _embedded: { factors: "nope" } };
    await assert.rejects(
      completeOktaMfa(h.ctx, h.api, weird as unknown as OktaTransaction),
      MfaError,
    );
  });
  await t.step(
    "unsupported factors are named, supported ones offered",
    async () => {
      const okta = fakeOkta({ [path(TOTP)]: [SUCCESS] });
      const h = harness({ fetch: okta.fetch, answers: ["2", TOTP_CODE] });
      await completeOktaMfa(h.ctx, h.api, required(DUO, PUSH, TOTP, WEBAUTHN));
      const text = h.prompter.transcript.join("\n");
      assert.match(
        text,
        /not usable with this tool: Duo Security \(web\), Security key or biometric \(WebAuthn\)/,
      );
      assert.match(
        text,
        /1\) Okta Verify push \(Monty's iPhone\)\n {2}2\) Okta Verify code\n/,
      );
    },
  );
  await t.step(
    "one supported factor among unsupported is used directly",
    async () => {
      const okta = fakeOkta({ [path(TOTP)]: [SUCCESS] });
      const h = harness({ fetch: okta.fetch, answers: [TOTP_CODE] });
      await completeOktaMfa(h.ctx, h.api, required(DUO, TOTP));
      assert.deepEqual(h.prompter.transcript, [
        "Okta Verify code: ",
        `> ${TOTP_CODE}`,
      ]);
    },
  );
  await t.step("only unsupported factors", async () => {
    const h = harness({ fetch: fakeOkta({}).fetch });
    await assert.rejects(
      completeOktaMfa(h.ctx, h.api, required(DUO, WEBAUTHN)),
      (e) =>
        e instanceof MfaError &&
        /these factors.*Duo Security \(web\), Security key/.test(e.message),
    );
  });
  await t.step(
    "--mfa totp with two TOTP apps: the first, never a menu",
    async () => {
      const okta = fakeOkta({
        [path(GOOGLE)]: [SUCCESS],
        [path(TOTP)]: [SUCCESS, SUCCESS],
      });
      const h = harness({
        fetch: okta.fetch,
        mfa: "totp",
        answers: [TOTP_CODE],
      });
      await completeOktaMfa(h.ctx, h.api, required(PUSH, TOTP, GOOGLE));
      assert.equal(okta.posts[0][0], path(TOTP));
      assert.ok(!h.prompter.transcript.some((l) => l.startsWith("Choose")));
      const h2 = harness({
        fetch: okta.fetch,
        mfa: "totp",
        answers: null,
        envCode: TOTP_CODE,
      });
      await completeOktaMfa(h2.ctx, h2.api, required(PUSH, TOTP, GOOGLE));
      assert.equal(okta.posts[1][0], path(TOTP));
    },
  );
  await t.step("three invalid menu answers", async () => {
    const h = harness({ fetch: fakeOkta({}).fetch, answers: ["9", "x", ""] });
    await assert.rejects(
      completeOktaMfa(h.ctx, h.api, required(PUSH, TOTP)),
      (e) => e instanceof MfaError && /no valid factor/.test(e.message),
    );
  });
  await t.step("a code factor without a terminal or env code", async () => {
    const h = harness({ fetch: fakeOkta({}).fetch, answers: null });
    await assert.rejects(
      completeOktaMfa(h.ctx, h.api, required(TOTP)),
      (e) =>
        e instanceof NoTerminalError &&
        /^Cannot ask for Okta Verify code: .*AWSPROCESSCREDS_MFA_CODE/.test(
          e.message,
        ),
    );
  });
});

Deno.test("okta mfa in-process: an MFA_CHALLENGE handed in is continued", async () => {
  const okta = fakeOkta({ [path(SMS)]: [SUCCESS] });
  const h = harness({ fetch: okta.fetch, answers: [SENT_CODE] });
  const tx = await completeOktaMfa(h.ctx, h.api, challenge(SMS));
  assert.equal(tx.status, "SUCCESS");
  assert.deepEqual(okta.posts, [[path(SMS), {
    stateToken: STATE,
    passCode: SENT_CODE,
  }]]);
});

Deno.test("okta mfa: factor names and kinds", () => {
  const table: [OktaFactor, string, MfaKind | undefined][] = [
    [PUSH, "Okta Verify push (Monty's iPhone)", "push"],
    [{ ...PUSH, profile: {} }, "Okta Verify push", "push"],
    [TOTP, "Okta Verify code", "totp"],
    [GOOGLE, "Google Authenticator code", "totp"],
    [SMS, "SMS to +1 XXX-XXX-9999", "sms"],
    [
      factor("c", "call", "OKTA", { phoneNumber: "+1 5" }),
      "Voice call to +1 5",
      "call",
    ],
    [
      factor("e", "email", "OKTA", { email: "m...y@x" }),
      "Email to m...y@x",
      "email",
    ],
    [factor("y", "token:hardware", "YUBICO"), "YubiKey", "yubikey"],
    [DUO, "Duo Security (web)", undefined],
    [WEBAUTHN, "Security key or biometric (WebAuthn)", undefined],
    [factor("u", "u2f", "FIDO"), "U2F security key", undefined],
    [factor("q", "question", "OKTA"), "Security question", undefined],
    [factor("r", "token", "RSA"), "RSA SecurID", undefined],
    [factor("z", "mystery", "ACME"), "mystery (ACME)", undefined],
  ];
  for (const [f, label, kind] of table) {
    assert.equal(factorInfo(f).label, label);
    assert.equal(factorInfo(f).kind, kind);
  }
});
