/**
 * Unit tests of the credential cache (lib/cache/file_cache.ts): what it
 * trusts, how it writes, and the expiry window.
 */
import assert from "node:assert/strict";
import {
  type CacheEntry,
  cacheKey,
  EXPIRY_WINDOW_MS,
  FileCache,
  freshCredentials,
  isFresh,
} from "../lib/cache/file_cache.ts";
import type { Logger } from "../lib/logger.ts";
import { fakeClock } from "./support/fake_clock.ts";

/** Unix file modes and ownership do not exist on Windows (Deno reports null). */
const NO_MODES = Deno.build.os === "windows";

const KEY = "a".repeat(64);
const NOW = Date.parse("2030-01-01T00:00:00Z");

interface Recorded extends Logger {
  warnings: string[];
}

function recordingLogger(): Recorded {
  const warnings: string[] = [];
  return {
    warnings,
    debug() {},
    warn(message) {
      warnings.push(message);
    },
    secret() {},
  };
}

function entry(expiresInMs = 3_600_000): CacheEntry {
  return {
    credentials: {
      accessKeyId: "ASIAEXAMPLE",
      secretAccessKey: "secret/key+value",
      sessionToken: "session-token",
      expiration: new Date(NOW + expiresInMs),
    },
    roleArn: "arn:aws:iam::123456789012:role/dev",
    idpSession: {
      cookies: [
        {
          name: "sid",
          value: "cookie-value",
          domain: "example.okta.com",
          hostOnly: true,
          path: "/",
          secure: true,
        },
        {
          name: "DT",
          value: "dt-value",
          domain: "okta.com",
          hostOnly: false,
          path: "/app",
          secure: false,
          expires: NOW + 86_400_000,
        },
      ],
      expires: NOW + 7_200_000,
    },
  };
}

/** A well-formed file as the cache writes it. */
function wellFormed(): Record<string, unknown> {
  return {
    Version: 1,
    Credentials: {
      AccessKeyId: "A",
      SecretAccessKey: "S",
      SessionToken: "T",
      Expiration: "2030-01-01T01:00:00.000Z",
    },
    RoleArn: "arn:aws:iam::123456789012:role/dev",
    IdpSession: { Cookies: [], Expires: NOW },
  };
}

async function withCache(
  fn: (cache: FileCache, logger: Recorded, dir: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "file_cache_test_" });
  try {
    const dir = `${root}/cache`;
    const logger = recordingLogger();
    await fn(new FileCache(dir, logger), logger, dir);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Writes `text` as the entry for KEY with mode 0600, bypassing the cache. */
async function plant(cache: FileCache, text: string): Promise<string> {
  await cache.ensureDir();
  const path = cache.path(KEY);
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  if (!NO_MODES) await Deno.chmod(path, 0o600);
  return path;
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const item of Deno.readDir(dir)) out.push(item.name);
  return out.sort();
}

function mode(info: Deno.FileInfo): number {
  return (info.mode ?? 0) & 0o777;
}

/** Asserts one warning naming the entry's path and `reason`. */
function assertOneWarning(logger: Recorded, path: string, reason: RegExp) {
  assert.equal(logger.warnings.length, 1, logger.warnings.join("\n"));
  assert.ok(logger.warnings[0].includes(path), logger.warnings[0]);
  assert.match(logger.warnings[0], reason);
}

Deno.test("FileCache round-trips credentials, role and IdP session cookies", async () => {
  await withCache(async (cache, logger) => {
    const written = entry();
    await cache.write(KEY, written);
    const read = cache.read(KEY);
    assert.deepEqual(read, written);
    assert.ok(read?.credentials?.expiration instanceof Date);
    assert.deepEqual(logger.warnings, []);
  });
});

Deno.test("FileCache round-trips an entry holding only an IdP session", async () => {
  await withCache(async (cache) => {
    const { idpSession } = entry();
    await cache.write(KEY, { idpSession });
    assert.deepEqual(cache.read(KEY), { idpSession });
  });
});

