/**
 * End to end: main.ts against the Okta and STS emulators, run as the AWS CLI
 * runs credential_process, with a pseudo-terminal answering prompts.
 */
import assert from "node:assert/strict";
import {
  PASSWORD,
  ROLE_ADMIN,
  ROLE_DEV,
  ROLE_SHORT,
} from "./emulators/fixtures.ts";
import { e2eTest, parseCredentials } from "./support/cli.ts";
import { startStack } from "./support/stack.ts";

const password = [{ expect: "Password: ", send: `${PASSWORD}\r` }];

function assertNoSecrets(text: string, ...secrets: string[]) {
  for (const s of [PASSWORD, ...secrets]) {
    assert.ok(!text.includes(s), `leaked a secret: ${s.slice(0, 6)}…`);
  }
}

e2eTest(
  "okta: login prints exactly one JSON object and the prompt goes to the terminal",
  async () => {
    await using stack = await startStack();
    const r = await stack.run([
      ...stack.oktaArgs("alice@example.com"),
      "-a",
      ROLE_DEV,
    ], {
      tty: password,
    });
    assert.equal(r.code, 0, r.stderr);
    const creds = parseCredentials(r.stdout);
    assert.equal(creds.Version, 1);
    assert.match(creds.AccessKeyId, /^ASIA/);
    assert.match(creds.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(stack.sts.issued.at(-1)?.accessKeyId, creds.AccessKeyId);
    assert.equal(stack.sts.issued.at(-1)?.roleArn, ROLE_DEV);
    assert.match(r.tty, /^Password: /);
    assert.ok(!r.tty.includes(PASSWORD), "the password was echoed");
    assert.equal(r.stderr, "");
    assert.equal(stack.okta.authnCount(), 1);
  },
);

e2eTest("okta: the cookie set on the 302 reaches the SAML app", async () => {
  await using stack = await startStack();
  const r = await stack.run([
    ...stack.oktaArgs("alice@example.com"),
    "-a",
    ROLE_ADMIN,
  ], {
    tty: password,
  });
  assert.equal(r.code, 0, r.stderr);
  const sso = stack.okta.requests.find((q) => q.path.includes("/sso/saml"));
  assert.ok(sso, "the SAML app was not requested");
  assert.match(sso.cookie, /sid=/);
});

e2eTest(
  "okta: wrong password fails with a clear message and no secret",
  async () => {
    await using stack = await startStack();
    const r = await stack.run([
      ...stack.oktaArgs("alice@example.com"),
      "-a",
      ROLE_DEV,
    ], {
      tty: [{ expect: "Password: ", send: "not the password\r" }],
    });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /rejected the username or password \(HTTP 401, E0000004\)/,
    );
    assertNoSecrets(r.stderr, "not the password");
  },
);

e2eTest("okta: a role not granted lists the granted ones", async () => {
  await using stack = await startStack();
  const r = await stack.run([
    ...stack.oktaArgs("solo@example.com"),
    "-a",
    ROLE_ADMIN,
  ], {
    tty: password,
  });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    /Cannot assume role .*role\/admin: the IdP does not grant it/,
  );
  assert.match(r.stderr, /role\/dev/);
  assert.equal(stack.sts.calls.length, 0);
});

