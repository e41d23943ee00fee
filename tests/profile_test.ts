/**
 * `--profile NAME`: the settings come from the AWS config file as botocore
 * reads it, the command line wins, problems are usage errors naming the key,
 * the profile and the file, and a profile shares its cache entry with the
 * equivalent command line. Mostly in process; one spawned run and one
 * through the real AWS CLI.
 */
import assert from "node:assert/strict";
import { cacheKey } from "../lib/cache/file_cache.ts";
import {
  ACCOUNT,
  PASSWORD,
  ROLE_ADMIN,
  ROLE_DEV,
} from "./emulators/fixtures.ts";
import { caFile } from "./emulators/server.ts";
import {
  E2E_SUPPORTED,
  e2eTest,
  hasExecutable,
  mainTs,
  parseCredentials,
} from "./support/cli.ts";
import { type InProcessResult, runInProcess } from "./support/in_process.ts";
import { type Stack, startStack } from "./support/stack.ts";

const ALICE = "alice@example.com";

/** The config file of a stack's tests (what AWS_CONFIG_FILE names). */
function configOf(stack: Stack): string {
  return `${stack.home}/cfg/config`;
}

async function writeConfig(path: string, text: string): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
}

/** `[profile NAME]` lines for alice at the stack's Okta, role dev. */
function samlLines(stack: Stack, overrides: Record<string, string> = {}) {
  const values: Record<string, string> = {
    saml_provider: "okta",
    saml_endpoint: stack.okta.embedUrl,
    saml_username: ALICE,
    saml_role_arn: ROLE_DEV,
    ...overrides,
  };
  return Object.entries(values).map(([k, v]) => `${k} = ${v}\n`).join("");
}

/** Runs argv in process against the stack, config file and STS set. */
function run(
  stack: Stack,
  argv: string[],
  env: Record<string, string> = {},
): Promise<InProcessResult> {
  return runInProcess(argv, {
    home: stack.home,
    env: {
      AWS_CONFIG_FILE: configOf(stack),
      AWS_ENDPOINT_URL_STS: stack.sts.url,
      ...env,
    },
  });
}

const withPassword = { AWSPROCESSCREDS_PASSWORD: PASSWORD };

function assumeCalls(stack: Stack) {
  return stack.sts.calls.filter((c) =>
    c.action === "AssumeRoleWithSAML" && c.ok
  );
}

/** The cache entries (`*.json`; lock files stay by design). */
async function cacheFiles(stack: Stack): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(stack.cacheDir)) {
      if (e.name.endsWith(".json")) names.push(e.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

function assertUsageError(r: InProcessResult, ...mentions: string[]): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, "");
  for (const m of mentions) {
    assert.ok(r.stderr.includes(m), `stderr lacks ${m}: ${r.stderr}`);
  }
}

Deno.test("profile: the settings come from [profile dev]; a second run is a cache hit", async () => {
  await using stack = await startStack();
  await writeConfig(configOf(stack), `[profile dev]\n${samlLines(stack)}`);
  const first = await run(stack, ["--profile", "dev"], withPassword);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stderr, "");
  const creds = parseCredentials(first.stdout);
  assert.equal(stack.okta.authnCount(), 1);
  assert.deepEqual(assumeCalls(stack).map((c) => c.roleArn), [ROLE_DEV]);
  const requests = stack.okta.requests.length;
  const second = await run(stack, ["--profile", "dev"]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(parseCredentials(second.stdout).AccessKeyId, creds.AccessKeyId);
  assert.equal(stack.okta.requests.length, requests);
  assert.equal(assumeCalls(stack).length, 1);
});