Deno.test("FileCache.read() of a missing entry is undefined without a warning", async () => {
  await withCache(async (cache, logger) => {
    assert.equal(cache.read(KEY), undefined);
    await cache.ensureDir();
    assert.equal(cache.read(KEY), undefined);
    assert.deepEqual(logger.warnings, []);
  });
});

Deno.test("freshCredentials() and isFresh() keep the 15-minute window at its exact edges", () => {
  assert.equal(EXPIRY_WINDOW_MS, 15 * 60 * 1000);
  const clock = fakeClock(NOW);
  const at = (ms: number) => entry(ms);
  // Exactly 15 minutes left: botocore would ask again, so it is stale.
  assert.equal(freshCredentials(at(EXPIRY_WINDOW_MS), clock), undefined);
  assert.equal(isFresh(at(EXPIRY_WINDOW_MS).credentials!, clock.now()), false);
  // One millisecond more: still good.
  const fresh = at(EXPIRY_WINDOW_MS + 1);
  assert.equal(freshCredentials(fresh, clock), fresh.credentials);
  assert.equal(isFresh(fresh.credentials!, clock.now()), true);
  // One millisecond less, and expired ones.
  assert.equal(freshCredentials(at(EXPIRY_WINDOW_MS - 1), clock), undefined);
  assert.equal(freshCredentials(at(-1), clock), undefined);
  // The clock decides: after a minute the fresh one goes stale.
  clock.advance(60_000);
  assert.equal(freshCredentials(fresh, clock), undefined);
  // No entry, or an entry without credentials.
  assert.equal(freshCredentials(undefined, clock), undefined);
  assert.equal(
    freshCredentials({ idpSession: entry().idpSession }, clock),
    undefined,
  );
});

Deno.test({
  name: "FileCache.read() distrusts a symbolic link, even to a good entry",
  // Creating symlinks on Windows needs a privilege CI runners may lack.
  ignore: NO_MODES,
  fn: async () => {
    await withCache(async (cache, logger, dir) => {
      await cache.write("b".repeat(64), entry());
      await Deno.symlink(`${dir}/${"b".repeat(64)}.json`, cache.path(KEY));
      assert.equal(cache.read(KEY), undefined);
      assertOneWarning(logger, cache.path(KEY), /symbolic link/);
    });
  },
});

Deno.test({
  name: "FileCache.read() distrusts an entry with mode 0644",
  // Windows has no Unix file modes.
  ignore: NO_MODES,
  fn: async () => {
    await withCache(async (cache, logger) => {
      await cache.write(KEY, entry());
      await Deno.chmod(cache.path(KEY), 0o644);
      assert.equal(cache.read(KEY), undefined);
      assertOneWarning(logger, cache.path(KEY), /mode is 644, not 600/);
    });
  },
});

Deno.test({
  name: "FileCache.read() distrusts an entry with mode 0400 (not exactly 0600)",
  // Windows has no Unix file modes.
  ignore: NO_MODES,
  fn: async () => {
    await withCache(async (cache, logger) => {
      await cache.write(KEY, entry());
      await Deno.chmod(cache.path(KEY), 0o400);
      assert.equal(cache.read(KEY), undefined);
      assertOneWarning(logger, cache.path(KEY), /mode is 400/);
    });
  },
});

Deno.test({
  name: "FileCache.read() distrusts an entry owned by another user",
  // Only root can give a file away; Windows has no Unix owners.
  ignore: NO_MODES || Deno.uid() !== 0,
  fn: async () => {
    await withCache(async (cache, logger) => {
      await cache.write(KEY, entry());
      await Deno.chown(cache.path(KEY), 12345, null);
      assert.equal(cache.read(KEY), undefined);
      assertOneWarning(logger, cache.path(KEY), /owned by another user/);
    });
  },
});

Deno.test("FileCache.read() takes a directory in the entry's place as a plain miss", async () => {
  await withCache(async (cache, logger) => {
    await cache.ensureDir();
    await Deno.mkdir(cache.path(KEY));
    assert.equal(cache.read(KEY), undefined);
    // The write will fail and say so; a warning here would promise a
    // replacement that cannot happen.
    assert.deepEqual(logger.warnings, []);
  });
});

