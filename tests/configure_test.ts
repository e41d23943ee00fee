/**
 * `awsprocesscreds-saml configure`: one sign-in, one `[profile NAME]` per
 * chosen role written into the AWS config file (every other byte kept, in
 * place on a re-run, atomic, mode kept, a backup no more readable), the first
 * role's credentials cached and every other profile given the IdP session,
 * and the written `credential_process` working through botocore's split,
 * `/bin/sh` and the real AWS CLI. The password ends up nowhere.
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
  type CliResult,
  E2E_SUPPORTED,
  e2eTest,
  hasExecutable,
  mainTs,
  parseCredentials,
} from "./support/cli.ts";
import { type InProcessResult, runInProcess } from "./support/in_process.ts";
import { type Stack, startStack } from "./support/stack.ts";

const ALICE = "alice@example.com";
const DEV = `${ACCOUNT}-dev`;
const ADMIN = `${ACCOUNT}-admin`;

/** The config file of the in-process tests (what AWS_CONFIG_FILE names). */
function configOf(stack: Stack): string {
  return `${stack.home}/cfg/config`;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** Runs argv in process; no terminal unless `answers` are given. */
function run(
  stack: Stack,
  argv: string[],
  env: Record<string, string> = {},
  answers: string[] | null = null,
): Promise<InProcessResult> {
  return runInProcess(argv, {
    home: stack.home,
    env: {
      AWS_CONFIG_FILE: configOf(stack),
      AWS_ENDPOINT_URL_STS: stack.sts.url,
      ...env,
    },
    answers,
  });
}

const withPassword = { AWSPROCESSCREDS_PASSWORD: PASSWORD };

/** `configure` with every flag for alice at the stack's Okta. */
function configureArgs(stack: Stack, ...more: string[]): string[] {
  return ["configure", ...stack.oktaArgs(ALICE), ...more];
}

/** The section configure writes for `name` (no leading or trailing blank line). */
function section(
  stack: Stack,
  name: string,
  role: string,
  options: { self?: string; mfa?: string } = {},
): string {
  return `[profile ${name}]
credential_process = ${options.self ?? "awsprocesscreds-saml"} --profile ${name}
saml_provider = okta
saml_endpoint = ${new URL(stack.okta.embedUrl).href}
saml_username = ${ALICE}
saml_role_arn = ${role}
${options.mfa ? `saml_mfa = ${options.mfa}\n` : ""}`;
}

function keyOf(stack: Stack, role: string): string {
  return cacheKey({
    provider: "okta",
    endpoint: new URL(stack.okta.embedUrl).href,
    username: ALICE,
    roleArn: role,
  });
}

/** The cache entry of `role`, parsed, or undefined. */
async function entryOf(
  stack: Stack,
  role: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(
      await Deno.readTextFile(
        `${stack.cacheDir}/${keyOf(stack, role)}.json`,
      ),
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

function modeOf(path: string): number {
  return Deno.statSync(path).mode! & 0o777;
}

/** Every regular file below `dir`. */
async function* filesBelow(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* filesBelow(path);
    else if (e.isFile) yield path;
  }
}

/** The password is in no file below HOME and in none of `outputs`. */
async function assertNoPassword(
  home: string,
  outputs: string[],
): Promise<void> {
  const needle = new TextEncoder().encode(PASSWORD);
  let files = 0;
  for await (const path of filesBelow(home)) {
    files++;
    const bytes = await Deno.readFile(path);
    const text = new TextDecoder("latin1").decode(bytes);
    assert.ok(
      !text.includes(new TextDecoder("latin1").decode(needle)),
      `the password is in ${path}`,
    );
  }
  assert.ok(files > 0);
  for (const output of outputs) {
    assert.ok(!output.includes(PASSWORD), `the password is in ${output}`);
  }
}

function assumeCalls(stack: Stack) {
  return stack.sts.calls.filter((c) =>
    c.action === "AssumeRoleWithSAML" && c.ok
  );
}

Deno.test("configure: every flag, --all-roles, no terminal: both profiles written, summary on stderr, first role cached", async () => {
  await using stack = await startStack();
  const r = await run(
    stack,
    configureArgs(stack, "--all-roles", "--mfa", "push"),
    withPassword,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "");
  const path = configOf(stack);
  assert.equal(
    await Deno.readTextFile(path),
    `${section(stack, DEV, ROLE_DEV, { mfa: "push" })}\n${
      section(stack, ADMIN, ROLE_ADMIN, { mfa: "push" })
    }`,
  );
  assert.equal(
    r.stderr,
    `Wrote 2 profiles to ${path}:\n  ${DEV}  ${ROLE_DEV}\n  ${ADMIN}  ${ROLE_ADMIN}\n` +
      `Try: aws sts get-caller-identity --profile ${DEV}\n`,
  );
  // A new file is 0600, with no backup and no temporary file beside it.
  assert.equal(modeOf(path), 0o600);
  assert.deepEqual(await names(dirOf(path)), ["config"]);
  // One sign-in, one STS call: the first role.
  assert.equal(stack.okta.authnCount(), 1);
  assert.deepEqual(assumeCalls(stack).map((c) => c.roleArn), [ROLE_DEV]);
  const dev = await entryOf(stack, ROLE_DEV);
  const admin = await entryOf(stack, ROLE_ADMIN);
  assert.ok(dev?.Credentials, "the first role's credentials are cached");
  assert.ok(dev?.IdpSession);
  assert.equal(admin?.Credentials, undefined);
  assert.ok(admin?.IdpSession, "the other profile has the IdP session");
  assert.ok(
    (await names(stack.cacheDir)).every((n) => n.endsWith(".json")),
    "no temporary or lock file in the cache",
  );
  await assertNoPassword(stack.home, [r.stdout, r.stderr]);
});

Deno.test("configure: the written profiles serve credentials with no second login", async () => {
  await using stack = await startStack();
  const c = await run(
    stack,
    configureArgs(stack, "--all-roles", "--profile-prefix", "corp-"),
    withPassword,
  );
  assert.equal(c.code, 0, c.stderr);
  const cached = await entryOf(stack, ROLE_DEV);
  const requests = stack.okta.requests.length;
  // The first role: straight from the cache, no IdP, no STS, no password.
  const dev = await run(stack, ["--profile", `corp-${DEV}`]);
  assert.equal(dev.code, 0, dev.stderr);
  assert.equal(
    parseCredentials(dev.stdout).AccessKeyId,
    (cached?.Credentials as Record<string, string>).AccessKeyId,
  );
  assert.equal(stack.okta.requests.length, requests);
  assert.equal(assumeCalls(stack).length, 1);
  // Another role: the saved IdP session, no password and no authn.
  const admin = await run(stack, ["--profile", `corp-${ADMIN}`]);
  assert.equal(admin.code, 0, admin.stderr);
  parseCredentials(admin.stdout);
  assert.equal(stack.okta.authnCount(), 1);
  assert.deepEqual(assumeCalls(stack).map((x) => x.roleArn), [
    ROLE_DEV,
    ROLE_ADMIN,
  ]);
  await assertNoPassword(stack.home, [c.stderr, dev.stderr, admin.stderr]);
});

Deno.test("configure: prompts for what flags do not give; each prompt one line ending in ':' or '?', defaults in brackets", async () => {
  await using stack = await startStack();
  const r = await run(stack, ["configure"], {}, [
    "okta",
    stack.okta.embedUrl,
    ALICE,
    "team-",
    PASSWORD,
    "2",
    "my-admin",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, "");
  const t = r.prompter.transcript;
  const prompts = t.filter((_, i) => t[i + 1]?.startsWith("> "));
  assert.equal(prompts.length, 7, t.join("\n"));
  for (const prompt of prompts) {
    assert.doesNotMatch(prompt, /[\r\n]/, prompt);
    assert.match(prompt, /[:?] ?$/, prompt);
    // A default is in brackets right before the final ':' or '?'.
    if (prompt.includes("[")) assert.match(prompt, /\[[^\]]*\][:?] ?$/, prompt);
  }
  assert.match(prompts[0], /okta.*adfs|adfs.*okta/);
  assert.match(prompts[0], /\[okta\][:?] ?$/);
  assert.match(prompts[5], /\[all\][:?] ?$/);
  assert.ok(
    prompts[6].includes(ROLE_ADMIN) &&
      prompts[6].includes(`[team-${ADMIN}]`),
    prompts[6],
  );
  // The roles were listed, numbered, before the question.
  const menu = t.slice(0, t.indexOf(prompts[5]));
  assert.ok(
    menu.some((l) => /\b1\)?\.? .*role\/dev$/.test(l)),
    menu.join("\n"),
  );
  assert.ok(
    menu.some((l) => /\b2\)?\.? .*role\/admin$/.test(l)),
    menu.join("\n"),
  );
  // Only the chosen role, under the changed name; the summary on the terminal.
  assert.equal(
    await Deno.readTextFile(configOf(stack)),
    section(stack, "my-admin", ROLE_ADMIN),
  );
  assert.ok(
    t.some((l) => l.includes("get-caller-identity --profile my-admin")),
  );
  assert.deepEqual(assumeCalls(stack).map((c) => c.roleArn), [ROLE_ADMIN]);
  assert.ok((await entryOf(stack, ROLE_ADMIN))?.Credentials);
  assert.equal(await entryOf(stack, ROLE_DEV), undefined);
  await assertNoPassword(stack.home, []);
});