e2eTest("okta: without -a a single granted role is used", async () => {
  await using stack = await startStack();
  const r = await stack.run(stack.oktaArgs("solo@example.com"), {
    tty: password,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(stack.sts.issued.at(-1)?.roleArn, ROLE_DEV);
});

e2eTest(
  "okta: without -a several roles are offered on the terminal",
  async () => {
    await using stack = await startStack();
    const r = await stack.run(stack.oktaArgs("alice@example.com"), {
      tty: [...password, { expect: "Choose 1-2: ", send: "2\r" }],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.tty, /1\) arn:aws:iam::123456789012:role\/dev/);
    assert.equal(stack.sts.issued.at(-1)?.roleArn, ROLE_ADMIN);
    parseCredentials(r.stdout);
  },
);

e2eTest(
  "okta: without -a and without a terminal the error lists the roles",
  async () => {
    await using stack = await startStack();
    const r = await stack.run(stack.oktaArgs("alice@example.com"), {
      env: { AWSPROCESSCREDS_PASSWORD: PASSWORD },
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pass -a with one of the granted roles/);
    assert.match(r.stderr, /role\/dev/);
    assert.match(r.stderr, /role\/admin/);
  },
);

e2eTest(
  "okta: --list-roles prints ROLE PRINCIPAL lines and calls no STS",
  async () => {
    await using stack = await startStack();
    const r = await stack.run([
      ...stack.oktaArgs("alice@example.com"),
      "--list-roles",
    ], {
      tty: password,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n").sort(), [
      `${ROLE_ADMIN} arn:aws:iam::123456789012:saml-provider/okta`,
      `${ROLE_DEV} arn:aws:iam::123456789012:saml-provider/okta`,
    ]);
    assert.equal(stack.sts.calls.length, 0);
  },
);

e2eTest(
  "okta: the password from AWSPROCESSCREDS_PASSWORD needs no terminal",
  async () => {
    await using stack = await startStack();
    const r = await stack.run([
      ...stack.oktaArgs("alice@example.com"),
      "-a",
      ROLE_DEV,
      "-v",
    ], {
      env: { AWSPROCESSCREDS_PASSWORD: PASSWORD },
    });
    assert.equal(r.code, 0, r.stderr);
    parseCredentials(r.stdout);
    assertNoSecrets(r.stderr);
  },
);

e2eTest(
  "okta: no terminal and no password variable fails at once",
  async () => {
    await using stack = await startStack();
    const r = await stack.run([
      ...stack.oktaArgs("alice@example.com"),
      "-a",
      ROLE_DEV,
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /no terminal is available/);
    assert.match(r.stderr, /AWSPROCESSCREDS_PASSWORD/);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    assert.equal(stack.okta.requests.length, 0);
  },
);

e2eTest(
  "okta: -v logs each step on stderr, keeps stdout pure and leaks no secret",
  async () => {
    await using stack = await startStack();
    const r = await stack.run([
      ...stack.oktaArgs("alice@example.com"),
      "-a",
      ROLE_DEV,
      "-v",
    ], {
      tty: password,
    });
    assert.equal(r.code, 0, r.stderr);
    const creds = parseCredentials(r.stdout);
    assert.match(r.stderr, /Cache miss/);
    assert.match(
      r.stderr,
      /POST https:\/\/127\.0\.0\.1:\d+\/api\/v1\/authn -> 200/,
    );
    assert.match(r.stderr, /sessionToken=REDACTED/);
    assert.match(r.stderr, /Role chosen: .*role\/dev/);
    const sid = stack.okta.requests.find((q) => q.cookie.includes("sid="))!
      .cookie
      .replace(/.*sid=([^;]+).*/, "$1");
    assertNoSecrets(
      r.stderr,
      creds.SecretAccessKey,
      creds.SessionToken,
      sid,
    );
    assert.ok(!/20111[0-9a-f]{20}/.test(r.stderr), "a session token leaked");
  },
);

e2eTest(
  "okta: SessionDuration above the role's maximum is retried without it",
  async () => {
    await using stack = await startStack();
    const r = await stack.run([
      ...stack.oktaArgs("long@example.com"),
      "-a",
      ROLE_SHORT,
    ], {
      tty: password,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /refused DurationSeconds 28800.*retrying/);
    assert.deepEqual(stack.sts.calls.map((c) => c.ok), [false, true]);
    assert.equal(stack.sts.calls[0].durationSeconds, 28800);
    assert.equal(stack.sts.calls[1].durationSeconds, 3600);
  },
);

e2eTest("okta: --duration is sent as DurationSeconds", async () => {
  await using stack = await startStack();
  const r = await stack.run(
    [
      ...stack.oktaArgs("alice@example.com"),
      "-a",
      ROLE_DEV,
      "--duration",
      "900",
    ],
    { tty: password },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(stack.sts.calls[0].durationSeconds, 900);
  const expires = Date.parse(parseCredentials(r.stdout).Expiration);
  assert.ok(Math.abs(expires - Date.now() - 900_000) < 60_000);
});

e2eTest("okta: an STS error ends with its code and message", async () => {
  await using stack = await startStack();
  const r = await stack.run([...stack.oktaArgs("denied@example.com")], {
    tty: password,
  });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    /STS AssumeRoleWithSAML failed for .*denied-by-trust-policy: AccessDenied: Not authorized to perform sts:AssumeRoleWithSAML/,
  );
});

e2eTest("okta: an STS outage is reported, not retried forever", async () => {
  await using stack = await startStack();
  stack.sts.failNext = {
    status: 400,
    code: "RegionDisabledException",
    message: "STS is not activated in this region for account 123456789012",
  };
  const r = await stack.run([
    ...stack.oktaArgs("alice@example.com"),
    "-a",
    ROLE_DEV,
  ], {
    tty: password,
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /RegionDisabledException: STS is not activated/);
});

e2eTest("okta: a DOCTYPE in the assertion is refused", async () => {
  await using stack = await startStack();
  const r = await stack.run([
    ...stack.oktaArgs("doctype@example.com"),
    "-a",
    ROLE_DEV,
  ], {
    tty: password,
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Refusing the SAML response: it carries a DOCTYPE/);
  assert.equal(stack.sts.calls.length, 0);
});

e2eTest("okta: changed IdP HTML names what was found", async () => {
  await using stack = await startStack();
  const r = await stack.run([
    ...stack.oktaArgs("changed@example.com"),
    "-a",
    ROLE_DEV,
  ], {
    tty: password,
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot get the SAML assertion from the Okta app/);
  assert.match(
    r.stderr,
    /no SAMLResponse \(found form #appForm with inputs SAMLToken/,
  );
});

e2eTest("okta: a slow IdP hits --timeout", async () => {
  await using stack = await startStack();
  const r = await stack.run(
    [...stack.oktaArgs("slow@example.com"), "-a", ROLE_DEV, "--timeout", "1"],
    { tty: password },
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Timed out after 1 s waiting for 127\.0\.0\.1:\d+/);
  assert.ok(r.ms < 5_000, `took ${r.ms} ms`);
});

e2eTest("okta: a slow STS hits --timeout", async () => {
  await using stack = await startStack({ sts: { delayMs: 5_000 } });
  const r = await stack.run(
    [...stack.oktaArgs("alice@example.com"), "-a", ROLE_DEV, "--timeout", "1"],
    { tty: password },
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Timed out|timed? ?out/i);
  assert.equal(r.stdout, "");
});

e2eTest("okta: states that end the login name themselves", async () => {
  await using stack = await startStack();
  const cases: [string, RegExp][] = [
    ["locked@example.com", /locked out \(LOCKED_OUT\)/],
    ["expired@example.com", /has expired \(PASSWORD_EXPIRED\).*browser/],
    ["enroll@example.com", /must enrol a second factor first \(MFA_ENROLL\)/],
    [
      "weird@example.com",
      /unexpected transaction status UNAUTHENTICATED_WEIRD/,
    ],
    ["garbage@example.com", /body that is not Okta JSON/],
    [
      "ratelimit-long@example.com",
      /rate limiting requests \(HTTP 429\)\. It resets at/,
    ],
  ];
  for (const [user, message] of cases) {
    const r = await stack.run([...stack.oktaArgs(user), "-a", ROLE_DEV], {
      env: { AWSPROCESSCREDS_PASSWORD: PASSWORD },
    });
    assert.equal(r.code, 1, user);
    assert.equal(r.stdout, "", user);
    assert.match(r.stderr, message, user);
  }
});

e2eTest("okta: a short rate limit is waited out once", async () => {
  await using stack = await startStack();
  const r = await stack.run([
    ...stack.oktaArgs("ratelimit@example.com"),
    "-a",
    ROLE_DEV,
  ], {
    env: { AWSPROCESSCREDS_PASSWORD: PASSWORD },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /rate limit reached.*retrying/);
  assert.equal(stack.okta.authnCount(), 2);
});

e2eTest(
  "okta: PASSWORD_WARN continues with the skip link and says so",
  async () => {
    await using stack = await startStack();
    const r = await stack.run([
      ...stack.oktaArgs("warn@example.com"),
      "-a",
      ROLE_DEV,
    ], {
      tty: password,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.tty, /password expires soon/);
    parseCredentials(r.stdout);
  },
);