Deno.test("profile: every flag overrides its key in the file", async () => {
  await using stack = await startStack();
  // Every key of the file is wrong for this login; the flags are right.
  await writeConfig(
    configOf(stack),
    `[profile dev]\n${
      samlLines(stack, {
        saml_provider: "adfs",
        saml_endpoint: stack.adfs.entryUrl,
        saml_username: "bob@example.com",
        saml_role_arn: ROLE_ADMIN,
        saml_duration: "900",
        saml_region: "eu-west-1",
        saml_mfa: "push",
      })
    }`,
  );
  const r = await run(stack, [
    "--profile",
    "dev",
    "-p",
    "okta",
    "-e",
    stack.okta.embedUrl,
    "-u",
    ALICE,
    "-a",
    ROLE_DEV,
    "--duration",
    "1800",
    "--region",
    "us-east-1",
    "--mfa",
    "totp",
  ], withPassword);
  assert.equal(r.code, 0, r.stderr);
  parseCredentials(r.stdout);
  assert.equal(stack.okta.authnCount(), 1);
  assert.equal(stack.adfs.requests.length, 0);
  const calls = assumeCalls(stack);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].roleArn, ROLE_DEV);
  assert.equal(calls[0].durationSeconds, 1800);
  const key = cacheKey({
    provider: "okta",
    endpoint: new URL(stack.okta.embedUrl).href,
    username: ALICE,
    roleArn: ROLE_DEV,
    duration: 1800,
    region: "us-east-1",
  });
  assert.deepEqual(await cacheFiles(stack), [`${key}.json`]);
});

Deno.test("profile: one flag overrides one key; the others still come from the file", async () => {
  await using stack = await startStack();
  await writeConfig(
    configOf(stack),
    `[profile dev]\n${samlLines(stack, { saml_role_arn: ROLE_ADMIN })}`,
  );
  const fromFile = await run(stack, ["--profile", "dev", "--no-cache"], {
    ...withPassword,
  });
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const flagged = await run(stack, [
    "--profile",
    "dev",
    "--no-cache",
    "--role-arn",
    ROLE_DEV,
  ], withPassword);
  assert.equal(flagged.code, 0, flagged.stderr);
  assert.deepEqual(assumeCalls(stack).map((c) => c.roleArn), [
    ROLE_ADMIN,
    ROLE_DEV,
  ]);
  assert.equal(stack.okta.authnCount(), 2);
});

Deno.test("profile: a missing required key is a usage error naming the key, the profile and the file", async () => {
  await using stack = await startStack();
  for (const key of ["saml_provider", "saml_endpoint", "saml_username"]) {
    const lines = samlLines(stack).split("\n").filter((l) =>
      !l.startsWith(`${key} `)
    ).join("\n");
    await writeConfig(configOf(stack), `[profile dev]\n${lines}`);
    const r = await run(stack, ["--profile", "dev"], withPassword);
    assertUsageError(r, key, "dev", configOf(stack));
  }
  // An empty value is no value.
  await writeConfig(
    configOf(stack),
    `[profile dev]\n${samlLines(stack, { saml_username: "" })}`,
  );
  assertUsageError(
    await run(stack, ["--profile", "dev"], withPassword),
    "saml_username",
    "dev",
    configOf(stack),
  );
  assert.equal(stack.okta.requests.length, 0);
  assert.deepEqual(await cacheFiles(stack), []);
});

Deno.test("profile: a missing profile or file is a usage error naming the profile and the file", async () => {
  await using stack = await startStack();
  const path = configOf(stack);
  // No file at all.
  assertUsageError(
    await run(stack, ["--profile", "dev"], withPassword),
    '"dev"',
    path,
  );
  // Sections that name "dev" but are not profiles, and another profile.
  await writeConfig(
    path,
    `[sso-session dev]\n${samlLines(stack)}\n[services dev]\nsts =\n` +
      `  endpoint_url = https://sts.invalid\n\n[profile other]\n${
        samlLines(stack)
      }\n[dev]\n${samlLines(stack)}`,
  );
  assertUsageError(
    await run(stack, ["--profile", "dev"], withPassword),
    '"dev"',
    path,
  );
  assert.equal(stack.okta.requests.length, 0);
  // The other profile is there and works.
  const other = await run(stack, ["--profile", "other"], withPassword);
  assert.equal(other.code, 0, other.stderr);
});