Deno.test("configure: the first CHOSEN role is assumed and cached; '2, 1', '2 1' and 'all' all parse", async () => {
  for (
    const [answer, order] of [
      ["2, 1", [ROLE_ADMIN, ROLE_DEV]],
      ["2 1", [ROLE_ADMIN, ROLE_DEV]],
      ["all", [ROLE_DEV, ROLE_ADMIN]],
    ] as const
  ) {
    await using stack = await startStack();
    const r = await run(
      stack,
      configureArgs(stack, "--profile-prefix", ""),
      withPassword,
      [answer, "", ""],
    );
    assert.equal(r.code, 0, `${answer}: ${r.stderr}`);
    const text = await Deno.readTextFile(configOf(stack));
    const written = [...text.matchAll(/^saml_role_arn = (.*)$/gm)].map((m) =>
      m[1]
    );
    assert.deepEqual(written, order, answer);
    assert.deepEqual(assumeCalls(stack).map((c) => c.roleArn), [order[0]]);
    assert.ok((await entryOf(stack, order[0]))?.Credentials, answer);
    assert.equal((await entryOf(stack, order[1]))?.Credentials, undefined);
    assert.ok((await entryOf(stack, order[1]))?.IdpSession, answer);
  }
});

Deno.test("configure: nothing is written when the sign-in fails or a flag is missing without a terminal", async () => {
  await using stack = await startStack();
  const wrong = await run(stack, configureArgs(stack, "--all-roles"), {
    AWSPROCESSCREDS_PASSWORD: "wrong password",
  });
  assert.equal(wrong.code, 1, wrong.stderr);
  const missing = await run(
    stack,
    ["configure", "-p", "okta", "-u", ALICE, "--all-roles"],
    withPassword,
  );
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /--endpoint/);
  assert.equal(missing.stdout, "");
  await assert.rejects(Deno.stat(dirOf(configOf(stack))), Deno.errors.NotFound);
});

