/**
 * End to end: many concurrent invocations add up to one login.
 */
import assert from "node:assert/strict";
import { PASSWORD, ROLE_DEV } from "./emulators/fixtures.ts";
import { e2eTest, parseCredentials } from "./support/cli.ts";
import { type Stack, startStack } from "./support/stack.ts";

/**
 * Resolves once the holder is inside its login: the lock is taken before the
 * first IdP request, so its authn reaching the emulator proves it holds it.
 */
async function holderIsIn(stack: Stack): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (stack.okta.authnCount() === 0) {
    if (Date.now() > deadline) throw new Error("the holder never signed in");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const env = { AWSPROCESSCREDS_PASSWORD: PASSWORD };

/** Resolves once `n` other processes hold the profile's lock file open. */
async function lockWaiters(stack: Stack, n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    let lock: string | undefined;
    for await (const e of Deno.readDir(stack.cacheDir)) {
      if (e.name.endsWith(".lock")) lock = `${stack.cacheDir}/${e.name}`;
    }
    let holders = 0;
    if (lock) {
      for await (const p of Deno.readDir("/proc")) {
        if (!/^\d+$/.test(p.name)) continue;
        try {
          for await (const fd of Deno.readDir(`/proc/${p.name}/fd`)) {
            const target = await Deno.readLink(`/proc/${p.name}/fd/${fd.name}`)
              .catch(() => "");
            if (target === lock) {
              holders++;
              break;
            }
          }
        } catch {
          // gone, or not ours to read
        }
      }
    }
    // The killed-to-be holder has it open too.
    if (holders >= n + 1) return;
    if (Date.now() > deadline) {
      throw new Error(`only ${holders} process(es) opened the lock`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

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
    await holderIsIn(stack);
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
    await holderIsIn(stack);
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
    // Each waiter, once it waits on the lock, has read the (empty) cache:
    // wait until all three processes exist and have opened the lock file.
    await lockWaiters(stack, 3);
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