Deno.test({
  name: "profile: a key the profile lacks can come from its flag",
  async fn() {
    await using stack = await startStack();
    const lines = samlLines(stack).split("\n").filter((l) =>
      !l.startsWith("saml_username ")
    ).join("\n");
    await writeConfig(configOf(stack), `[profile dev]\n${lines}`);
    const r = await run(stack, ["--profile", "dev", "-u", ALICE], withPassword);
    assert.equal(r.code, 0, r.stderr);
    parseCredentials(r.stdout);
    // Neither the flag nor the key: still a usage error naming both.
    assertUsageError(
      await run(stack, ["--profile", "dev"], withPassword),
      "saml_username",
      "dev",
      configOf(stack),
    );
  },
});

Deno.test("profile: an unknown saml_* key is a warning naming it; other keys are not", async () => {
  await using stack = await startStack();
  await writeConfig(
    configOf(stack),
    `[profile dev]\nregion = us-east-1\noutput = json\n${
      samlLines(stack)
    }saml_colour = blue\nsaml_rolearn = ${ROLE_ADMIN}\n`,
  );
  const r = await run(stack, ["--profile", "dev"], withPassword);
  assert.equal(r.code, 0, r.stderr);
  parseCredentials(r.stdout);
  for (const key of ["saml_colour", "saml_rolearn"]) {
    assert.match(r.stderr, new RegExp(`${key}.*dev|dev.*${key}`));
  }
  assert.ok(r.stderr.includes(configOf(stack)), r.stderr);
  assert.doesNotMatch(r.stderr, /\bregion\b|\boutput\b/);
  assert.equal(r.stderr.trim().split("\n").length, 2, r.stderr);
  // The unknown key changed nothing: the role is saml_role_arn's.
  assert.deepEqual(assumeCalls(stack).map((c) => c.roleArn), [ROLE_DEV]);
});

Deno.test("profile: comments, nested blocks and other sections are read as botocore reads them", async () => {
  await using stack = await startStack();
  const text = `# my AWS config
; written by hand
[default]
region = us-east-1

[sso-session dev]
sso_start_url = https://corp.awsapps.com/start
saml_username = sso@example.com
saml_role_arn = ${ROLE_ADMIN}

[services dev]
sts =
  endpoint_url = https://sts.invalid
  saml_username = services@example.com

[profile dev]
# saml_username = commented@example.com
;saml_role_arn = ${ROLE_ADMIN}
saml_provider = okta
    # an indented comment is not a continuation
saml_endpoint = ${stack.okta.embedUrl}
s3 =
  max_concurrent_requests = 20
  saml_username = nested@example.com
  saml_role_arn = ${ROLE_ADMIN}
saml_username = ${ALICE}
\t; another indented comment
saml_role_arn = ${ROLE_DEV}
region = eu-west-1

[profile other]
${samlLines(stack, { saml_role_arn: ROLE_ADMIN })}
# trailing comment`;
  await writeConfig(configOf(stack), text);
  const r = await run(stack, ["--profile", "dev"], withPassword);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  parseCredentials(r.stdout);
  assert.deepEqual(assumeCalls(stack).map((c) => c.roleArn), [ROLE_DEV]);
  const authn = stack.okta.requests.filter((q) => q.path === "/api/v1/authn");
  assert.equal(authn.length, 1);
  assert.equal(JSON.parse(authn[0].body).username, ALICE);
});

Deno.test("profile: an indented line continues the value, which is then refused by name", async () => {
  await using stack = await startStack();
  await writeConfig(
    configOf(stack),
    `[profile dev]\n${samlLines(stack)}`.replace(
      `saml_endpoint = ${stack.okta.embedUrl}\n`,
      `saml_endpoint = ${stack.okta.embedUrl}\n  extra\n`,
    ),
  );
  assertUsageError(
    await run(stack, ["--profile", "dev"], withPassword),
    "saml_endpoint",
    "dev",
    configOf(stack),
  );
  assert.equal(stack.okta.requests.length, 0);
});

