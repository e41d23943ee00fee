/**
 * End to end: ADFS forms sign-in (2016, 2019, 2.0 pages) and its second
 * factors (one-time codes, Azure MFA push, the method choice page), each run
 * of main.ts as the AWS CLI runs it, with a person at a pseudo-terminal.
 */
import assert from "node:assert/strict";
import { ADFS_TEXT } from "./emulators/adfs.ts";
import { PASSWORD, ROLE_DEV, TOTP_CODE } from "./emulators/fixtures.ts";
import {
  type CliResult,
  e2eTest,
  parseCredentials,
  type TtyStep,
} from "./support/cli.ts";
import { type StackOptions, startStack } from "./support/stack.ts";

const PASSWORD_STEP: TtyStep = { expect: "Password: ", send: `${PASSWORD}\r` };
const WRONG_CODE = "000000";

/** Runs main.ts for `user` against a fresh stack; returns the result and stack counters. */
async function login(
  user: string,
  options: {
    stack?: StackOptions;
    args?: string[];
    tty?: TtyStep[];
    env?: Record<string, string>;
  } = {},
): Promise<CliResult & { badCodes: number; samlIssued: number }> {
  await using stack = await startStack(options.stack);
  const r = await stack.run(
    [
      ...stack.adfsArgs(`${user}@example.com`),
      "-a",
      ROLE_DEV,
      ...(options.args ?? []),
    ],
    options.tty ? { tty: options.tty, env: options.env } : { env: options.env },
  );
  const u = stack.adfs.users[user];
  return { ...r, badCodes: u.badCodes, samlIssued: u.samlIssued };
}

/** Asserts a successful run: exit 0, all prompts answered, only the JSON on stdout. */
function assertSuccess(r: CliResult): void {
  assert.equal(r.code, 0, `stderr: ${r.stderr}\ntty: ${r.tty}`);
  assert.deepEqual(r.unanswered, [], `tty: ${r.tty}`);
  const creds = parseCredentials(r.stdout);
  assert.equal(creds.Version, 1);
  assert.match(creds.AccessKeyId, /^ASIA/);
  assert.ok(creds.SecretAccessKey);
  assert.ok(creds.SessionToken);
  assert.equal(r.stderr, "");
}

/** Asserts a failed run: exit 1, nothing on stdout, `texts` on stderr. */
function assertFailure(r: CliResult, ...texts: string[]): void {
  assert.equal(r.code, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stdout, "");
  for (const text of texts) assert.ok(r.stderr.includes(text), r.stderr);
  assert.ok(!r.stderr.includes(PASSWORD), "the password is on stderr");
  assert.ok(!r.stderr.includes(TOTP_CODE), "a code is on stderr");
}

// --- base login ----------------------------------------------------------

for (const variant of ["2016", "2019", "2.0"] as const) {
  e2eTest(`adfs: ${variant} forms page signs in`, async () => {
    await using stack = await startStack({ adfs: { variant } });
    const r = await stack.run(
      [...stack.adfsArgs("alice@example.com"), "-a", ROLE_DEV],
      { tty: [PASSWORD_STEP] },
    );
    assertSuccess(r);
    assert.ok(r.tty.includes("Password: "));
    assert.ok(!r.tty.includes(PASSWORD), "the password was echoed");
    // One credential post: for 2016 that is the relative action
    // "?client-request-id=…" resolved against the /adfs/ls/ page it was served
    // on after the entry redirect; for 2019 a post with one UserName only.
    assert.equal(stack.adfs.loginPosts(), 1);
    assert.equal(stack.adfs.users.alice.samlIssued, 1);
  });
}

e2eTest("adfs: a wrong password fails with the IdP's text", async () => {
  const wrong = "not-the-password-42";
  const r = await login("alice", {
    tty: [{ expect: "Password: ", send: `${wrong}\r` }],
  });
  assertFailure(r, "login failed", "Incorrect user ID or password");
  assert.ok(!r.stderr.includes(wrong), "the wrong password is on stderr");
  assert.ok(!r.tty.includes(wrong), "the wrong password was echoed");
  assert.deepEqual(r.unanswered, []);
});

e2eTest(
  "adfs: a wrong password on the 2.0 page fails with its text",
  async () => {
    const r = await login("alice", {
      stack: { adfs: { variant: "2.0" } },
      tty: [{ expect: "Password: ", send: "wrong-password\r" }],
    });
    assertFailure(r, "login failed", ADFS_TEXT.badPassword20);
    assert.ok(!r.stderr.includes("wrong-password"));
  },
);

e2eTest("adfs: a locked account fails with the IdP's locked text", async () => {
  const r = await login("locked", { tty: [PASSWORD_STEP] });
  assertFailure(r, "login failed", ADFS_TEXT.locked);
});

// --- one-time codes ------------------------------------------------------

