/**
 * End to end: the command line itself, running from a URL, and a real
 * consumer (the AWS CLI) using the output.
 */
import assert from "node:assert/strict";
import { caFile } from "./emulators/server.ts";
import { PASSWORD, ROLE_DEV } from "./emulators/fixtures.ts";
import {
  E2E_SUPPORTED,
  e2eTest,
  hasExecutable,
  mainTs,
  parseCredentials,
  runCli,
} from "./support/cli.ts";
import { startStack } from "./support/stack.ts";

e2eTest("cli: usage errors exit 2 with nothing on stdout", async () => {
  const home = await Deno.makeTempDir();
  const cases: [string[], RegExp][] = [
    [["--bogus"], /Unknown option '--bogus'/],
    [["-u", "a", "-p", "okta"], /Missing required option: --endpoint/],
    [["-e", "https://x.example/", "-u", "a", "-p", "ping"], /--provider: ping/],
    [
      ["-e", "https://x.example/", "-u", "a", "-p", "okta", "--duration", "60"],
      /--duration: 60/,
    ],
    [
      ["-e", "https://x.example/", "-u", "a", "-p", "okta", "--timeout", "abc"],
      /--timeout: abc/,
    ],
    [
      ["-e", "https://x.example/", "-u", "a", "-p", "okta", "-a", "dev"],
      /--role-arn: dev/,
    ],
    [
      ["-e", "https://x.example/", "-u", "a", "-p", "okta", "--mfa", "fax"],
      /--mfa: fax/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args, { home });
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stdout, "");
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Usage: awsprocesscreds-saml/);
  }
  await Deno.remove(home, { recursive: true });
});

e2eTest("cli: --help and --version print to stdout and exit 0", async () => {
  const home = await Deno.makeTempDir();
  const help = await runCli(["--help"], { home });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--list-roles/);
  const version = await runCli(["--version"], { home });
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^awsprocesscreds-saml \d+\.\d+\.\d+\n$/);
  await Deno.remove(home, { recursive: true });
});

e2eTest(
  "cli: an http:// endpoint is refused and no request is sent",
  async () => {
    await using stack = await startStack();
    const plain = stack.okta.embedUrl.replace("https:", "http:");
    const r = await stack.run([
      "-e",
      plain,
      "-u",
      "alice@example.com",
      "-p",
      "okta",
    ], {
      env: { AWSPROCESSCREDS_PASSWORD: PASSWORD },
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /http:\/\/ is refused; the IdP must use https/);
    assert.equal(stack.okta.requests.length, 0);
  },
);

e2eTest(
  "cli: a redirect to http:// is refused before it is followed",
  async () => {
    const seen: string[] = [];
    const plain = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) => {
        seen.push(req.url);
        return new Response("no");
      },
    );
    await using stack = await startStack();
    // An https IdP page that redirects to plain http.
    const { serveTls } = await import("./emulators/server.ts");
    const redirector = serveTls(() =>
      new Response(null, {
        status: 302,
        headers: { location: `http://127.0.0.1:${plain.addr.port}/adfs/ls/` },
      })
    );
    try {
      const r = await stack.run(
        [
          "-e",
          `${redirector.url}/adfs/ls/IdpInitiatedSignOn.aspx`,
          "-u",
          "a@example.com",
          "-p",
          "adfs",
        ],
        { env: { AWSPROCESSCREDS_PASSWORD: PASSWORD } },
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Refusing to send a request over plain HTTP/);
      assert.deepEqual(seen, []);
    } finally {
      await redirector.close();
      await plain.shutdown();
    }
  },
);

e2eTest("cli: runs from a URL for --help and for one login", async () => {
  const root = new URL("../", import.meta.url);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      if (path.includes("..")) return new Response("no", { status: 400 });
      try {
        const body = await Deno.readFile(new URL(`.${path}`, root));
        return new Response(body, {
          headers: { "content-type": "application/typescript" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  await using stack = await startStack();
  const cwd = await Deno.makeTempDir();
  // The committed lockfile, as a user would keep one: npm packages resolve
  // from it and load from DENO_DIR, so nothing leaves loopback.
  const lock = `${cwd}/deno.lock`;
  await Deno.copyFile(new URL("deno.lock", root), lock);
  try {
    const url = `http://127.0.0.1:${server.addr.port}/main.ts`;
    const command = [Deno.execPath(), "run", "-A", `--lock=${lock}`, url];
    const help = await stack.run(["--help"], { command, cwd });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: awsprocesscreds-saml/);
    const r = await stack.run([
      ...stack.oktaArgs("alice@example.com"),
      "-a",
      ROLE_DEV,
    ], {
      command,
      cwd,
      env: { AWSPROCESSCREDS_PASSWORD: PASSWORD },
    });
    assert.equal(r.code, 0, r.stderr);
    parseCredentials(r.stdout);
  } finally {
    await server.shutdown();
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test({
  name: "cli: the AWS CLI uses the credentials through credential_process",
  ignore: !E2E_SUPPORTED || !(await hasExecutable("aws")),
  async fn() {
    await using stack = await startStack();
    const command = [
      Deno.execPath(),
      "run",
      "-A",
      "--cached-only",
      mainTs,
      ...stack.oktaArgs("alice@example.com"),
      "-a",
      ROLE_DEV,
    ]
      .map((a) => `'${a}'`).join(" ");
    await Deno.mkdir(`${stack.home}/.aws`, { recursive: true });
    await Deno.writeTextFile(
      `${stack.home}/.aws/config`,
      `[profile emu]\nregion = us-east-1\ncredential_process = ${command}\n`,
    );
    const r = await stack.run([
      "sts",
      "get-caller-identity",
      "--profile",
      "emu",
      "--output",
      "json",
    ], {
      command: ["aws"],
      env: {
        AWSPROCESSCREDS_PASSWORD: PASSWORD,
        AWS_CA_BUNDLE: caFile,
        AWS_DEFAULT_REGION: "us-east-1",
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const identity = JSON.parse(r.stdout);
    assert.equal(identity.Account, "123456789012");
    assert.match(
      identity.Arn,
      /^arn:aws:sts::123456789012:assumed-role\/dev\/alice@example\.com$/,
    );
    // The STS emulator checked the SigV4 signature made with the issued keys.
    assert.ok(
      stack.sts.calls.some((c) => c.action === "GetCallerIdentity" && c.ok),
    );
  },
});