Deno.test("profile: [default] is the profile named default", async () => {
  await using stack = await startStack();
  await writeConfig(
    configOf(stack),
    `[profile dev]\n${
      samlLines(stack, { saml_role_arn: ROLE_ADMIN })
    }\n[default]\n${samlLines(stack)}`,
  );
  const r = await run(stack, ["--profile", "default"], withPassword);
  assert.equal(r.code, 0, r.stderr);
  parseCredentials(r.stdout);
  assert.deepEqual(assumeCalls(stack).map((c) => c.roleArn), [ROLE_DEV]);
});

Deno.test("profile: ' # x' is part of the value, and a value it makes invalid is a usage error naming key, profile and file", async () => {
  await using stack = await startStack();
  const cases: [string, string][] = [
    ["saml_provider", "okta # the IdP"],
    ["saml_region", "us-east-1 # N. Virginia"],
    ["saml_duration", "3600 # one hour"],
    ["saml_mfa", "push # the phone"],
    ["saml_role_arn", "dev # the role"],
    // Last: were the comment stripped, this would be a real host.
    ["saml_endpoint", "https://example.okta.com # my org"],
  ];
  for (const [key, value] of cases) {
    await writeConfig(
      configOf(stack),
      `[profile dev]\n${samlLines(stack, { [key]: value })}`,
    );
    const r = await run(stack, ["--profile", "dev"], withPassword);
    assertUsageError(r, key, "dev", configOf(stack), value);
  }
  assert.equal(stack.okta.requests.length, 0);
});

Deno.test("profile: without AWS_CONFIG_FILE the file is ~/.aws/config; with it, only that file", async () => {
  await using stack = await startStack();
  await writeConfig(
    `${stack.home}/.aws/config`,
    `[profile dev]\n${samlLines(stack, { saml_role_arn: ROLE_ADMIN })}`,
  );
  await writeConfig(configOf(stack), `[profile dev]\n${samlLines(stack)}`);
  const home = await runInProcess(["--profile", "dev", "--no-cache"], {
    home: stack.home,
    env: { AWS_ENDPOINT_URL_STS: stack.sts.url, ...withPassword },
  });
  assert.equal(home.code, 0, home.stderr);
  const named = await run(stack, ["--profile", "dev", "--no-cache"], {
    ...withPassword,
  });
  assert.equal(named.code, 0, named.stderr);
  assert.deepEqual(assumeCalls(stack).map((c) => c.roleArn), [
    ROLE_ADMIN,
    ROLE_DEV,
  ]);
});

Deno.test("profile: a profile and the equivalent command line share one cache entry", async () => {
  const cases: {
    name: string;
    extra: Record<string, string>;
    flags: string[];
  }[] = [
    { name: "plain", extra: {}, flags: [] },
    {
      name: "duration and region",
      extra: { saml_duration: "3600", saml_region: "us-east-1" },
      flags: ["--duration", "3600", "--region", "us-east-1"],
    },
  ];
  for (const { name, extra, flags } of cases) {
    await using stack = await startStack();
    await writeConfig(
      configOf(stack),
      `[profile dev]\n${samlLines(stack, extra)}\n[profile same]\n${
        samlLines(stack, extra)
      }`,
    );
    const equivalent = [
      ...stack.oktaArgs(ALICE),
      "-a",
      ROLE_DEV,
      ...flags,
    ];
    // Profile first, then the command line, then another profile name.
    const first = await run(stack, ["--profile", "dev"], withPassword);
    assert.equal(first.code, 0, `${name}: ${first.stderr}`);
    const keyId = parseCredentials(first.stdout).AccessKeyId;
    const requests = stack.okta.requests.length;
    for (const argv of [equivalent, ["--profile", "same"]]) {
      const r = await run(stack, argv);
      assert.equal(r.code, 0, `${name} ${argv.join(" ")}: ${r.stderr}`);
      assert.equal(parseCredentials(r.stdout).AccessKeyId, keyId);
    }
    assert.equal(stack.okta.requests.length, requests, name);
    assert.equal(assumeCalls(stack).length, 1, name);
    const files = await cacheFiles(stack);
    assert.equal(files.length, 1, name);
    const key = cacheKey({
      provider: "okta",
      endpoint: new URL(stack.okta.embedUrl).href,
      username: ALICE,
      roleArn: ROLE_DEV,
      duration: extra.saml_duration ? Number(extra.saml_duration) : undefined,
      region: extra.saml_region,
    });
    assert.ok(files.includes(`${key}.json`), `${name}: ${files}`);
  }
});