e2eTest("adfs mfa: the right code on the Azure MFA code page", async () => {
  const r = await login("code", {
    tty: [PASSWORD_STEP, {
      expect: "Verification code: ",
      send: `${TOTP_CODE}\r`,
    }],
  });
  assertSuccess(r);
  assert.equal(r.badCodes, 0);
  assert.equal(r.samlIssued, 1);
});

e2eTest(
  "adfs mfa: a wrong code shows the IdP's text and asks again",
  async () => {
    const r = await login("code", {
      tty: [
        PASSWORD_STEP,
        { expect: "Verification code: ", send: `${WRONG_CODE}\r` },
        { expect: ADFS_TEXT.badCode, send: "" },
        { expect: "Verification code: ", send: `${TOTP_CODE}\r` },
      ],
    });
    assertSuccess(r);
    assert.ok(r.tty.includes(ADFS_TEXT.badCode), r.tty);
    assert.equal(r.tty.split("Verification code: ").length - 1, 2);
    assert.equal(r.badCodes, 1);
  },
);

e2eTest("adfs mfa: three wrong codes fail with the IdP's text", async () => {
  const wrong = { expect: "Verification code: ", send: `${WRONG_CODE}\r` };
  const r = await login("code", {
    tty: [PASSWORD_STEP, wrong, wrong, wrong],
  });
  assertFailure(r, "ADFS MFA failed", ADFS_TEXT.badCode);
  assert.deepEqual(r.unanswered, []);
  assert.equal(r.tty.split("Verification code: ").length - 1, 3);
  assert.equal(r.badCodes, 3);
  assert.ok(!r.stderr.includes(WRONG_CODE));
});

e2eTest(
  "adfs mfa: the 2.0 variant's code page, after an empty answer",
  async () => {
    const r = await login("code", {
      stack: { adfs: { variant: "2.0" } },
      tty: [
        PASSWORD_STEP,
        { expect: "Verification code: ", send: "\r" },
        { expect: "Please enter the code.", send: "" },
        { expect: "Verification code: ", send: `${TOTP_CODE}\r` },
      ],
    });
    assertSuccess(r);
    assert.equal(r.badCodes, 0, "an empty code was posted");
    assert.equal(r.samlIssued, 1);
  },
);

e2eTest(
  "adfs mfa: RSA SecurID passcode page (asked with echo off)",
  async () => {
    const r = await login("securid", {
      tty: [PASSWORD_STEP, { expect: "Passcode: ", send: `${TOTP_CODE}\r` }],
    });
    assertSuccess(r);
    assert.ok(!r.tty.includes(TOTP_CODE), "the passcode was echoed");
    assert.equal(r.samlIssued, 1);
  },
);

e2eTest("adfs mfa: AWSPROCESSCREDS_MFA_CODE without a terminal", async () => {
  const r = await login("code", {
    env: {
      AWSPROCESSCREDS_PASSWORD: PASSWORD,
      AWSPROCESSCREDS_MFA_CODE: TOTP_CODE,
    },
  });
  assertSuccess(r);
  assert.equal(r.tty, "");
  assert.equal(r.badCodes, 0);
});

e2eTest(
  "adfs mfa: a refused AWSPROCESSCREDS_MFA_CODE without a terminal fails with the IdP's text",
  async () => {
    const r = await login("code", {
      env: {
        AWSPROCESSCREDS_PASSWORD: PASSWORD,
        AWSPROCESSCREDS_MFA_CODE: WRONG_CODE,
      },
    });
    assertFailure(r, ADFS_TEXT.badCode, "AWSPROCESSCREDS_MFA_CODE");
    assert.ok(!r.stderr.includes(WRONG_CODE));
    assert.equal(r.badCodes, 1);
  },
);

e2eTest(
  "adfs mfa: a code page without a terminal or code says how to supply one",
  async () => {
    const r = await login("code", {
      env: { AWSPROCESSCREDS_PASSWORD: PASSWORD },
    });
    assertFailure(r, "verification code", "AWSPROCESSCREDS_MFA_CODE");
  },
);

// --- Azure MFA push -------------------------------------------------------

e2eTest("adfs mfa: push approved after a pending poll", async () => {
  const r = await login("push", {
    stack: { adfs: { pushPolls: 1 } },
    tty: [PASSWORD_STEP],
  });
  assertSuccess(r);
  assert.ok(r.tty.includes("Approve the sign-in on your phone"), r.tty);
  assert.ok(!r.tty.includes("Authenticator app"));
  assert.equal(r.samlIssued, 1);
});

e2eTest("adfs mfa: push with number matching shows the number", async () => {
  const r = await login("push-number", {
    stack: { adfs: { pushPolls: 0 } },
    tty: [PASSWORD_STEP],
  });
  assertSuccess(r);
  assert.ok(r.tty.includes("Approve the sign-in on your phone"), r.tty);
  assert.ok(r.tty.includes("Enter 42 in the Authenticator app"), r.tty);
});