Deno.test({
  name: "FileCache.read() distrusts something that is not a regular file",
  ignore: Deno.build.os === "windows",
  async fn() {
    await withCache(async (cache, logger) => {
      await cache.ensureDir();
      let made: Deno.CommandOutput | undefined;
      try {
        made = await new Deno.Command("mkfifo", {
          args: ["-m", "600", cache.path(KEY)],
        }).output();
      } catch {
        made = undefined;
      }
      if (!made?.success) return; // no mkfifo here
      assert.equal(cache.read(KEY), undefined);
      assertOneWarning(logger, cache.path(KEY), /not a regular file/);
    });
  },
});

const MALFORMED: [string, string][] = [
  ["not JSON", "{not json"],
  ["truncated JSON", JSON.stringify(wellFormed()).slice(0, 40)],
  ["JSON null", "null"],
  ["a JSON string", JSON.stringify("Version 1")],
  ["Version 2", JSON.stringify({ ...wellFormed(), Version: 2 })],
  ['Version "1"', JSON.stringify({ ...wellFormed(), Version: "1" })],
  [
    "no Version",
    JSON.stringify({ ...wellFormed(), Version: undefined }),
  ],
  ...(["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"].map(
    (field): [string, string] => {
      const raw = wellFormed();
      const credentials = { ...(raw.Credentials as Record<string, unknown>) };
      delete credentials[field];
      return [
        `no ${field}`,
        JSON.stringify({ ...raw, Credentials: credentials }),
      ];
    },
  )),
  [
    "an unreadable Expiration",
    JSON.stringify({
      ...wellFormed(),
      Credentials: {
        ...(wellFormed().Credentials as object),
        Expiration: "soon",
      },
    }),
  ],
  [
    "a numeric AccessKeyId",
    JSON.stringify({
      ...wellFormed(),
      Credentials: {
        ...(wellFormed().Credentials as object),
        AccessKeyId: 42,
      },
    }),
  ],
  [
    "Credentials null",
    JSON.stringify({ ...wellFormed(), Credentials: null }),
  ],
  [
    "IdpSession without Cookies",
    JSON.stringify({ ...wellFormed(), IdpSession: { Expires: NOW } }),
  ],
  [
    "IdpSession without Expires",
    JSON.stringify({ ...wellFormed(), IdpSession: { Cookies: [] } }),
  ],
  [
    "IdpSession null",
    JSON.stringify({ ...wellFormed(), IdpSession: null }),
  ],
];

for (const [what, text] of MALFORMED) {
  Deno.test(`FileCache.read() ignores an entry with ${what}, warning once`, async () => {
    await withCache(async (cache, logger) => {
      const path = await plant(cache, text);
      assert.equal(cache.read(KEY), undefined);
      assertOneWarning(logger, path, /malformed/);
    });
  });
}

Deno.test("FileCache.read() accepts a hand-written well-formed entry (the planting is sound)", async () => {
  await withCache(async (cache, logger) => {
    await plant(cache, JSON.stringify(wellFormed()));
    const read = cache.read(KEY);
    assert.equal(read?.credentials?.sessionToken, "T");
    assert.equal(
      read?.credentials?.expiration.toISOString(),
      "2030-01-01T01:00:00.000Z",
    );
    assert.deepEqual(logger.warnings, []);
  });
});

Deno.test("FileCache.write() replaces the entry by rename, leaving no temporary file", async () => {
  await withCache(async (cache, _logger, dir) => {
    await cache.write(KEY, entry());
    const before = await Deno.readTextFile(cache.path(KEY));
    // A hard link keeps the old file: a write in place would change it too.
    await Deno.link(cache.path(KEY), `${dir}/old-link`);
    const next = entry(7_200_000);
    next.roleArn = "arn:aws:iam::123456789012:role/other";
    await cache.write(KEY, next);
    assert.equal(await Deno.readTextFile(`${dir}/old-link`), before);
    assert.deepEqual(cache.read(KEY), next);
    assert.deepEqual(await names(dir), [`${KEY}.json`, "old-link"]);
  });
});