Deno.test("profile: the command line first, then the profile: a cache hit", async () => {
  await using stack = await startStack();
  await writeConfig(configOf(stack), `[profile dev]\n${samlLines(stack)}`);
  const first = await run(
    stack,
    [...stack.oktaArgs(ALICE), "-a", ROLE_DEV],
    withPassword,
  );
  assert.equal(first.code, 0, first.stderr);
  const requests = stack.okta.requests.length;
  const second = await run(stack, ["--profile", "dev"]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(
    parseCredentials(second.stdout).AccessKeyId,
    parseCredentials(first.stdout).AccessKeyId,
  );
  assert.equal(stack.okta.requests.length, requests);
  assert.equal((await cacheFiles(stack)).length, 1);
});

e2eTest(
  "profile: spawned as the AWS CLI does: login, cache hit, usage error",
  async () => {
    await using stack = await startStack();
    // runCli points AWS_CONFIG_FILE at HOME/.aws/config.
    await writeConfig(
      `${stack.home}/.aws/config`,
      `[profile dev]\n${samlLines(stack)}saml_colour = blue\n`,
    );
    const first = await stack.run(["--profile", "dev"], {
      env: withPassword,
    });
    assert.equal(first.code, 0, first.stderr);
    const creds = parseCredentials(first.stdout);
    assert.match(first.stderr, /saml_colour/);
    assert.equal(stack.okta.authnCount(), 1);
    const second = await stack.run(["--profile", "dev"]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(
      parseCredentials(second.stdout).AccessKeyId,
      creds.AccessKeyId,
    );
    assert.equal(stack.okta.authnCount(), 1);
    const missing = await stack.run(["--profile", "nope"]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stdout, "");
    assert.match(missing.stderr, /nope/);
    assert.ok(missing.stderr.includes(`${stack.home}/.aws/config`));
  },
);

Deno.test({
  name: "profile: the AWS CLI runs credential_process = … --profile dev",
  ignore: !E2E_SUPPORTED || !(await hasExecutable("aws")),
  async fn() {
    await using stack = await startStack();
    const command = [
      Deno.execPath(),
      "run",
      "-A",
      "--cached-only",
      mainTs,
      "--profile",
      "dev",
    ].map((a) => `'${a}'`).join(" ");
    await writeConfig(
      `${stack.home}/.aws/config`,
      `[profile dev]\nregion = us-east-1\ncredential_process = ${command}\n${
        samlLines(stack)
      }`,
    );
    const aws = (env: Record<string, string>) =>
      stack.run(
        ["sts", "get-caller-identity", "--profile", "dev", "--output", "json"],
        {
          command: ["aws"],
          env: {
            AWS_CA_BUNDLE: caFile,
            AWS_DEFAULT_REGION: "us-east-1",
            ...env,
          },
        },
      );
    const first = await aws(withPassword);
    assert.equal(first.code, 0, first.stderr);
    const identity = JSON.parse(first.stdout);
    assert.equal(identity.Account, ACCOUNT);
    assert.equal(
      identity.Arn,
      `arn:aws:sts::${ACCOUNT}:assumed-role/dev/${ALICE}`,
    );
    // A second AWS CLI run, without the password: served from the cache.
    const second = await aws({});
    assert.equal(second.code, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).Arn, identity.Arn);
    assert.equal(stack.okta.authnCount(), 1);
    assert.equal(assumeCalls(stack).length, 1);
  },
});