e2eTest("adfs mfa: push denied fails with the IdP's text", async () => {
  const r = await login("push-deny", {
    stack: { adfs: { pushPolls: 0 } },
    tty: [PASSWORD_STEP],
  });
  assertFailure(r, "ADFS MFA failed", ADFS_TEXT.pushDenied);
  assert.ok(r.tty.includes("Approve the sign-in on your phone"));
});

e2eTest(
  "adfs mfa: an unanswered push times out after --mfa-timeout",
  async () => {
    const started = performance.now();
    const r = await login("push-timeout", {
      args: ["--mfa-timeout", "3"],
      tty: [PASSWORD_STEP],
    });
    assertFailure(r, "timed out", "--mfa-timeout");
    assert.ok(r.tty.includes("Approve the sign-in on your phone"));
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds >= 3 && seconds < 15, `took ${seconds} s`);
  },
);

// --- the method choice page -------------------------------------------------

e2eTest("adfs mfa: method chosen from the menu on the terminal", async () => {
  const r = await login("choose", {
    tty: [
      PASSWORD_STEP,
      { expect: "Choose 1-3: ", send: "2\r" },
      { expect: "Security code: ", send: `${TOTP_CODE}\r` },
    ],
  });
  assertSuccess(r);
  assert.ok(r.tty.includes("ADFS asks for a second factor. Choose one"), r.tty);
  assert.ok(r.tty.includes("1) Azure Multi-Factor Authentication"));
  assert.ok(r.tty.includes("2) Symantec VIP"));
  assert.ok(r.tty.includes("3) RSA SecurID"));
});

e2eTest("adfs mfa: --mfa push picks Azure MFA on the choice page", async () => {
  const r = await login("choose", {
    stack: { adfs: { pushPolls: 0 } },
    args: ["--mfa", "push"],
    tty: [PASSWORD_STEP],
  });
  assertSuccess(r);
  assert.ok(!r.tty.includes("Choose"), r.tty);
  assert.ok(r.tty.includes("Approve the sign-in on your phone"));
});

e2eTest(
  "adfs mfa: --mfa totp picks the first code method on the choice page",
  async () => {
    const r = await login("choose", {
      args: ["--mfa", "totp"],
      tty: [PASSWORD_STEP, {
        expect: "Security code: ",
        send: `${TOTP_CODE}\r`,
      }],
    });
    assertSuccess(r);
    assert.ok(!r.tty.includes("Choose"), r.tty);
  },
);

e2eTest("adfs mfa: --mfa sms matches nothing on the choice page", async () => {
  const r = await login("choose", {
    args: ["--mfa", "sms"],
    tty: [PASSWORD_STEP],
  });
  assertFailure(r, "--mfa sms", "Symantec VIP", "RSA SecurID");
});

e2eTest(
  "adfs mfa: a choice page without a terminal lists the methods and --mfa",
  async () => {
    const r = await login("choose", {
      env: { AWSPROCESSCREDS_PASSWORD: PASSWORD },
    });
    assertFailure(
      r,
      "Azure Multi-Factor Authentication",
      "Symantec VIP",
      "RSA SecurID",
      "--mfa",
    );
    assert.equal(r.tty, "");
  },
);

e2eTest(
  "adfs mfa: the choice page as real ADFS writes it (no ids): labels from the markup, --mfa totp takes the TOTP provider",
  async (t) => {
    await t.step("menu labels, not method ids", async () => {
      const r = await login("choose", {
        tty: [PASSWORD_STEP, { expect: "Choose 1-3: ", send: "3\r" }, {
          expect: "Passcode: ",
          send: `${TOTP_CODE}\r`,
        }],
      });
      assertSuccess(r);
      assert.ok(r.tty.includes("3) RSA SecurID"), r.tty);
      assert.ok(!r.tty.includes("SecurIDAuthentication"), r.tty);
    });
    await t.step(
      "--mfa totp picks TOTPAuthenticationProvider, not Azure MFA",
      async () => {
        const r = await login("choose-totp", {
          args: ["--mfa", "totp"],
          tty: [PASSWORD_STEP, { expect: "code: ", send: `${TOTP_CODE}\r` }],
        });
        assertSuccess(r);
        assert.ok(!r.tty.includes("Approve the sign-in on your phone"), r.tty);
      },
    );
    await t.step("the id-carrying variant still works", async () => {
      const r = await login("choose", {
        stack: { adfs: { choiceIds: true } },
        args: ["--mfa", "push"],
        tty: [PASSWORD_STEP],
      });
      assertSuccess(r);
      assert.ok(r.tty.includes("Approve the sign-in on your phone"));
    });
  },
);
