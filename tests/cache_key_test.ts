import assert from "node:assert/strict";
import { cacheKey, isFresh } from "../lib/cache/file_cache.ts";

const base = {
  provider: "okta",
  endpoint: "https://idp.example/app",
  username: "alice",
};

Deno.test("cacheKey() is stable and separates every field", async () => {
  const k = await cacheKey(base);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(await cacheKey({ ...base }), k);
  const variants = [
    { ...base, provider: "adfs" },
    { ...base, endpoint: "https://idp.example/app2" },
    { ...base, username: "bob" },
    { ...base, roleArn: "arn:aws:iam::1:role/x" },
    { ...base, duration: 900 },
    { ...base, region: "eu-west-1" },
  ];
  const keys = new Set([k, ...(await Promise.all(variants.map(cacheKey)))]);
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
