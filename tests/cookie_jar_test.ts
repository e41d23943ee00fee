import assert from "node:assert/strict";
import { CookieJar, parseSetCookie } from "../lib/http/cookie_jar.ts";

const now = Date.parse("2030-01-01T00:00:00Z");
const url = new URL("https://idp.example.com/adfs/ls/login");

Deno.test("CookieJar keeps cookies by domain, path and secure flag", () => {
  const jar = new CookieJar();
  jar.store(url, [
    "MSISAuth=a1; path=/adfs; secure; HttpOnly",
    "sid=s1; Path=/",
    "wide=w; Domain=.example.com; Path=/",
    "foreign=f; Domain=other.example.org",
  ], now);
  assert.equal(
    jar.header(new URL("https://idp.example.com/adfs/ls/"), now),
    "MSISAuth=a1; sid=s1; wide=w",
  );
  assert.equal(
    jar.header(new URL("https://idp.example.com/app"), now),
    "sid=s1; wide=w",
  );
  assert.equal(
    jar.header(new URL("http://idp.example.com/adfs/x"), now),
    "sid=s1; wide=w",
  );
  assert.equal(jar.header(new URL("https://sso.example.com/"), now), "wide=w");
  assert.equal(jar.header(new URL("https://example.org/"), now), "");
});

Deno.test("CookieJar replaces, expires and serializes cookies", () => {
  const jar = new CookieJar();
  jar.store(url, ["sid=old; Path=/", "short=x; Max-Age=60; Path=/"], now);
  jar.store(url, ["sid=new; Path=/"], now);
  assert.equal(jar.header(url, now), "sid=new; short=x");
  assert.equal(jar.header(url, now + 61_000), "sid=new");
  jar.store(url, ["sid=gone; Max-Age=0; Path=/"], now);
  assert.equal(jar.header(url, now), "short=x");
  const copy = new CookieJar(jar.toJSON());
  assert.equal(copy.header(url, now), "short=x");
});

Deno.test("parseSetCookie() uses the default path and Expires dates", () => {
  const c = parseSetCookie(
    "a=b; Expires=Wed, 01 Jan 2031 00:00:00 GMT",
    url,
    now,
  )!;
  assert.equal(c.path, "/adfs/ls");
  assert.equal(c.expires, Date.parse("2031-01-01T00:00:00Z"));
  assert.equal(parseSetCookie("novalue", url, now), undefined);
});
