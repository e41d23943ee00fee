/**
 * A minimal browser for emulator tests: one host's cookies (by name and
 * path, Max-Age=0 removes), requests sent without following redirects,
 * redirects followed by hand as GETs, and (HtmlBrowser) pages parsed.
 * Written apart from lib/http on purpose: the emulators are checked with a
 * client that is not the code under test.
 *
 * @module
 */
import { loadHtmlParser } from "../../lib/deps.ts";
import { tlsFetch } from "./tls_fetch.ts";

const { parseHTML } = await loadHtmlParser();

/** One cookie of the jar. */
export interface BrowserCookie {
  /** Its name. */
  name: string;
  /** Its value. */
  value: string;
  /** The path it is sent for. */
  path: string;
}

/** An answer, read in full. */
export interface Fetched {
  /** The HTTP status. */
  status: number;
  /** The URL that answered. */
  url: string;
  /** The response headers. */
  headers: Headers;
  /** The body. */
  text: string;
  /** Its Set-Cookie lines. */
  setCookies: string[];
}

/** What to send. */
export interface BrowserRequest {
  /** GET, or POST when there is a body. */
  method?: string;
  /** A form (sent urlencoded) or a JSON text. */
  body?: URLSearchParams | string;
  /** Extra headers (a JSON body's content type, say). */
  headers?: Record<string, string>;
  /** Send the jar's cookies (default true). */
  cookies?: boolean;
}

/** A cookie jar for one host, and manual redirects. */
export class Browser {
  /** The cookies held. */
  jar: BrowserCookie[] = [];

  /** The value of cookie `name`, if held. */
  cookie(name: string): string | undefined {
    return this.jar.find((c) => c.name === name)?.value;
  }

  /** Every cookie held, by name (the last of a name wins). */
  get cookies(): Map<string, string> {
    return new Map(this.jar.map((c) => [c.name, c.value]));
  }

  #store(header: string, url: URL): void {
    const [pair, ...attrs] = header.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let path = url.pathname.replace(/\/[^/]*$/, "") || "/";
    let expired = false;
    for (const a of attrs) {
      const [k, v = ""] = a.split("=").map((x) => x.trim());
      if (/^path$/i.test(k)) path = v;
      if (/^max-age$/i.test(k) && Number(v) <= 0) expired = true;
    }
    this.jar = this.jar.filter((c) => !(c.name === name && c.path === path));
    if (!expired) this.jar.push({ name, value, path });
  }

  #header(url: URL): string {
    return this.jar.filter((c) =>
      url.pathname === c.path ||
      url.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`)
    ).map((c) => `${c.name}=${c.value}`).join("; ");
  }

  /** One request; no redirect followed; cookies stored and sent. */
  async fetch(url: string, request: BrowserRequest = {}): Promise<Fetched> {
    const target = new URL(url);
    const headers = new Headers(request.headers);
    const cookie = request.cookies === false ? "" : this.#header(target);
    if (cookie) headers.set("cookie", cookie);
    if (request.body instanceof URLSearchParams) {
      headers.set("content-type", "application/x-www-form-urlencoded");
    }
    const res = await tlsFetch(url, {
      method: request.method ?? (request.body === undefined ? "GET" : "POST"),
      headers,
      body: request.body?.toString(),
      redirect: "manual",
    });
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) this.#store(c, target);
    return {
      status: res.status,
      url,
      headers: res.headers,
      text: await res.text(),
      setCookies,
    };
  }

  /**
   * One request, then each 3xx Location followed by GET, at most `max`
   * times; `chain` gets every status on the way.
   */
  async follow(
    url: string,
    request: BrowserRequest = {},
    max = 10,
    chain: number[] = [],
  ): Promise<Fetched> {
    let page = await this.fetch(url, request);
    chain.push(page.status);
    for (let i = 0; i < max && page.status >= 300 && page.status < 400; i++) {
      const location = page.headers.get("location");
      if (!location) break;
      page = await this.fetch(new URL(location, page.url).href, {
        cookies: request.cookies,
      });
      chain.push(page.status);
    }
    return page;
  }
}

/** The slice of linkedom's element these tests use (Deno's lib has no DOM types). */
export interface El {
  /** The tag name, upper case. */
  tagName: string;
  /** An attribute's value, or null. */
  getAttribute(name: string): string | null;
  /** Whether the attribute is present. */
  hasAttribute(name: string): boolean;
  /** The text inside. */
  textContent: string | null;
  /** The first match below. */
  querySelector(selector: string): El | null;
  /** Every match below. */
  querySelectorAll(selector: string): Iterable<El>;
}

/** The slice of linkedom's document these tests use. */
export interface Doc {
  /** The first match. */
  querySelector(selector: string): El | null;
  /** Every match. */
  querySelectorAll(selector: string): Iterable<El>;
}

/** An answer with its body parsed as HTML. */
export interface Page extends Fetched {
  /** The parsed document. */
  doc: Doc;
}

/** Parses HTML text into a document. */
export function parseDoc(html: string): Doc {
  return (parseHTML(html) as unknown as { document: Doc }).document;
}

/** The browser, with each answer parsed as HTML. */
export class HtmlBrowser extends Browser {
  /** One GET, or POST of `body`; no redirect followed. */
  async send(url: string, body?: URLSearchParams): Promise<Page> {
    return parsed(await this.fetch(url, { body }));
  }

  /** GET or POST, then 3xx Location followed by GET (at most `max`). */
  async go(url: string, body?: URLSearchParams, max = 10): Promise<Page> {
    return parsed(await this.follow(url, { body }, max));
  }
}

function parsed(page: Fetched): Page {
  return { ...page, doc: parseDoc(page.text) };
}
