import assert from "node:assert/strict";
import { cacheKey, isFresh } from "../lib/cache/file_cache.ts";

const base = {
  provider: "okta",
  endpoint: "https://idp.example/app",
  username: "alice",
};

Deno.test("cacheKey() is stable and separates every field", () => {
  const k = cacheKey(base);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(cacheKey({ ...base }), k);
  const variants = [
    { ...base, provider: "adfs" },
    { ...base, endpoint: "https://idp.example/app2" },
    { ...base, username: "bob" },
    { ...base, roleArn: "arn:aws:iam::1:role/x" },
    { ...base, duration: 900 },
    { ...base, region: "eu-west-1" },
  ];
  const keys = new Set([k, ...variants.map(cacheKey)]);
  assert.equal(keys.size, variants.length + 1);
});

Deno.test("isFresh() wants more than 15 minutes left", () => {
  const now = new Date("2030-01-01T00:00:00Z");
  const creds = (minutes: number) => ({
    accessKeyId: "A",
    secretAccessKey: "S",
    sessionToken: "T",
    expiration: new Date(now.getTime() + minutes * 60_000),
  });
  assert.equal(isFresh(creds(16), now), true);
  assert.equal(isFresh(creds(15), now), false);
  assert.equal(isFresh(creds(-1), now), false);
});

Deno.test("sha256Hex() agrees with WebCrypto around every padding boundary", async () => {
  const { sha256Hex } = await import("../lib/cache/sha256.ts");
  for (const length of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 1000]) {
    const data = crypto.getRandomValues(new Uint8Array(length));
    const want = [
      ...new Uint8Array(await crypto.subtle.digest("SHA-256", data)),
    ]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    assert.equal(sha256Hex(data), want, `length ${length}`);
  }
  assert.equal(
    sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
