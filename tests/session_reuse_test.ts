/**
 * End to end: reusing the IdP session kept in the cache entry, so expired AWS
 * credentials come back without a password or MFA.
 */
import assert from "node:assert/strict";
import { PASSWORD, ROLE_DEV } from "./emulators/fixtures.ts";
import { e2eTest, parseCredentials } from "./support/cli.ts";
import { type Stack, startStack } from "./support/stack.ts";

const password = [{ expect: "Password: ", send: `${PASSWORD}\r` }];

async function expireAwsCredentials(
  stack: Stack,
): Promise<Record<string, unknown>> {
  for await (const e of Deno.readDir(stack.cacheDir)) {
    if (!e.name.endsWith(".json")) continue;
    const path = `${stack.cacheDir}/${e.name}`;
    const entry = JSON.parse(await Deno.readTextFile(path));
    entry.Credentials.Expiration = new Date(Date.now() + 5 * 60_000)
      .toISOString();
    await Deno.writeTextFile(path, JSON.stringify(entry), { mode: 0o600 });
    return entry;
  }
  throw new Error("no cache entry");
}

for (const idp of ["okta", "adfs"] as const) {
  e2eTest(
    `session reuse (${idp}): expired AWS credentials, live IdP session: no prompt, no password post`,
    async () => {
      await using stack = await startStack();
      const args = [
        ...(idp === "okta"
          ? stack.oktaArgs("alice@example.com")
          : stack.adfsArgs("alice@example.com")),
        "-a",
        ROLE_DEV,
      ];
      const posts = () =>
        idp === "okta" ? stack.okta.authnCount() : stack.adfs.loginPosts();
      const first = await stack.run(args, { tty: password });
      assert.equal(first.code, 0, first.stderr);
      const entry = await expireAwsCredentials(stack);
      assert.ok(
        JSON.stringify(entry.IdpSession).includes(
          idp === "okta" ? '"sid"' : '"MSISAuth"',
        ),
        "the IdP session cookie was not kept",
      );
      // No terminal and no password: only the saved session can succeed.
      const second = await stack.run([...args, "-v"]);
      assert.equal(second.code, 0, second.stderr);
      assert.notEqual(
        parseCredentials(second.stdout).AccessKeyId,
        parseCredentials(first.stdout).AccessKeyId,
      );
      assert.equal(posts(), 1);
      assert.match(second.stderr, /The saved IdP session gave a new assertion/);
      assert.ok(
        !second.stderr.includes(
          String(
            (entry.IdpSession as { Cookies: { value: string }[] }).Cookies[0]
              .value,
          ),
        ),
      );

      // The IdP session ends: back to the password, said with -v.
      (idp === "okta" ? stack.okta : stack.adfs).expireSessions();
      await expireAwsCredentials(stack);
      const third = await stack.run([...args, "-v"], { tty: password });
      assert.equal(third.code, 0, third.stderr);
      assert.match(third.tty, /Password: /);
      assert.match(
        third.stderr,
        /The saved IdP session was refused; logging in/,
      );
      assert.equal(posts(), 2);
    },
  );
}

e2eTest(
  "session reuse: --no-session-reuse keeps no IdP cookies and always asks",
  async () => {
    await using stack = await startStack();
    const args = [
      ...stack.oktaArgs("alice@example.com"),
      "-a",
      ROLE_DEV,
      "--no-session-reuse",
    ];
    const first = await stack.run(args, { tty: password });
    assert.equal(first.code, 0, first.stderr);
    const entry = await expireAwsCredentials(stack);
    assert.equal(entry.IdpSession, undefined);
    const second = await stack.run(args, { tty: password });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.tty, /Password: /);
    assert.equal(stack.okta.authnCount(), 2);
  },
);