Deno.test({
  name:
    "configure: several roles, no terminal, no --all-roles: a usage error naming --all-roles",
  async fn() {
    await using stack = await startStack();
    const r = await run(stack, configureArgs(stack), withPassword);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /--all-roles/);
    await assert.rejects(
      Deno.stat(configOf(stack)),
      Deno.errors.NotFound,
    );
    // With one granted role there is nothing to choose: it is configured.
    const solo = await run(
      stack,
      ["configure", ...stack.oktaArgs("solo@example.com")],
      withPassword,
    );
    assert.equal(solo.code, 0, solo.stderr);
    assert.match(await Deno.readTextFile(configOf(stack)), /role\/dev$/m);
  },
});

const SEED = `# my AWS config — keep these comments
; and this one
[default]
region = us-east-1
output = json

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1

[profile corp-${DEV}]
# my notes about dev
region = eu-west-1
saml_provider = adfs
saml_endpoint = https://old.example.com/adfs/ls/IdpInitiatedSignOn.aspx
credential_process = old-tool --profile corp-${DEV}
s3 =
  max_concurrent_requests = 20
cli_pager =

[services local]
sts =
  endpoint_url = https://sts.invalid

# trailing comment
`;

/** SEED after configure: the dev section updated in place, admin appended. */
function seedAfter(stack: Stack): string {
  const endpoint = new URL(stack.okta.embedUrl).href;
  return SEED.replace(
    `saml_provider = adfs
saml_endpoint = https://old.example.com/adfs/ls/IdpInitiatedSignOn.aspx
credential_process = old-tool --profile corp-${DEV}
s3 =
  max_concurrent_requests = 20
cli_pager =
`,
    `saml_provider = okta
saml_endpoint = ${endpoint}
credential_process = awsprocesscreds-saml --profile corp-${DEV}
s3 =
  max_concurrent_requests = 20
cli_pager =
saml_username = ${ALICE}
saml_role_arn = ${ROLE_DEV}
`,
  ) + `\n${section(stack, `corp-${ADMIN}`, ROLE_ADMIN)}`;
}

