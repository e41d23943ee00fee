/**
 * Unit tests of the per-profile login lock (lib/cache/lock.ts).
 *
 * Deno's file locks (flock on Unix, LockFileEx on Windows) belong to an open
 * file description, not to the process, so two separate `Deno.open`s of the
 * same path in one process exclude each other just as two processes do.
 */
import assert from "node:assert/strict";
import { acquireLock, LockTimeoutError } from "../lib/cache/lock.ts";
import { type Clock, systemClock } from "../lib/clock.ts";
import { CacheError } from "../lib/errors.ts";
import { fakeClock } from "./support/fake_clock.ts";

async function withLockPath(
  fn: (path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lock_test_" });
  try {
    await fn(`${dir}/profile.lock`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("acquireLock() is exclusive between two holders in one process", async () => {
  await withLockPath(async (path) => {
    const first = await acquireLock(path, {
      timeoutMs: 1000,
      clock: systemClock,
    });
    try {
      const clock = fakeClock(0);
      let waits = 0;
      await assert.rejects(
        acquireLock(path, {
          timeoutMs: 1000,
          clock,
          pollMs: 100,
          onWait: () => {
            waits++;
          },
        }),
        CacheError,
      );
      assert.equal(waits, 1);
      // It polled every pollMs until the deadline, on the injected clock.
      assert.deepEqual(clock.sleeps, Array(10).fill(100));
    } finally {
      first.release();
    }
  });
});

Deno.test("acquireLock() times out with a CacheError naming the lock and --lock-timeout", async () => {
  await withLockPath(async (path) => {
    const first = await acquireLock(path, {
      timeoutMs: 1000,
      clock: systemClock,
    });
    try {
      const clock = fakeClock(Date.parse("2030-01-01T00:00:00Z"));
      const error = await acquireLock(path, { timeoutMs: 2500, clock }).then(
        () => assert.fail("the second holder got the lock"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof LockTimeoutError, String(error));
      assert.ok(error instanceof CacheError);
      assert.ok(error.message.includes(path), error.message);
      assert.match(error.message, /--lock-timeout/);
      assert.match(error.message, /2\.5 s/);
      // Default poll interval, and no sleep past the deadline.
      assert.deepEqual(clock.sleeps, Array(25).fill(100));
    } finally {
      first.release();
    }
  });
});

Deno.test("acquireLock() waits for the holder and calls onWait exactly once", async () => {
  await withLockPath(async (path) => {
    const first = await acquireLock(path, {
      timeoutMs: 1000,
      clock: systemClock,
    });
    let sleeps = 0;
    let released = false;
    let now = 0;
    // A fake clock whose third sleep is when the holder lets go.
    const clock: Clock = {
      now: () => new Date(now),
      sleep: (ms) => {
        now += ms;
        sleeps++;
        if (sleeps === 3) {
          first.release();
          released = true;
        }
        return Promise.resolve();
      },
    };
    let waits = 0;
    const second = await acquireLock(path, {
      timeoutMs: 60_000,
      clock,
      onWait: () => {
        waits++;
      },
    });
    try {
      assert.ok(released, "the lock was taken while the holder held it");
      assert.equal(sleeps, 3);
      assert.equal(waits, 1);
    } finally {
      second.release();
    }
  });
});

Deno.test("acquireLock() after release lets the next holder in at once", async () => {
  await withLockPath(async (path) => {
    const first = await acquireLock(path, {
      timeoutMs: 1000,
      clock: systemClock,
    });
    first.release();
    const clock = fakeClock(0);
    let waits = 0;
    const second = await acquireLock(path, {
      timeoutMs: 0,
      clock,
      onWait: () => {
        waits++;
      },
    });
    second.release();
    assert.equal(waits, 0);
    assert.deepEqual(clock.sleeps, []);
    // And a third after the second.
    (await acquireLock(path, { timeoutMs: 0, clock })).release();
  });
});

Deno.test({
  name: "acquireLock() creates the lock file with mode 0600",
  // Windows has no Unix file modes (Deno reports mode null there).
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await withLockPath(async (path) => {
      const held = await acquireLock(path, {
        timeoutMs: 0,
        clock: systemClock,
      });
      try {
        const info = await Deno.stat(path);
        assert.ok(info.isFile);
        assert.equal((info.mode ?? 0) & 0o777, 0o600);
      } finally {
        held.release();
      }
    });
  },
});

Deno.test("acquireLock() waits for a lock held by another process until it dies", async () => {
  await withLockPath(async (path) => {
    const script = `
      const f = await Deno.open(${
      JSON.stringify(path)
    }, { read: true, write: true, create: true });
      await f.lock(true);
      await Deno.stdout.write(new TextEncoder().encode("locked\\n"));
      setInterval(() => {}, 1000);
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", script],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    let exited = false;
    const status = child.status.then((s) => {
      exited = true;
      return s;
    });
    try {
      // Wait until the child holds the lock.
      const reader = child.stdout.getReader();
      let out = "";
      while (!out.includes("locked")) {
        const { value, done } = await reader.read();
        if (done) assert.fail(`the child exited before locking: ${out}`);
        out += new TextDecoder().decode(value);
      }
      reader.releaseLock();
      await child.stdout.cancel();

      let waited = false;
      let killed = false;
      const held = await acquireLock(path, {
        timeoutMs: 30_000,
        clock: systemClock,
        pollMs: 20,
        onWait: () => {
          waited = true;
          // Let a few polls fail before the holder dies.
          setTimeout(() => {
            killed = true;
            child.kill("SIGKILL");
          }, 150);
        },
      });
      held.release();
      assert.ok(waited, "the lock held by the child was not noticed");
      assert.ok(killed, "the lock was taken while the child held it");
      await status;
      assert.ok(exited);
    } finally {
      if (!exited) child.kill("SIGKILL");
      await status;
    }
  });
});

async function openDescriptors(): Promise<number> {
  let n = 0;
  for await (const _ of Deno.readDir("/dev/fd")) n++;
  return n;
}

Deno.test({
  name: "acquireLock() closes the lock file when it times out",
  // Counts this process's open descriptors in /dev/fd, which Windows lacks
  // (and Deno's resource sanitizer does not see a leaked Deno.FsFile).
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await withLockPath(async (path) => {
      const first = await acquireLock(path, {
        timeoutMs: 1000,
        clock: systemClock,
      });
      try {
        const before = await openDescriptors();
        for (let i = 0; i < 3; i++) {
          await assert.rejects(
            acquireLock(path, { timeoutMs: 300, clock: fakeClock(0) }),
            LockTimeoutError,
          );
        }
        assert.equal(await openDescriptors(), before);
      } finally {
        first.release();
      }
    });
  },
});
