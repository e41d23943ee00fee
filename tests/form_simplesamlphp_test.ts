/**
 * The `-p form` provider against a real IdP: SimpleSAMLphp 1.19
 * (tests/support/simplesamlphp.ts), with STS checking the real signature
 * through xmlsec1 (tests/support/xmlsec_trust.ts). Most runs are in-process;
 * one goes through main.ts under a real pseudo-terminal.
 *
 * Each test is ignored, with the reason in its name, when SimpleSAMLphp is
 * missing (`apt-get install simplesamlphp php-cli php-xml php-mbstring
 * xmlsec1`).
 */
import assert from "node:assert/strict";
import { PASSWORD, ROLE_ADMIN, ROLE_DEV } from "./emulators/fixtures.ts";
import { startSts, type StsEmulator } from "./emulators/sts.ts";
import { E2E_SUPPORTED, parseCredentials, runCli } from "./support/cli.ts";
import { type InProcessResult, runInProcess } from "./support/in_process.ts";
import {
  type SimpleSamlPhp,
  SIMPLESAMLPHP_PROVIDER,
  simpleSamlPhpSkipReason,
  startSimpleSamlPhp,
} from "./support/simplesamlphp.ts";
import { xmlsecTrust } from "./support/xmlsec_trust.ts";
import { recordingFetch } from "./support/recording_fetch.ts";

const skip = await simpleSamlPhpSkipReason();
const suffix = skip === undefined ? "" : ` (ignored: ${skip})`;

const WRONG_PASSWORD = "Tr0ub4dor&3x";

interface Env {
  idp: SimpleSamlPhp;
  sts: StsEmulator;
  home: string;
  /** Why STS refused an assertion, for failure messages. */
  rejections: string[];
  [Symbol.asyncDispose](): Promise<void>;
}

