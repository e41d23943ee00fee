/**
 * End to end: the program stays trustworthy when the identity provider is
 * hostile or things break. Each test runs main.ts as the AWS CLI does
 * (stdin not a terminal, stdout and stderr pipes; a pty when a person must
 * answer, else no controlling terminal) against the hostile IdP of
 * tests/emulators/hostile.ts and the STS emulator.
 *
 * Covered here: secrets go only to the origin that asked for them; a
 * malformed Location leaks no query; partial-IP cookie domains; STS over
 * plain HTTP; control characters from the network; the push number; signals
 * at a prompt and during a push; no secret in a -v log. Oversized and forged
 * answers (bodies, SAML responses) are in hardening_answers_test.ts; the
 * cache, HOME and lock cases in hardening_cache_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { PASSWORD, ROLE_DEV } from "./emulators/fixtures.ts";
import {
  type HostileIdp,
  type HostileOptions,
  startHostile,
} from "./emulators/hostile.ts";
import { caFile } from "./emulators/server.ts";
import { startSts, type StsEmulator } from "./emulators/sts.ts";
import {
  baseEnv,
  type CliResult,
  e2eTest,
  mainTs,
  parseCredentials,
  runCli,
  type TtyStep,
} from "./support/cli.ts";

const ptyRun = new URL("./support/pty_run.py", import.meta.url).pathname;

/** Text from the network with every kind of control character in it. */
const EVIL =
  "Denied\x1b[2J\x1b]0;owned\x07\x9b31mFAKE\rOVERWRITE\tTAB\x00\x7fEND\nnext line";
/** Control characters that must never reach stderr or the terminal (newline may). */
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** A hostile IdP and an STS emulator. */
interface World extends AsyncDisposable {
  idp: HostileIdp;
  sts: StsEmulator;
  /**
   * Runs main.ts against them in a fresh HOME, with the password in the
   * environment unless `env` sets AWSPROCESSCREDS_PASSWORD.
   */
  run(args: string[], options?: RunOptions): Promise<CliResult>;
  /** Runs main.ts at a pty, reporting the terminal's mode after it exits. */
  pty(
    args: string[],
    steps: PtyStep[],
    options?: RunOptions,
  ): Promise<PtyResult>;
}

interface RunOptions {
  env?: Record<string, string>;
  tty?: TtyStep[];
  timeout?: number;
  /** Replace `deno run … main.ts`. */
  command?: string[];
}

/** A pty step: answer with `send`, or send the child `signal`. */
interface PtyStep {
  expect: string;
  send?: string;
  signal?: number;
}

interface PtyResult extends CliResult {
  termios: { echo: boolean; icanon: boolean; isig: boolean } | null;
  timed_out: boolean;
}

async function tempHome(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "apc-hard-" });
}

function world(options: HostileOptions): World {
  const idp = startHostile(options);
  const sts = startSts();
  const homes: string[] = [];
  const envFor = (extra: Record<string, string> = {}) => ({
    AWS_ENDPOINT_URL_STS: sts.url,
    AWSPROCESSCREDS_PASSWORD: PASSWORD,
    ...extra,
  });
  return {
    idp,
    sts,
    async run(args, runOptions = {}) {
      const home = await tempHome();
      homes.push(home);
      return await runCli([...idp.args(), ...args], {
        home,
        env: envFor(runOptions.env),
        tty: runOptions.tty,
        timeout: runOptions.timeout ?? 60,
        command: runOptions.command,
      });
    },
    async pty(args, steps, runOptions = {}) {
      const home = await tempHome();
      homes.push(home);
      return await runPty([...idp.args(), ...args], steps, {
        home,
        env: envFor(runOptions.env),
        timeout: runOptions.timeout ?? 60,
      });
    },
    async [Symbol.asyncDispose]() {
      await Promise.all([idp.close(), sts.close()]);
      for (const home of homes) {
        await Deno.remove(home, { recursive: true }).catch(() => {});
      }
    },
  };
}

/**
 * The pty branch of runCli (tests/support/cli.ts), keeping what pty_run.py
 * adds: signal steps and the terminal's mode after the child exits.
 */
