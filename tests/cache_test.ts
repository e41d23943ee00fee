/**
 * End to end: the credential cache as consumers see it.
 */
import assert from "node:assert/strict";
import { PASSWORD, ROLE_DEV } from "./emulators/fixtures.ts";
import { e2eTest, parseCredentials } from "./support/cli.ts";
import { type Stack, startStack } from "./support/stack.ts";

const env = { AWSPROCESSCREDS_PASSWORD: PASSWORD };

async function login(stack: Stack, extra: string[] = []) {
  const r = await stack.run(
    [...stack.oktaArgs("alice@example.com"), "-a", ROLE_DEV, ...extra],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  return { ...r, creds: parseCredentials(r.stdout) };
}

async function entries(stack: Stack): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(stack.cacheDir)) names.push(e.name);
  return names.sort();
}

async function onlyEntry(stack: Stack): Promise<string> {
  const json = (await entries(stack)).filter((n) => n.endsWith(".json"));
  assert.equal(json.length, 1, `entries: ${json}`);
  return `${stack.cacheDir}/${json[0]}`;
}

e2eTest(
  "cache: a hit sends no request and returns the same credentials",
  async () => {
    await using stack = await startStack();
    const first = await login(stack);
    const before = stack.okta.requests.length + stack.sts.requests.length;
    const second = await stack.run(
      [...stack.oktaArgs("alice@example.com"), "-a", ROLE_DEV, "-v"],
    );
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(parseCredentials(second.stdout), first.creds);
    assert.equal(
      stack.okta.requests.length + stack.sts.requests.length,
      before,
    );
    assert.match(second.stderr, /Cache hit/);
  },
);

e2eTest(
  "cache: directory 0700, entry and lock files 0600, no temporary files",
  async () => {
    await using stack = await startStack();
    await login(stack);
    assert.equal((await Deno.stat(stack.cacheDir)).mode! & 0o777, 0o700);
    const names = await entries(stack);
    assert.ok(names.some((n) => n.endsWith(".json")));
    assert.ok(!names.some((n) => n.endsWith(".tmp")), `${names}`);
    for (const name of names) {
      const mode = (await Deno.stat(`${stack.cacheDir}/${name}`)).mode! & 0o777;
      assert.equal(mode, 0o600, `${name} has mode ${mode.toString(8)}`);
    }
  },
);

e2eTest("cache: --no-cache neither reads nor writes", async () => {
  await using stack = await startStack();
  await login(stack, ["--no-cache"]);
  await assert.rejects(Deno.stat(stack.cacheDir));
  await login(stack);
  const authn = stack.okta.authnCount();
  await login(stack, ["--no-cache"]);
  assert.equal(stack.okta.authnCount(), authn + 1);
});

e2eTest(
  "cache: an entry with 15 minutes or less left means a new login",
  async () => {
    await using stack = await startStack();
    const first = await login(stack, ["--no-session-reuse"]);
    const path = await onlyEntry(stack);
    const entry = JSON.parse(await Deno.readTextFile(path));
    entry.Credentials.Expiration = new Date(Date.now() + 14 * 60_000)
      .toISOString();
    await Deno.writeTextFile(path, JSON.stringify(entry), { mode: 0o600 });
    const second = await login(stack, ["--no-session-reuse"]);
    assert.notEqual(second.creds.AccessKeyId, first.creds.AccessKeyId);
    assert.equal(stack.okta.authnCount(), 2);
    // More than 15 minutes left: a hit.
    entry.Credentials.Expiration = new Date(Date.now() + 16 * 60_000)
      .toISOString();
    await Deno.writeTextFile(path, JSON.stringify(entry), { mode: 0o600 });
    const third = await login(stack, ["--no-session-reuse"]);
    assert.equal(third.creds.AccessKeyId, first.creds.AccessKeyId);
    assert.equal(stack.okta.authnCount(), 2);
  },
);

e2eTest(
  "cache: untrustworthy entries are ignored with a warning and replaced",
  async () => {
    await using stack = await startStack();
    await login(stack);
    const path = await onlyEntry(stack);
    const good = await Deno.readTextFile(path);
    const cases: [string, () => Promise<void>, RegExp][] = [
      [
        "malformed",
        () => Deno.writeTextFile(path, "{not json", { mode: 0o600 }),
        /malformed/,
      ],
      [
        "wrong shape",
        () =>
          Deno.writeTextFile(path, '{"Version":1,"Credentials":{}}', {
            mode: 0o600,
          }),
        /malformed/,
      ],
      ["world-readable", async () => {
        await Deno.writeTextFile(path, good, { mode: 0o644 });
        await Deno.chmod(path, 0o644);
      }, /mode is 644, not 600/],
      ["symlink", async () => {
        const target = `${stack.home}/elsewhere.json`;
        await Deno.writeTextFile(target, good, { mode: 0o600 });
        await Deno.remove(path);
        await Deno.symlink(target, path);
      }, /symbolic link/],
    ];
    for (const [what, spoil, warning] of cases) {
      await spoil();
      const authn = stack.okta.authnCount();
      const r = await login(stack);
      assert.match(r.stderr, warning, what);
      assert.equal(stack.okta.authnCount(), authn + 1, `${what}: no new login`);
      const info = await Deno.lstat(path);
      assert.ok(info.isFile && !info.isSymlink, `${what}: not replaced`);
      assert.equal(info.mode! & 0o777, 0o600, what);
    }
  },
);

e2eTest("cache: the key separates roles, durations and regions", async () => {
  await using stack = await startStack();
  await login(stack);
  await login(stack, ["--duration", "900"]);
  await login(stack, ["--region", "eu-west-1"]);
  assert.equal(stack.okta.authnCount(), 3);
  assert.equal(
    (await entries(stack)).filter((n) => n.endsWith(".json")).length,
    3,
  );
});

e2eTest(
  "cache: --clear-cache removes this profile's entry and exits",
  async () => {
    await using stack = await startStack();
    await login(stack);
    const path = await onlyEntry(stack);
    const r = await stack.run([
      ...stack.oktaArgs("alice@example.com"),
      "-a",
      ROLE_DEV,
      "--clear-cache",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /removed/);
    await assert.rejects(Deno.stat(path));
    const again = await stack.run([
      ...stack.oktaArgs("alice@example.com"),
      "-a",
      ROLE_DEV,
      "--clear-cache",
    ]);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /no cache entry/);
  },
);

e2eTest(
  "cache: a leftover temporary file from a killed writer is removed",
  async () => {
    await using stack = await startStack();
    await login(stack);
    const path = await onlyEntry(stack);
    const key = path.split("/").pop()!.replace(/\.json$/, "");
    const leftover = `${stack.cacheDir}/${key}.99999.deadbeef.tmp`;
    await Deno.writeTextFile(leftover, "half", { mode: 0o600 });
    await Deno.remove(path);
    await login(stack);
    assert.ok(!(await entries(stack)).some((n) => n.endsWith(".tmp")));
  },
);
