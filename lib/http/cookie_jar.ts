/**
 * A small RFC 6265 cookie jar. Deno's fetch keeps no cookies, and cookies set
 * on a redirect must survive to the next hop, so the HTTP session feeds every
 * response's `Set-Cookie` lines here.
 *
 * @module
 */

/** One stored cookie. */
export interface Cookie {
  /** The cookie name. */
  name: string;
  /** The cookie value (a secret). */
  value: string;
  /** Lower-case host or domain, without a leading dot. */
  domain: string;
  /** True when the cookie had no Domain attribute: exact host match only. */
  hostOnly: boolean;
  /** The path the cookie is sent for. */
  path: string;
  /** Sent over https only. */
  secure: boolean;
  /** Expiry in epoch milliseconds; undefined for a session cookie. */
  expires?: number;
}

/**
 * Public suffixes a cookie may not be set for (a small built-in list of the
 * common ones; the full Public Suffix List is not shipped): a cookie for
 * "com" or "co.uk" would go to every site under it.
 */
const PUBLIC_SUFFIXES = new Set(
  (
    "com net org edu gov mil int info biz name pro mobi app dev io co ai me " +
    "tv cc ws xyz online site cloud tech us ca uk eu de fr it es nl be ch at " +
    "se no dk fi ie pl cz pt gr ru ua jp cn kr tw hk sg in au nz za br mx ar " +
    "cl tr il ae sa co.uk org.uk ac.uk gov.uk ltd.uk plc.uk me.uk net.uk " +
    "com.au net.au org.au edu.au gov.au co.nz org.nz govt.nz co.jp ne.jp " +
    "or.jp ac.jp go.jp co.kr or.kr com.cn net.cn org.cn gov.cn com.tw " +
    "org.tw com.hk org.hk com.sg edu.sg gov.sg co.in net.in org.in gov.in " +
    "com.br net.br org.br gov.br com.mx org.mx co.za org.za gov.za com.tr " +
    "co.il com.ar com.ua co.id or.id ac.id com.my com.ph com.vn github.io " +
    "herokuapp.com appspot.com cloudfront.net amazonaws.com azurewebsites.net " +
    "blogspot.com netlify.app vercel.app pages.dev workers.dev"
  ).split(" "),
);

/** Whether `host` is an IPv4 or IPv6 literal (as URL.hostname gives it). */
function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith("[");
}

function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith("/") || path.lastIndexOf("/") === 0) return "/";
  return path.slice(0, path.lastIndexOf("/"));
}

function domainMatches(host: string, cookie: Cookie): boolean {
  if (cookie.hostOnly) return host === cookie.domain;
  return host === cookie.domain || host.endsWith(`.${cookie.domain}`);
}

function pathMatches(path: string, cookiePath: string): boolean {
  if (path === cookiePath) return true;
  if (!path.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || path[cookiePath.length] === "/";
}

/** Parses one Set-Cookie line as received from `url`; undefined if rejected. */
export function parseSetCookie(
  line: string,
  url: URL,
  nowMs: number,
): Cookie | undefined {
  const [pair, ...attributes] = line.split(";");
  const eq = pair.indexOf("=");
  if (eq <= 0) return undefined;
  const host = url.hostname.toLowerCase();
  const cookie: Cookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    domain: host,
    hostOnly: true,
    path: defaultPath(url),
    secure: false,
  };
  let maxAge: number | undefined;
  for (const attribute of attributes) {
    const i = attribute.indexOf("=");
    const key = (i < 0 ? attribute : attribute.slice(0, i)).trim()
      .toLowerCase();
    const value = i < 0 ? "" : attribute.slice(i + 1).trim();
    if (key === "domain" && value) {
      const domain = value.replace(/^\./, "").toLowerCase();
      if (host !== domain && !host.endsWith(`.${domain}`)) return undefined;
      // An IP address matches only itself: "0.0.1" is no domain of 127.0.0.1.
      if (isIpAddress(host) && domain !== host) return undefined;
      if (PUBLIC_SUFFIXES.has(domain)) {
        // RFC 6265 5.3 step 5: for the suffix itself, a host-only cookie.
        if (domain !== host) return undefined;
        continue;
      }
      cookie.domain = domain;
      cookie.hostOnly = false;
    } else if (key === "path" && value.startsWith("/")) {
      cookie.path = value;
    } else if (key === "secure") {
      cookie.secure = true;
    } else if (key === "max-age" && /^-?\d+$/.test(value)) {
      maxAge = Number(value);
    } else if (key === "expires") {
      const t = Date.parse(value);
      if (!Number.isNaN(t)) cookie.expires = t;
    }
  }
  if (maxAge !== undefined) cookie.expires = nowMs + maxAge * 1000;
  return cookie;
}

/** Cookies by domain, path and name. */
export class CookieJar {
  #cookies: Cookie[] = [];

  /** Creates a jar, optionally holding cookies saved with {@link toJSON}. */
  constructor(cookies: Cookie[] = []) {
    this.#cookies = cookies.map((c) => ({ ...c }));
  }

  /** Stores the Set-Cookie lines of a response from `url`. */
  store(url: URL, setCookieLines: string[], nowMs: number): void {
    for (const line of setCookieLines) {
      const cookie = parseSetCookie(line, url, nowMs);
      if (!cookie) continue;
      const at = this.#cookies.findIndex((c) =>
        c.name === cookie.name && c.domain === cookie.domain &&
        c.path === cookie.path
      );
      const alive = cookie.expires === undefined || cookie.expires > nowMs;
      // A replaced cookie keeps its place (RFC 6265 keeps its creation time).
      if (at >= 0 && alive) this.#cookies[at] = cookie;
      else if (at >= 0) this.#cookies.splice(at, 1);
      else if (alive) this.#cookies.push(cookie);
    }
  }

  /** The Cookie header value for a request to `url`, or "" if none. */
  header(url: URL, nowMs: number): string {
    const host = url.hostname.toLowerCase();
    return this.#cookies
      .filter((c) =>
        (c.expires === undefined || c.expires > nowMs) &&
        domainMatches(host, c) && pathMatches(url.pathname, c.path) &&
        (!c.secure || url.protocol === "https:")
      )
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
  }

  /** All cookies currently held (copies). */
  toJSON(): Cookie[] {
    return this.#cookies.map((c) => ({ ...c }));
  }

  /** Every cookie value, so the logger can redact them. */
  values(): string[] {
    return this.#cookies.map((c) => c.value);
  }
}