async function setup(): Promise<Env> {
  const idp = await startSimpleSamlPhp();
  const rejections: string[] = [];
  const sts = startSts({
    trust: xmlsecTrust(idp.certificatePem, (r) => rejections.push(r)),
  });
  const home = await Deno.makeTempDir({ prefix: "apc-form-ssp-" });
  return {
    idp,
    sts,
    home,
    rejections,
    async [Symbol.asyncDispose]() {
      await sts.close();
      await idp.close();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}

function sspTest(name: string, fn: () => Promise<void>, pty = false): void {
  Deno.test({
    name: `form + SimpleSAMLphp: ${name}${suffix}`,
    ignore: skip !== undefined || (pty && !E2E_SUPPORTED),
    fn,
  });
}

interface RunOptions {
  env?: Record<string, string>;
  answers?: string[] | null;
  fetch?: typeof fetch;
}

function run(
  e: Env,
  user: string,
  extra: string[] = [],
  options: RunOptions = {},
): Promise<InProcessResult> {
  return runInProcess(
    ["-e", e.idp.ssoUrl, "-u", user, "-p", "form", ...extra],
    {
      home: e.home,
      env: { AWS_ENDPOINT_URL_STS: e.sts.url, ...options.env },
      answers: options.answers === undefined ? [] : options.answers,
      fetch: options.fetch,
    },
  );
}

function loginPosts(e: Env): number {
  return e.idp.requests.filter((r) => r.loginPost).length;
}

async function failure(e: Env, r: InProcessResult): Promise<string> {
  return `exit ${r.code}\n${r.stderr}\nSTS: ${
    e.rejections.join("; ")
  }\n${await e.idp.logs()}`;
}

async function cacheEntries(home: string): Promise<string[]> {
  const dir = `${home}/.aws/cli/process-creds-cache`;
  const paths: string[] = [];
  for await (const f of Deno.readDir(dir)) {
    if (f.name.endsWith(".json")) paths.push(`${dir}/${f.name}`);
  }
  return paths;
}

/** Makes the cached AWS credentials due for refresh, keeping the rest. */
async function expireCredentials(
  home: string,
): Promise<Record<string, unknown>> {
  const [path] = await cacheEntries(home);
  assert.ok(path, "no cache entry");
  const entry = JSON.parse(await Deno.readTextFile(path));
  entry.Credentials.Expiration = new Date(Date.now() + 5 * 60_000)
    .toISOString();
  await Deno.writeTextFile(path, JSON.stringify(entry), { mode: 0o600 });
  return entry;
}

sspTest("the password from the environment, to credentials", async () => {
  await using e = await setup();
  const r = await run(e, "alice", ["-a", ROLE_DEV], {
    env: { AWSPROCESSCREDS_PASSWORD: PASSWORD },
  });
  assert.equal(r.code, 0, await failure(e, r));
  const creds = parseCredentials(r.stdout);
  assert.match(creds.AccessKeyId, /^ASIA/);
  assert.deepEqual(r.prompter.transcript, []);
  assert.equal(loginPosts(e), 1);
  assert.equal(e.sts.calls.length, 1);
  assert.equal(e.sts.calls[0].ok, true);
  assert.equal(e.sts.calls[0].roleArn, ROLE_DEV);
  assert.equal(e.sts.calls[0].principalArn, SIMPLESAMLPHP_PROVIDER);
  // The login form's action is "?": this path with an empty query.
  const post = e.idp.requests.find((q) => q.loginPost)!;
  assert.equal(post.path, "/simplesaml/module.php/core/loginuserpass.php");
  assert.equal(post.query, "");
});

sspTest("the password on a real terminal", async () => {
  await using e = await setup();
  const r = await runCli(
    ["-e", e.idp.ssoUrl, "-u", "alice", "-p", "form", "-a", ROLE_ADMIN],
    {
      home: e.home,
      env: { AWS_ENDPOINT_URL_STS: e.sts.url },
      tty: [{ expect: "Password: ", send: `${PASSWORD}\r` }],
    },
  );
  assert.equal(r.code, 0, `${r.stderr}\n${r.tty}`);
  assert.deepEqual(r.unanswered, []);
  parseCredentials(r.stdout);
  assert.ok(!r.tty.includes(PASSWORD), "the password was echoed");
  assert.ok(!r.stderr.includes(PASSWORD));
  assert.equal(e.sts.calls.at(-1)?.roleArn, ROLE_ADMIN);
  assert.equal(loginPosts(e), 1);
}, true);

sspTest(
  "a wrong password shows SimpleSAMLphp's text, posted once",
  async () => {
    await using e = await setup();
    const r = await run(e, "alice", ["-v"], {
      answers: [WRONG_PASSWORD, PASSWORD],
    });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /failed: Incorrect username or password\. Either no user with the given username could be found, or the password you gave was wrong\./,
    );
    assert.ok(!r.stderr.includes(WRONG_PASSWORD));
    assert.deepEqual(r.prompter.transcript, [
      "Password: ",
      `> ${WRONG_PASSWORD}`,
    ]);
    assert.equal(loginPosts(e), 1);
    assert.equal(e.sts.calls.length, 0);
  },
);

sspTest(
  "no terminal and no AWSPROCESSCREDS_PASSWORD fails at once",
  async () => {
    await using e = await setup();
    const r = await run(e, "alice", [], { answers: null });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /Cannot ask for password: no terminal/);
    assert.match(r.stderr, /AWSPROCESSCREDS_PASSWORD/);
    assert.equal(loginPosts(e), 0);
  },
);

sspTest("--list-roles, -a and the role menu", async () => {
  await using e = await setup();
  const env = { AWSPROCESSCREDS_PASSWORD: PASSWORD };
  const list = await run(e, "alice", ["--list-roles"], { env });
  assert.equal(list.code, 0, await failure(e, list));
  assert.equal(
    list.stdout,
    `${ROLE_DEV} ${SIMPLESAMLPHP_PROVIDER}\n${ROLE_ADMIN} ${SIMPLESAMLPHP_PROVIDER}\n`,
  );
  assert.equal(e.sts.calls.length, 0);

  const chosen = await run(e, "alice", ["-a", ROLE_ADMIN, "--no-cache"], {
    env,
  });
  assert.equal(chosen.code, 0, await failure(e, chosen));
  assert.equal(e.sts.calls.at(-1)?.roleArn, ROLE_ADMIN);

  const menu = await run(e, "alice", ["--no-cache"], {
    env,
    answers: ["2"],
  });
  assert.equal(menu.code, 0, await failure(e, menu));
  assert.deepEqual(menu.prompter.transcript, [
    "Several roles are granted:",
    `  1) ${ROLE_DEV}`,
    `  2) ${ROLE_ADMIN}`,
    "Choose 1-2: ",
    "> 2",
  ]);
  assert.equal(e.sts.calls.at(-1)?.roleArn, ROLE_ADMIN);

  const noMenu = await run(e, "alice", ["--no-cache"], {
    env,
    answers: null,
  });
  assert.equal(noMenu.code, 1);
  assert.match(noMenu.stderr, /Cannot choose a role without a terminal/);
  assert.equal(e.sts.calls.length, 2);
});