async function runPty(
  args: string[],
  steps: PtyStep[],
  options: { home: string; env: Record<string, string>; timeout: number },
): Promise<PtyResult> {
  const env = { ...(await baseEnv(options.home)), ...options.env };
  const spec = {
    argv: [Deno.execPath(), "run", "-A", "--cached-only", mainTs, ...args],
    env,
    timeout: options.timeout,
    steps,
  };
  const started = performance.now();
  const out = await new Deno.Command("python3", {
    args: [ptyRun, JSON.stringify(spec)],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).output();
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  return { ...r, ms: performance.now() - started };
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

/** Exit 0, the credentials JSON alone on stdout. */
function assertCredentials(r: CliResult): void {
  assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const creds = parseCredentials(r.stdout);
  assert.match(creds.AccessKeyId, /^ASIA/);
}

/** Exit `code` (1), nothing on stdout, `texts` on stderr, and no secret anywhere. */
function assertFailure(
  r: CliResult,
  texts: string[],
  secrets: string[] = [],
  code = 1,
): void {
  assert.equal(r.code, code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stdout, "");
  for (const text of texts) {
    assert.ok(r.stderr.includes(text), `want ${text}\nstderr: ${r.stderr}`);
  }
  assertNoSecrets(r, [PASSWORD, ...secrets]);
}

function assertNoSecrets(r: CliResult, secrets: string[]): void {
  for (const secret of secrets) {
    assert.ok(!r.stderr.includes(secret), `${secret} on stderr: ${r.stderr}`);
    assert.ok(!r.tty.includes(secret), `${secret} on the terminal: ${r.tty}`);
  }
}

/** No control character but newline; on the terminal CR only in CRLF. */
function assertClean(text: string, where: string, terminal = false): void {
  const checked = terminal ? text.replace(/\r+\n/g, "\n") : text;
  assert.ok(
    !CONTROL.test(checked),
    `control characters on ${where}: ${JSON.stringify(text)}`,
  );
}

const refusal = (idp: HostileIdp) => [
  "Refusing to ",
  ` to ${new URL(idp.b.url).host}: it was asked for by ${
    new URL(idp.a.url).host
  }`,
];

// --- 4. the origin rule ---------------------------------------------------

e2eTest(
  "origin: an ADFS form whose action is on another origin is refused before the password is asked",
  async () => {
    await using w = world({ kind: "adfs", adfs: { actionOnB: true } });
    const [asked, fromEnv] = await Promise.all([
      // At a terminal with no password in the environment: no prompt at all.
      w.run(["-a", ROLE_DEV], {
        env: { AWSPROCESSCREDS_PASSWORD: "" },
        tty: [{ expect: "Password: ", send: "\x03" }],
      }),
      // With the password at hand: it is not sent.
      w.run(["-a", ROLE_DEV]),
    ]);
    for (const r of [asked, fromEnv]) {
      assertFailure(r, [
        ...refusal(w.idp),
        "post the ADFS sign-in form",
      ]);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
    }
    assert.deepEqual(asked.unanswered, ["Password: "], asked.tty);
    assert.ok(!asked.tty.includes("Password"), asked.tty);
    assert.deepEqual(w.idp.b.requests, []);
  },
);

for (const status of [307, 308] as const) {
  e2eTest(
    `origin: a ${status} answering the password POST with another origin is not re-posted`,
    async () => {
      await using w = world({
        kind: "adfs",
        adfs: { passwordRedirect: status },
      });
      const r = await w.run(["-a", ROLE_DEV]);
      assertFailure(r, [...refusal(w.idp), "send the form"]);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      // A received the password once; B received nothing.
      assert.equal(
        w.idp.a.requests.filter((q) => q.method === "POST").length,
        1,
      );
      assert.deepEqual(w.idp.b.requests, []);
    },
  );
}

e2eTest(
  "origin: Okta Classic verify, poll and next links on another origin are refused",
  async () => {
    const CODE = "135791";
    await using verify = world({
      kind: "okta",
      okta: {
        factors: [{ factorType: "push", provider: "OKTA", verifyOnB: true }],
      },
    });
    await using poll = world({
      kind: "okta",
      okta: {
        factors: [{ factorType: "push", provider: "OKTA" }],
        push: { pollOnB: true, correctAnswer: 42 },
      },
    });
    await using next = world({
      kind: "okta",
      okta: { challengeNextOnB: true },
    });
    const [rVerify, rPoll, rNext] = await Promise.all([
      // A short push wait: a program that followed the poll link to B would
      // wait there for an approval that never comes.
      verify.run(["-a", ROLE_DEV, "--mfa-timeout", "5"]),
      poll.run(["-a", ROLE_DEV, "--mfa-timeout", "5"]),
      next.run(["-a", ROLE_DEV], { env: { AWSPROCESSCREDS_MFA_CODE: CODE } }),
    ]);
    for (
      const [w, r] of [[verify, rVerify], [poll, rPoll], [next, rNext]] as const
    ) {
      assertFailure(r, refusal(w.idp), [
        w.idp.stateToken,
        w.idp.sessionToken,
        CODE,
      ]);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.deepEqual(
        w.idp.b.requests,
        [],
        "a request reached the other origin",
      );
      assert.equal(w.sts.calls.length, 0);
    }
    // The poll case did reach the push (A answered WAITING once).
    assert.ok(
      poll.idp.a.requests.some((q) => q.path.endsWith("/verify")),
      "the push was never sent",
    );
  },
);

e2eTest(
  "origin: a GET redirected to another origin still signs in there",
  async () => {
    await using w = world({ kind: "adfs", adfs: { entryToB: true } });
    const r = await w.run(["-a", ROLE_DEV]);
    assertCredentials(r);
    assert.equal(r.stderr, "");
    // A only answered the redirect; B served the form, took its own post and
    // handed out the assertion.
    assert.deepEqual(w.idp.a.requests.map((q) => q.method), ["GET"]);
    assert.deepEqual(w.idp.b.requests.map((q) => q.method), ["GET", "POST"]);
    assert.ok(w.idp.b.requests[1].body.includes("UserName="));
  },
);

// --- 5. a malformed Location ----------------------------------------------

e2eTest(
  "a malformed Location header gives a clean error without its query values",
  async () => {
    const secret = "s3cretSAMLvalue";
    const code = "97531864";
    await using w = world({
      kind: "adfs",
      adfs: {
        entryLocation: `https://[bad/x?SAMLResponse=${secret}&code=${code}`,
      },
    });
    const [plain, verbose] = await Promise.all([
      w.run(["-a", ROLE_DEV]),
      w.run(["-a", ROLE_DEV, "-v"]),
    ]);
    for (const r of [plain, verbose]) {
      assertFailure(r, [
        `Cannot follow the redirect from ${
          new URL(w.idp.a.url).host
        }: the Location header is not a URL`,
      ], [secret, code, "SAMLResponse="]);
      assert.ok(!r.stderr.includes("Unexpected error"), r.stderr);
    }
    assert.equal(lines(plain.stderr).length, 1, plain.stderr);
  },
);

// --- 6. cookie domains ----------------------------------------------------

e2eTest(
  "a cookie for a partial IP domain (Domain=0.0.1 from 127.0.0.1) is not sent back",
  async () => {
    await using w = world({
      kind: "adfs",
      setCookies: [
        "partial=p4rt1al; Domain=0.0.1; Path=/; Secure",
        "dotted=d0tt3d; Domain=.0.0.1; Path=/; Secure",
        "short=sh0rt; Domain=1; Path=/; Secure",
        "hostonly=h0st; Path=/; Secure",
      ],
    });
    const r = await w.run(["-a", ROLE_DEV]);
    assertCredentials(r);
    const post = w.idp.a.requests.find((q) => q.method === "POST");
    assert.ok(post, "no password POST");
    // The host-only cookie proves cookies do come back; the others must not.
    assert.equal(post.cookie, "hostonly=h0st");
  },
);

// --- 7. STS over plain HTTP -----------------------------------------------

/** A plain-HTTP server on 127.0.0.1 recording requests (proxy requests too). */
function plainHttp(
  handler: (req: Request) => Response | Promise<Response>,
): { url: string; requests: string[]; close(): Promise<void> } {
  const requests: string[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, (req) => {
    requests.push(`${req.method} ${req.url}`);
    return handler(req);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    close: () => server.shutdown(),
  };
}

e2eTest(
  "STS over http:// is refused before any request, except on loopback",
  async () => {
    await using w = world({ kind: "adfs" });
    // Where a request to http://sts.example.invalid would go: a proxy that
    // records it. Nothing may reach it.
    const proxy = plainHttp(() => new Response("no", { status: 502 }));
    // A plain-HTTP STS on loopback (LocalStack style): forwards to the emulator.
    const client = Deno.createHttpClient({
      caCerts: [Deno.readTextFileSync(caFile)],
    });
    const local = plainHttp(async (req) => {
      const url = new URL(req.url);
      const res = await fetch(`${w.sts.url}${url.pathname}${url.search}`, {
        method: req.method,
        headers: { "content-type": req.headers.get("content-type") ?? "" },
        body: req.method === "GET" ? undefined : await req.arrayBuffer(),
        client,
      } as RequestInit);
      return new Response(await res.arrayBuffer(), {
        status: res.status,
        headers: { "content-type": res.headers.get("content-type") ?? "" },
      });
    });
    try {
      const [remote, loopback] = await Promise.all([
        w.run(["-a", ROLE_DEV], {
          env: {
            AWS_ENDPOINT_URL_STS: "http://sts.example.invalid",
            HTTP_PROXY: proxy.url,
            http_proxy: proxy.url,
          },
        }),
        w.run(["-a", ROLE_DEV], { env: { AWS_ENDPOINT_URL_STS: local.url } }),
      ]);
      assert.deepEqual(proxy.requests, [], "a request left for STS over http");
      assertFailure(remote, [
        "Refusing to send the SAML assertion to STS at sts.example.invalid over http",
      ]);
      assert.equal(lines(remote.stderr).length, 1, remote.stderr);
      assertCredentials(loopback);
      assert.equal(local.requests.length, 1, local.requests.join("\n"));
      assert.equal(w.sts.calls.length, 1);
      assert.ok(w.sts.calls[0].ok);
    } finally {
      await Promise.all([proxy.close(), local.close()]);
      client.close();
    }
  },
);

// --- 8. control characters from the network -------------------------------

e2eTest(
  "escapes: an Okta error text reaches stderr without control characters",
  async () => {
    await using w = world({
      kind: "okta",
      okta: {
        authnError: { status: 403, errorCode: "E0000006", errorSummary: EVIL },
      },
    });
    const [plain, verbose] = await Promise.all([
      w.run(["-a", ROLE_DEV]),
      w.run(["-a", ROLE_DEV, "-v"]),
    ]);
    for (const r of [plain, verbose]) {
      assertFailure(r, ["FAKE", "OVERWRITE", "TAB", "END\nnext line"]);
      assertClean(r.stderr, "stderr");
    }
  },
);

e2eTest(
  "escapes: an ADFS code refusal reaches the terminal and stderr without control characters",
  async () => {
    await using w = world({ kind: "adfs", adfs: { codeError: EVIL } });
    const code = { expect: "Verification code: ", send: "111111\r" };
    const r = await w.run(["-a", ROLE_DEV], { tty: [code, code, code] });
    assertFailure(r, ["FAKE", "OVERWRITE"], [w.idp.context]);
    assert.deepEqual(r.unanswered, []);
    // The refusal was shown on the terminal twice, cleaned.
    assert.equal(r.tty.split("OVERWRITE").length - 1, 2, r.tty);
    assertClean(r.tty, "the terminal", true);
    assertClean(r.stderr, "stderr");
  },
);

e2eTest(
  "escapes: factor labels in a menu on the terminal carry no control characters",
  async () => {
    await using okta = world({
      kind: "okta",
      okta: {
        factors: [
          {
            factorType: "sms",
            provider: "OKTA",
            profile: { phoneNumber: EVIL },
          },
          {
            factorType: "call",
            provider: "OKTA",
            profile: { phoneNumber: `+1\x1b[1A\x9b2K555\r0100` },
          },
        ],
      },
    });
    await using adfs = world({
      kind: "adfs",
      adfs: { choice: [EVIL, "Text\x1b[8mHidden message"] },
    });
    const choose = [{ expect: "Choose 1-2: ", send: "\x03" }];
    const [rOkta, rAdfs] = await Promise.all([
      okta.run(["-a", ROLE_DEV], { tty: choose }),
      adfs.run(["-a", ROLE_DEV], { tty: choose }),
    ]);
    for (const r of [rOkta, rAdfs]) {
      assertFailure(r, [], [], 130);
      assert.deepEqual(r.unanswered, []);
      assert.ok(r.tty.includes("1) "), r.tty);
      assert.ok(r.tty.includes("FAKE"), r.tty);
      assertClean(r.tty, "the terminal", true);
      assertClean(r.stderr, "stderr");
    }
    assert.ok(rOkta.tty.includes("+1[1A2K5550100"), rOkta.tty);
    assert.ok(rAdfs.tty.includes("Text[8mHidden message"), rAdfs.tty);
  },
);

e2eTest(
  "escapes: an STS error message reaches stderr without control characters",
  async () => {
    await using w = world({ kind: "adfs" });
    w.sts.failNext = {
      status: 400,
      code: "ValidationError",
      message: "bad\x1b[2J\x07\x9b1mthing\r\tend",
    };
    const r = await w.run(["-a", ROLE_DEV]);
    // XML turns the carriage return into a newline (XML 1.0, 2.11), which
    // may stay; the rest is removed.
    assertFailure(r, ["ValidationError: bad[2J1mthing\nend"]);
    assertClean(r.stderr, "stderr");
  },
);

// --- 9. the push number ---------------------------------------------------

e2eTest("the Okta push number must be a small integer", async () => {
  const answers = ["9\x1b[31m", "1234", "ab"];
  const worlds = answers.map((correctAnswer) =>
    world({
      kind: "okta",
      okta: {
        factors: [{ factorType: "push", provider: "OKTA" }],
        push: { correctAnswer },
      },
    })
  );
  try {
    const results = await Promise.all(
      worlds.map((w) => w.run(["-a", ROLE_DEV, "--mfa-timeout", "3"])),
    );
    for (const [i, r] of results.entries()) {
      assertFailure(r, [
        "the push number from Okta is not a small number",
      ], [answers[i]]);
      assertClean(r.stderr, "stderr");
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      // Refused at once: no poll was sent.
      assert.equal(
        worlds[i].idp.a.requests.filter((q) => q.path.endsWith("/verify"))
          .length,
        1,
      );
    }
  } finally {
    for (const w of worlds) await w[Symbol.asyncDispose]();
  }
});

// --- 10. signals at a prompt ----------------------------------------------

e2eTest(
  "signals at the password prompt: 128+n, one line, the terminal restored",
  async () => {
    await using adfs = world({ kind: "adfs" });
    await using okta = world({
      kind: "okta",
      okta: { factors: [{ factorType: "push", provider: "OKTA" }] },
    });
    const noPassword = { env: { AWSPROCESSCREDS_PASSWORD: "" } };
    const cases = [
      { signal: 2, name: "SIGINT", code: 130, w: adfs, at: "Password: " },
      { signal: 15, name: "SIGTERM", code: 143, w: adfs, at: "Password: " },
      { signal: 1, name: "SIGHUP", code: 129, w: adfs, at: "Password: " },
      // During a push that is never approved (no prompt open).
      {
        signal: 15,
        name: "SIGTERM",
        code: 143,
        w: okta,
        at: "Approve the Okta Verify push",
      },
    ];
    const results = await Promise.all(cases.map((c) =>
      c.w.pty(
        ["-a", ROLE_DEV],
        [{ expect: c.at, signal: c.signal }],
        c.at === "Password: " ? noPassword : {},
      )
    ));
    for (const [i, r] of results.entries()) {
      const c = cases[i];
      const what = `${c.name} at ${c.at}`;
      assert.equal(r.code, c.code, `${what}: ${r.stderr}\n${r.tty}`);
      assert.deepEqual(r.unanswered, [], what);
      assert.equal(r.stdout, "", what);
      assert.equal(
        r.stderr,
        `awsprocesscreds-saml: Interrupted by ${c.name}\n`,
        what,
      );
      assert.deepEqual(
        r.termios && { echo: r.termios.echo, icanon: r.termios.icanon },
        { echo: true, icanon: true },
        `${what}: the terminal was left in raw mode`,
      );
    }
  },
);

// --- no secret in any log -------------------------------------------------

e2eTest(
  "no-terminal and -v runs print no password, code, token or cookie",
  async () => {
    const CODE = "246813";
    const COOKIE = "c00kieS3cretValue";
    await using okta = world({
      kind: "okta",
      setCookies: [`sid=${COOKIE}; Path=/; Secure`],
      okta: {
        factors: [{ factorType: "token:software:totp", provider: "GOOGLE" }],
      },
    });
    await using adfs = world({ kind: "adfs", adfs: { codeError: "No." } });
    const env = { AWSPROCESSCREDS_MFA_CODE: CODE };
    const [plain, verbose, adfsVerbose] = await Promise.all([
      okta.run(["-a", ROLE_DEV], { env }),
      okta.run(["-a", ROLE_DEV, "-v"], { env }),
      adfs.run(["-a", ROLE_DEV, "-v"], { env }),
    ]);
    for (const r of [plain, verbose]) {
      assertCredentials(r);
      const creds = parseCredentials(r.stdout);
      assertNoSecrets(r, [
        PASSWORD,
        CODE,
        COOKIE,
        okta.idp.stateToken,
        okta.idp.sessionToken,
        creds.SecretAccessKey,
        creds.SessionToken,
      ]);
    }
    assert.equal(plain.stderr, "");
    assert.ok(verbose.stderr.includes("sessionToken=REDACTED"), verbose.stderr);
    assertFailure(adfsVerbose, ["ADFS MFA failed"], [adfs.idp.context, CODE]);
    assert.ok(adfsVerbose.stderr.includes("Posting the ADFS code form"));
  },
);