Deno.test("FileCache.write() removes this key's leftovers of a killed writer, and only those", async () => {
  await withCache(async (cache, _logger, dir) => {
    await cache.ensureDir();
    const other = "c".repeat(64);
    const leftovers = [`${KEY}.4242.deadbeef.tmp`, `${KEY}.1.0badf00d.tmp`];
    for (const name of [...leftovers, `${other}.7.abcdef01.tmp`]) {
      await Deno.writeTextFile(`${dir}/${name}`, "{partial");
    }
    await cache.write(KEY, entry());
    assert.deepEqual(await names(dir), [
      `${KEY}.json`,
      `${other}.7.abcdef01.tmp`,
    ]);
  });
});

Deno.test({
  name: "FileCache.write() makes a 0600 file in a new 0700 directory",
  // Windows has no Unix file modes.
  ignore: NO_MODES,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "file_cache_test_" });
    try {
      const dir = `${root}/aws/cli/process-creds-cache`;
      const cache = new FileCache(dir, recordingLogger());
      await cache.write(KEY, entry());
      assert.equal(mode(await Deno.stat(dir)), 0o700);
      assert.equal(mode(await Deno.lstat(cache.path(KEY))), 0o600);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "FileCache.write() tightens an existing 0755 directory of ours to 0700",
  // Windows has no Unix file modes.
  ignore: NO_MODES,
  fn: async () => {
    await withCache(async (cache, _logger, dir) => {
      await Deno.mkdir(dir);
      await Deno.chmod(dir, 0o755);
      await cache.write(KEY, entry());
      assert.equal(mode(await Deno.stat(dir)), 0o700);
    });
  },
});

Deno.test({
  name: "FileCache.write() replaces a distrusted 0644 entry with a 0600 one",
  // Windows has no Unix file modes.
  ignore: NO_MODES,
  fn: async () => {
    await withCache(async (cache, logger) => {
      await plant(cache, JSON.stringify(wellFormed()));
      await Deno.chmod(cache.path(KEY), 0o644);
      await cache.write(KEY, entry());
      assert.equal(mode(await Deno.lstat(cache.path(KEY))), 0o600);
      assert.deepEqual(cache.read(KEY), entry());
      assert.deepEqual(logger.warnings, []);
    });
  },
});

Deno.test("FileCache.remove() says whether there was an entry", async () => {
  await withCache(async (cache) => {
    assert.equal(await cache.remove(KEY), false);
    await cache.write(KEY, entry());
    assert.equal(await cache.remove(KEY), true);
    assert.equal(cache.read(KEY), undefined);
    assert.equal(await cache.remove(KEY), false);
  });
});

Deno.test("cacheKey() gives the same key for the same inputs and a new one for each field", async () => {
  const base = {
    provider: "okta",
    endpoint: "https://example.okta.com/home/amazon_aws/0oa1/272",
    username: "alice@example.com",
    roleArn: "arn:aws:iam::123456789012:role/dev",
    duration: 3600,
    region: "eu-west-1",
  };
  const key = cacheKey(base);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(cacheKey({ ...base }), key);
  assert.equal(
    cacheKey({
      region: base.region,
      duration: base.duration,
      roleArn: base.roleArn,
      username: base.username,
      endpoint: base.endpoint,
      provider: base.provider,
    }),
    key,
    "the order of the properties changed the key",
  );
  const variants = [
    { ...base, provider: "adfs" },
    { ...base, endpoint: `${base.endpoint}/` },
    { ...base, username: "Alice@example.com" },
    { ...base, roleArn: "arn:aws:iam::123456789012:role/dev-admin" },
    { ...base, roleArn: undefined },
    { ...base, duration: 3601 },
    { ...base, duration: undefined },
    { ...base, region: "eu-west-2" },
    { ...base, region: undefined },
    // Field boundaries: moving text from one field to the next is a new key.
    { ...base, provider: "okt", endpoint: `a${base.endpoint}` },
  ];
  const keys = await Promise.all(variants.map(cacheKey));
  for (const [i, k] of keys.entries()) {
    assert.notEqual(k, key, `variant ${i} gave the base key`);
  }
  assert.equal(new Set(keys).size, keys.length);
});