sspTest("the assertion's SessionDuration reaches STS", async () => {
  await using e = await setup();
  const env = { AWSPROCESSCREDS_PASSWORD: PASSWORD };
  const alice = await run(e, "alice", ["-a", ROLE_DEV], { env });
  assert.equal(alice.code, 0, await failure(e, alice));
  assert.equal(e.sts.calls.at(-1)?.durationSeconds, 28800);
  const expires = Date.parse(parseCredentials(alice.stdout).Expiration);
  assert.ok(expires - Date.now() > 7 * 3600_000, "not an 8-hour session");

  const bob = await run(e, "bob", [], { env });
  assert.equal(bob.code, 0, await failure(e, bob));
  assert.equal(e.sts.calls.at(-1)?.roleArn, ROLE_DEV);
  // No SessionDuration in bob's assertion: the role's default, whatever
  // the SDK sends for it.
  assert.notEqual(e.sts.calls.at(-1)?.durationSeconds, 28800);
});

sspTest(
  "session reuse: new credentials without a second login post",
  async () => {
    await using e = await setup();
    const first = await run(e, "alice", ["-a", ROLE_DEV], {
      answers: [PASSWORD],
    });
    assert.equal(first.code, 0, await failure(e, first));
    const entry = await expireCredentials(e.home);
    const cookies = (entry.IdpSession as { Cookies: { name: string }[] })
      .Cookies.map((c) => c.name);
    assert.ok(cookies.includes("SimpleSAMLAuthToken"), cookies.join(", "));

    // Nothing can ask: only the saved session can succeed.
    const second = await run(e, "alice", ["-a", ROLE_DEV, "-v"], {
      answers: null,
    });
    assert.equal(second.code, 0, await failure(e, second));
    assert.notEqual(
      parseCredentials(second.stdout).AccessKeyId,
      parseCredentials(first.stdout).AccessKeyId,
    );
    assert.match(second.stderr, /The saved IdP session gave a new assertion/);
    assert.equal(loginPosts(e), 1);
    assert.equal(e.sts.calls.length, 2);
  },
);

sspTest(
  "--no-session-reuse: no cookies kept, a second login post",
  async () => {
    await using e = await setup();
    const args = ["-a", ROLE_DEV, "--no-session-reuse"];
    const env = { AWSPROCESSCREDS_PASSWORD: PASSWORD };
    const first = await run(e, "alice", args, { env });
    assert.equal(first.code, 0, await failure(e, first));
    const [path] = await cacheEntries(e.home);
    const text = await Deno.readTextFile(path);
    assert.ok(!text.includes("IdpSession"), text);
    assert.ok(!text.includes("SimpleSAML"), text);

    await expireCredentials(e.home);
    const second = await run(e, "alice", args, { env });
    assert.equal(second.code, 0, await failure(e, second));
    assert.equal(loginPosts(e), 2);
  },
);

sspTest(
  "-v output holds no password, SAMLResponse or session cookie",
  async () => {
    await using e = await setup();
    const rec = recordingFetch();
    const r = await run(e, "alice", ["-a", ROLE_DEV, "-v"], {
      answers: [PASSWORD],
      fetch: rec.fetch,
    });
    assert.equal(r.code, 0, await failure(e, r));
    assert.match(
      r.stderr,
      /sign-in form \[name=f\] \(user username, password password\)/,
    );
    assert.match(r.stderr, /the SAML form/);
    assert.ok(!r.stderr.includes(PASSWORD));
    const saml = rec.bodies
      .map((b) => /name="SAMLResponse" value="([^"]+)"/.exec(b)?.[1])
      .find((v) => v);
    assert.ok(saml, "no SAMLResponse seen");
    assert.ok(!r.stderr.includes(saml.slice(0, 40)));
    const values = rec.cookies.filter((v) => v.length >= 8);
    assert.ok(values.length >= 2, rec.cookies.join(" "));
    for (const v of values) assert.ok(!r.stderr.includes(v), `cookie ${v}`);
    assert.ok(!r.stdout.includes(PASSWORD));
  },
);
