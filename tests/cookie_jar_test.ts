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

Deno.test("CookieJar never sends a Domain=example.com cookie to a look-alike host", () => {
  const jar = new CookieJar();
  jar.store(new URL("https://www.example.com/"), [
    "wide=w; Domain=example.com; Path=/",
  ], now);
  assert.equal(jar.header(new URL("https://notexample.com/"), now), "");
  assert.equal(jar.header(new URL("https://www.notexample.com/"), now), "");
  assert.equal(jar.header(new URL("https://example.com.evil.test/"), now), "");
  // The domain itself and its subdomains, at any depth, do receive it.
  assert.equal(jar.header(new URL("https://example.com/"), now), "wide=w");
  assert.equal(jar.header(new URL("https://sso.example.com/"), now), "wide=w");
  assert.equal(jar.header(new URL("https://a.b.example.com/"), now), "wide=w");
  assert.equal(jar.header(new URL("https://SSO.Example.COM/"), now), "wide=w");
});

Deno.test("parseSetCookie() refuses a Domain the host is not in (look-alikes included)", () => {
  const lookAlike = new URL("https://notexample.com/");
  assert.equal(
    parseSetCookie("evil=1; Domain=example.com", lookAlike, now),
    undefined,
  );
  assert.equal(
    parseSetCookie("evil=1; Domain=.example.com", lookAlike, now),
    undefined,
  );
  // A subdomain may not set a cookie for a sibling or a child.
  const sso = new URL("https://sso.example.com/");
  assert.equal(
    parseSetCookie("x=1; Domain=idp.example.com", sso, now),
    undefined,
  );
  assert.equal(
    parseSetCookie("x=1; Domain=a.sso.example.com", sso, now),
    undefined,
  );
  const jar = new CookieJar();
  jar.store(lookAlike, ["evil=1; Domain=example.com; Path=/"], now);
  assert.deepEqual(jar.toJSON(), []);
  assert.equal(jar.header(new URL("https://example.com/"), now), "");
  // A subdomain may set one for its parent domain.
  const ok = parseSetCookie("p=1; Domain=.Example.com", sso, now);
  assert.equal(ok?.domain, "example.com");
  assert.equal(ok?.hostOnly, false);
});

Deno.test("CookieJar keeps host-only cookies on their host", () => {
  const jar = new CookieJar();
  jar.store(new URL("https://example.com/"), ["h=1; Path=/"], now);
  jar.store(new URL("https://sso.example.com/"), ["s=2; Path=/"], now);
  assert.equal(jar.header(new URL("https://example.com/x"), now), "h=1");
  assert.equal(jar.header(new URL("https://sso.example.com/"), now), "s=2");
  assert.equal(jar.header(new URL("https://a.sso.example.com/"), now), "");
  assert.equal(jar.header(new URL("https://www.example.com/"), now), "");
  assert.equal(jar.header(new URL("https://notexample.com/"), now), "");
  // Same name, domain and path: a Domain cookie replaces the host-only one
  // (RFC 6265 5.3 step 11) and, from then on, goes to subdomains too.
  jar.store(new URL("https://example.com/"), [
    "h=wide; Domain=example.com; Path=/",
  ], now);
  assert.equal(jar.header(new URL("https://example.com/"), now), "h=wide");
  assert.equal(jar.header(new URL("https://www.example.com/"), now), "h=wide");
});

Deno.test("CookieJar path matching: /a covers /a and /a/b, not /ab", () => {
  const jar = new CookieJar();
  const host = "https://idp.example.com";
  jar.store(new URL(`${host}/`), ["a=1; Path=/a"], now);
  const at = (path: string) => jar.header(new URL(`${host}${path}`), now);
  assert.equal(at("/a"), "a=1");
  assert.equal(at("/a/"), "a=1");
  assert.equal(at("/a/b"), "a=1");
  assert.equal(at("/ab"), "");
  assert.equal(at("/"), "");
  assert.equal(at("/b/a"), "");
  // A path ending in a slash covers what is below it only.
  jar.store(new URL(`${host}/`), ["s=2; Path=/s/"], now);
  assert.equal(at("/s/x"), "s=2");
  assert.equal(at("/s"), "");
  assert.equal(at("/sx"), "");
  // Longer paths first.
  jar.store(new URL(`${host}/`), ["root=0; Path=/", "deep=3; Path=/a/b"], now);
  assert.equal(at("/a/b/c"), "deep=3; a=1; root=0");
});

