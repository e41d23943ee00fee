/**
 * End to end: many concurrent invocations add up to one login.
 */
import assert from "node:assert/strict";
import { PASSWORD, ROLE_DEV } from "./emulators/fixtures.ts";
import { e2eTest, parseCredentials } from "./support/cli.ts";
import { startStack } from "./support/stack.ts";

const env = { AWSPROCESSCREDS_PASSWORD: PASSWORD };

e2eTest(
  "single flight: 8 processes at once, empty cache: one authn, identical credentials",
  async () => {
    await using stack = await startStack();
    const args = [...stack.oktaArgs("alice@example.com"), "-a", ROLE_DEV];
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => stack.run(args, { env })),
    );
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const keys = new Set(
      runs.map((r) => parseCredentials(r.stdout).AccessKeyId),
    );
    assert.equal(keys.size, 1);
    assert.equal(stack.okta.authnCount(), 1);
    assert.equal(stack.sts.calls.length, 1);
  },
);

e2eTest(
  "single flight: a waiter says on the terminal that another login is in progress",
  async () => {
    await using stack = await startStack();
    const args = [...stack.oktaArgs("slow@example.com"), "-a", ROLE_DEV];
    const holder = stack.run(args, { env });
    await new Promise((r) => setTimeout(r, 700));
    const waiter = await stack.run(args, { tty: [], env });
    const first = await holder;
    assert.equal(first.code, 0, first.stderr);
    assert.equal(waiter.code, 0, waiter.stderr);
    assert.match(waiter.tty, /Another login for this profile is in progress/);
    assert.equal(
      parseCredentials(waiter.stdout).AccessKeyId,
      parseCredentials(first.stdout).AccessKeyId,
    );
    assert.equal(stack.okta.authnCount(), 1);
  },
);

e2eTest(
  "single flight: the lock wait is bounded by --lock-timeout",
  async () => {
    await using stack = await startStack();
    const args = [...stack.oktaArgs("slow@example.com"), "-a", ROLE_DEV];
    const holder = stack.run(args, { env });
    await new Promise((r) => setTimeout(r, 700));
    const waiter = await stack.run([...args, "--lock-timeout", "1"], { env });
    assert.equal(waiter.code, 1);
    assert.equal(waiter.stdout, "");
    assert.match(
      waiter.stderr,
      /Timed out after 1 s waiting for another login to the same profile/,
    );
    assert.ok(waiter.ms < 4_000, `took ${waiter.ms} ms`);
    assert.equal((await holder).code, 0);
  },
);

e2eTest(
  "single flight: a holder killed mid-login releases the lock; the waiters succeed",
  async () => {
    await using stack = await startStack({ okta: { pushPolls: 3 } });
    const args = [
      ...stack.oktaArgs("push@example.com"),
      "-a",
      ROLE_DEV,
      "--mfa",
      "push",
    ];
    const holder = await stack.spawn(args, { env });
    const deadline = Date.now() + 10_000;
    while (!stack.okta.requests.some((q) => q.path.includes("/verify"))) {
      if (Date.now() > deadline) {
        throw new Error("the holder never started its push");
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const waiters = Array.from({ length: 3 }, () => stack.run(args, { env }));
    await new Promise((r) => setTimeout(r, 300));
    holder.kill("SIGKILL");
    await holder.status;
    const results = await Promise.all(waiters);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(
      new Set(results.map((r) => parseCredentials(r.stdout).AccessKeyId)).size,
      1,
    );
    assert.equal(stack.okta.authnCount(), 2);
    for await (const e of Deno.readDir(stack.cacheDir)) {
      assert.ok(!e.name.endsWith(".tmp"), e.name);
    }
  },
);