Deno.test("configure: an existing file keeps every other byte; a profile of the same name is updated in place; re-runs are stable", async () => {
  await using stack = await startStack();
  const path = configOf(stack);
  await Deno.mkdir(dirOf(path), { recursive: true });
  await Deno.writeTextFile(path, SEED);
  await Deno.chmod(path, 0o600);
  const args = configureArgs(stack, "--all-roles", "--profile-prefix", "corp-");
  const first = await run(stack, args, withPassword);
  assert.equal(first.code, 0, first.stderr);
  const expected = seedAfter(stack);
  assert.equal(await Deno.readTextFile(path), expected);
  assert.equal(await Deno.readTextFile(`${path}.bak`), SEED);
  assert.equal(modeOf(path), 0o600);
  assert.equal(modeOf(`${path}.bak`) & ~modeOf(path), 0);

  // The same run again: the same bytes, the backup untouched.
  const again = await run(stack, args, withPassword);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(await Deno.readTextFile(path), expected);
  assert.equal(await Deno.readTextFile(`${path}.bak`), SEED);

  // The person edits the appended section; a re-run keeps the edit.
  const edited = expected.replace(
    `credential_process = awsprocesscreds-saml --profile corp-${ADMIN}\n`,
    `credential_process = awsprocesscreds-saml --profile corp-${ADMIN}\n` +
      `# mine\nregion = ap-southeast-2\n`,
  );
  assert.notEqual(edited, expected);
  await Deno.writeTextFile(path, edited);
  const third = await run(stack, args, withPassword);
  assert.equal(third.code, 0, third.stderr);
  assert.equal(await Deno.readTextFile(path), edited);

  // A run that changes owned keys: each lands in its own section, in place.
  const fourth = await run(stack, [...args, "--mfa", "push"], withPassword);
  assert.equal(fourth.code, 0, fourth.stderr);
  const text = await Deno.readTextFile(path);
  assert.equal(
    text,
    edited.replace(
      `saml_role_arn = ${ROLE_DEV}\n`,
      `saml_role_arn = ${ROLE_DEV}\nsaml_mfa = push\n`,
    ).replace(
      `saml_role_arn = ${ROLE_ADMIN}\n`,
      `saml_role_arn = ${ROLE_ADMIN}\nsaml_mfa = push\n`,
    ),
  );
  assert.equal(await Deno.readTextFile(`${path}.bak`), edited);
  for (const name of [DEV, ADMIN]) {
    assert.equal(text.split(`[profile corp-${name}]`).length, 2, name);
  }
  assert.deepEqual(await names(dirOf(path)), ["config", "config.bak"]);
  await assertNoPassword(stack.home, [
    first.stderr,
    again.stderr,
    third.stderr,
    fourth.stderr,
  ]);
});