Deno.test("CookieJar does not send a secure cookie over http", () => {
  const jar = new CookieJar();
  jar.store(url, ["sec=1; Secure; Path=/", "plain=2; Path=/"], now);
  assert.equal(
    jar.header(new URL("https://idp.example.com/"), now),
    "sec=1; plain=2",
  );
  assert.equal(jar.header(new URL("http://idp.example.com/"), now), "plain=2");
});

Deno.test("parseSetCookie() lets Max-Age beat Expires, in either order", () => {
  const later = "Wed, 01 Jan 2031 00:00:00 GMT";
  const a = parseSetCookie(`a=1; Expires=${later}; Max-Age=60`, url, now)!;
  const b = parseSetCookie(`b=1; Max-Age=60; Expires=${later}`, url, now)!;
  assert.equal(a.expires, now + 60_000);
  assert.equal(b.expires, now + 60_000);
  // Max-Age=0 deletes even with a future Expires.
  const jar = new CookieJar();
  jar.store(url, ["c=1; Path=/"], now);
  jar.store(url, [`c=1; Path=/; Expires=${later}; Max-Age=0`], now);
  assert.deepEqual(jar.toJSON(), []);
  // A malformed Max-Age is ignored and Expires applies.
  const d = parseSetCookie(`d=1; Max-Age=soon; Expires=${later}`, url, now)!;
  assert.equal(d.expires, Date.parse(later));
});

Deno.test("CookieJar removes expired cookies and never stores one already expired", () => {
  const jar = new CookieJar();
  jar.store(url, [
    "keep=1; Path=/",
    "old=2; Path=/; Expires=Thu, 01 Jan 2015 00:00:00 GMT",
    "neg=3; Path=/; Max-Age=-1",
  ], now);
  assert.deepEqual(jar.toJSON().map((c) => c.name), ["keep"]);
  jar.store(url, ["short=4; Path=/; Max-Age=10"], now);
  assert.equal(jar.header(url, now + 9_999), "keep=1; short=4");
  assert.equal(jar.header(url, now + 10_000), "keep=1");
  // Expiring an existing cookie with a past Expires removes it.
  jar.store(
    url,
    ["keep=1; Path=/; Expires=Thu, 01 Jan 2015 00:00:00 GMT"],
    now,
  );
  assert.deepEqual(jar.toJSON().map((c) => c.name), ["short"]);
  assert.deepEqual(jar.values(), ["4"]);
});

Deno.test("parseSetCookie() refuses public suffixes and partial IP domains", () => {
  // A cookie for a public suffix would go to every site under it.
  const www = new URL("https://www.example.com/");
  assert.equal(parseSetCookie("s=1; Domain=com", www, now), undefined);
  assert.equal(parseSetCookie("s=1; Domain=.COM", www, now), undefined);
  const uk = new URL("https://www.example.co.uk/");
  assert.equal(parseSetCookie("s=1; Domain=co.uk", uk, now), undefined);
  assert.equal(parseSetCookie("s=1; Domain=uk", uk, now), undefined);
  // The registrable domain below the suffix is fine.
  const ok = parseSetCookie("s=1; Domain=example.co.uk; Path=/", uk, now);
  assert.equal(ok?.domain, "example.co.uk");
  assert.equal(ok?.hostOnly, false);
  const jar = new CookieJar();
  jar.store(uk, [
    "wide=w; Domain=example.co.uk; Path=/",
    "suffix=x; Domain=co.uk; Path=/",
  ], now);
  assert.equal(
    jar.header(new URL("https://sso.example.co.uk/"), now),
    "wide=w",
  );
  assert.equal(jar.header(new URL("https://other.co.uk/"), now), "");
  // An IP address is no domain: "0.0.1" and "1" are not parents of 127.0.0.1.
  const ip = new URL("https://127.0.0.1:8443/");
  assert.equal(parseSetCookie("p=1; Domain=0.0.1", ip, now), undefined);
  assert.equal(parseSetCookie("p=1; Domain=.0.1", ip, now), undefined);
  assert.equal(parseSetCookie("p=1; Domain=1", ip, now), undefined);
  assert.equal(
    parseSetCookie("p=1; Domain=127.0.0.1", ip, now)?.domain,
    "127.0.0.1",
  );
});