Deno.test("configure: the file's mode is kept (0640 stays 0640); the backup is no more readable", async () => {
  for (const mode of [0o640, 0o600, 0o644]) {
    await using stack = await startStack();
    const path = configOf(stack);
    await Deno.mkdir(dirOf(path), { recursive: true });
    await Deno.writeTextFile(path, SEED);
    await Deno.chmod(path, mode);
    const r = await run(stack, configureArgs(stack, "--all-roles"), {
      ...withPassword,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(modeOf(path), mode, mode.toString(8));
    const backup = modeOf(`${path}.bak`);
    assert.equal(
      backup & ~mode,
      0,
      `backup ${backup.toString(8)} vs config ${mode.toString(8)}`,
    );
    assert.equal(await Deno.readTextFile(`${path}.bak`), SEED);
    assert.deepEqual(await names(dirOf(path)), ["config", "config.bak"]);
  }
});

/** Prompt lines as the terminal showed them: [label, echoed answer]. */
function promptLines(tty: string, answers: [string, string][]): string[] {
  const lines = tty.replaceAll("\r", "").split("\n");
  return answers.map(([expect, echoed]) => {
    const line = lines.find((l) => l.startsWith(expect));
    assert.ok(line !== undefined, `no line starting ${expect} in ${tty}`);
    assert.ok(line.endsWith(echoed), `${line} does not end with ${echoed}`);
    return line.slice(0, line.length - echoed.length);
  });
}

e2eTest(
  "configure: interactive under a terminal: each prompt answered, the chosen role under a changed name",
  async () => {
    await using stack = await startStack();
    const r = await stack.run(["configure"], {
      tty: [
        { expect: "IdP type", send: "okta\r" },
        { expect: "IdP URL", send: `${stack.okta.embedUrl}\r` },
        { expect: "IdP username", send: `${ALICE}\r` },
        { expect: "prefix", send: "team-\r" },
        { expect: "Password", send: `${PASSWORD}\r` },
        { expect: "Roles to configure", send: "2\r" },
        { expect: "Profile name for", send: "my-admin\r" },
      ],
    });
    assert.equal(r.code, 0, r.stderr + r.tty);
    assert.deepEqual(r.unanswered, []);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "");
    const labels = promptLines(r.tty, [
      ["IdP type", "okta"],
      ["IdP URL", stack.okta.embedUrl],
      ["IdP username", ALICE],
      ["Profile name prefix", "team-"],
      ["Password", ""],
      ["Roles to configure", "2"],
      ["Profile name for", "my-admin"],
    ]);
    for (const label of labels) {
      assert.match(label, /[:?] $/, label);
      if (label.includes("[")) assert.match(label, /\[[^\]]*\][:?] $/, label);
    }
    assert.match(labels[0], /\[okta\]: $/);
    assert.match(labels[5], /\[all\]: $/);
    assert.ok(labels[6].includes(`[team-${ADMIN}]`), labels[6]);
    assert.match(r.tty, /1\)? .*role\/dev/);
    assert.match(r.tty, /2\)? .*role\/admin/);
    // The summary went to the terminal.
    assert.match(r.tty, /get-caller-identity --profile my-admin/);
    const text = await Deno.readTextFile(`${stack.home}/.aws/config`);
    assert.equal(
      text,
      section(stack, "my-admin", ROLE_ADMIN, {
        self: `${Deno.execPath()} run -A ${mainTs}`,
      }),
    );
    await assertNoPassword(stack.home, [r.stdout, r.stderr, r.tty]);
  },
);

/** A copy of the program in a directory whose name has a space. */
async function spacedCopy(): Promise<{ dir: string; main: string }> {
  const root = await Deno.makeTempDir({ prefix: "apc-tool-" });
  const dir = `${root}/my tools`;
  await Deno.mkdir(dir);
  const checkout = dirOf(mainTs);
  const cp = await new Deno.Command("cp", {
    args: [
      "-R",
      `${checkout}/main.ts`,
      `${checkout}/lib`,
      `${checkout}/deno.json`,
      `${checkout}/deno.lock`,
      dir,
    ],
  }).output();
  assert.ok(cp.success, new TextDecoder().decode(cp.stderr));
  return { dir: root, main: `${dir}/main.ts` };
}

/** What Python's shlex.split (botocore's split) makes of `command`. */
async function shlexSplit(command: string): Promise<string[]> {
  const out = await new Deno.Command("python3", {
    args: [
      "-c",
      "import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))",
      command,
    ],
    stdout: "piped",
  }).output();
  assert.ok(out.success);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test({
  name:
    "configure: from a path with a space, credential_process works in /bin/sh and the AWS CLI; no second login; no password",
  ignore: !E2E_SUPPORTED || !(await hasExecutable("aws")),
  async fn() {
    await using stack = await startStack();
    const tool = await spacedCopy();
    try {
      const outputs: string[] = [];
      const keep = (r: CliResult) => {
        outputs.push(r.stdout, r.stderr, r.tty);
        return r;
      };
      const c = keep(
        await stack.run(configureArgs(stack, "--all-roles"), {
          command: [Deno.execPath(), "run", "-A", "--cached-only", tool.main],
          env: withPassword,
        }),
      );
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout, "");
      assert.match(c.stderr, /Wrote 2 profiles/);
      assert.match(
        c.stderr,
        new RegExp(`get-caller-identity --profile ${DEV}`),
      );
      const path = `${stack.home}/.aws/config`;
      const text = await Deno.readTextFile(path);
      const commands = [...text.matchAll(/^credential_process = (.*)$/gm)]
        .map((m) => m[1]);
      assert.equal(commands.length, 2);
      for (const [i, name] of [DEV, ADMIN].entries()) {
        assert.deepEqual(await shlexSplit(commands[i]), [
          Deno.execPath(),
          "run",
          "-A",
          tool.main,
          "--profile",
          name,
        ]);
      }
      assert.equal(stack.okta.authnCount(), 1);

      // /bin/sh reads it the same way: the cached credentials, no login.
      const sh = keep(
        await stack.run(["-c", commands[0]], {
          command: ["/bin/sh"],
        }),
      );
      assert.equal(sh.code, 0, sh.stderr);
      const cached = parseCredentials(sh.stdout);

      const aws = (profile: string) =>
        stack.run(
          [
            "sts",
            "get-caller-identity",
            "--profile",
            profile,
            "--output",
            "json",
          ],
          {
            command: ["aws"],
            env: { AWS_CA_BUNDLE: caFile, AWS_DEFAULT_REGION: "us-east-1" },
          },
        );
      // The assumed role: the AWS CLI signs with the cached keys.
      const dev = keep(await aws(DEV));
      assert.equal(dev.code, 0, dev.stderr);
      assert.equal(
        JSON.parse(dev.stdout).Arn,
        `arn:aws:sts::${ACCOUNT}:assumed-role/dev/${ALICE}`,
      );
      assert.equal(stack.okta.authnCount(), 1);
      assert.deepEqual(assumeCalls(stack).map((x) => x.roleArn), [ROLE_DEV]);
      const issued = stack.sts.issued.at(-1)!;
      assert.equal(issued.accessKeyId, cached.AccessKeyId);

      // Another role: no password, no terminal, the saved IdP session.
      const admin = keep(await aws(ADMIN));
      assert.equal(admin.code, 0, admin.stderr);
      assert.equal(
        JSON.parse(admin.stdout).Arn,
        `arn:aws:sts::${ACCOUNT}:assumed-role/admin/${ALICE}`,
      );
      assert.equal(stack.okta.authnCount(), 1);
      assert.deepEqual(assumeCalls(stack).map((x) => x.roleArn), [
        ROLE_DEV,
        ROLE_ADMIN,
      ]);
      await assertNoPassword(stack.home, outputs);
    } finally {
      await Deno.remove(tool.dir, { recursive: true });
    }
  },
});
