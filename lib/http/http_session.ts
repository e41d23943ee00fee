/**
 * The one way lib/ talks HTTP: an injected fetch, a cookie jar, redirects
 * followed by hand (so cookies set on a 302 are kept), HTTPS on every hop, a
 * timeout on every request, a size cap on every body, and secrets kept to
 * the origin that asked for them.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { CookieJar } from "./cookie_jar.ts";
import { LoginError, TimeoutError } from "../errors.ts";
import { type Logger, redactUrl } from "../logger.ts";
import { readCapped } from "./read_capped.ts";

/** A response read in full. */
export interface HttpResponse {
  /** The URL that answered (after redirects). */
  url: URL;
  /** The HTTP status. */
  status: number;
  /** The response headers. */
  headers: Headers;
  /** The body, decoded as UTF-8. */
  text: string;
}

/** Whether `res` is a success (2xx). */
export function isOk(res: { status: number }): boolean {
  return res.status >= 200 && res.status <= 299;
}

/** What to send. */
export interface HttpRequest {
  /** GET (default) or POST. */
  method?: "GET" | "POST";
  /** A form body (sent urlencoded). */
  form?: URLSearchParams;
  /** A JSON body. */
  json?: unknown;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Follow redirects (default true). */
  follow?: boolean;
  /**
   * The page or API that asked for this body (a password, a code, a state
   * token). The body goes only to that origin: a request to another one is
   * refused before it is sent, and a 307/308 to another origin is not
   * followed. Required in practice for every request that carries a secret.
   */
  askedBy?: URL;
}

/** What an HTTP session is built from. */
export interface HttpSessionOptions {
  /** The fetch to use. */
  fetch: typeof fetch;
  /** The clock for cookie expiry. */
  clock: Clock;
  /** The -v log. */
  logger: Logger;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
  /** The cookie jar to share; a new one by default. */
  jar?: CookieJar;
  /** Most redirects followed for one request (default 10). */
  maxRedirects?: number;
  /** The User-Agent header. */
  userAgent?: string;
  /** Largest body read, in bytes after content decoding (default {@link MAX_BODY_BYTES}). */
  maxBodyBytes?: number;
  /** Called after each response has been read. */
  onResponse?: () => void;
}

/** The largest HTML or JSON body read from an IdP: 5 MiB. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Throws unless `url` is https: nothing is sent over plain HTTP. */
export function requireHttps(url: URL, what: string): void {
  if (url.protocol !== "https:") {
    throw new LoginError(
      `Refusing to ${what} over plain HTTP: ${
        redactUrl(url)
      } (the IdP must use https)`,
    );
  }
}

/** Throws unless `url` has the origin of `askedBy`: secrets stay with their origin. */
export function requireSameOrigin(url: URL, askedBy: URL, what: string): void {
  if (url.origin !== askedBy.origin) {
    throw new LoginError(
      `Refusing to ${what} to ${url.host}: it was asked for by ${askedBy.host}, and a password, code or state token goes only to the origin that asked for it`,
    );
  }
}

/** A Location header as a URL, or a clean error whose text holds no query. */
function resolveLocation(location: string, base: URL): URL {
  try {
    return new URL(location, base);
  } catch {
    const shown = location.replace(/[?#].*$/s, "?REDACTED").slice(0, 200);
    throw new LoginError(
      `Cannot follow the redirect from ${base.host}: the Location header is not a URL (${
        JSON.stringify(shown)
      })`,
    );
  }
}

/** Fetch with a cookie jar, manual redirects, https-only and timeouts. */
export class HttpSession {
  /** The cookies gathered so far. */
  readonly jar: CookieJar;
  #options: HttpSessionOptions;

  /** Creates a session; it shares `options.jar` when given. */
  constructor(options: HttpSessionOptions) {
    this.#options = options;
    this.jar = options.jar ?? new CookieJar();
  }

  /**
   * Sends a request, following redirects by hand. Every hop must be https.
   *
   * @throws {LoginError} on plain HTTP, a body headed for another origin, a
   *   network failure, too many redirects, or a body over the size cap.
   * @throws {TimeoutError} when a hop takes longer than the timeout.
   */
  async request(
    url: string | URL,
    request: HttpRequest = {},
  ): Promise<HttpResponse> {
    const { logger, clock } = this.#options;
    const maxRedirects = this.#options.maxRedirects ?? 10;
    let current = new URL(url);
    let method = request.method ?? "GET";
    let body: string | undefined;
    const headers: Record<string, string> = {
      "accept": "text/html,application/json;q=0.9,*/*;q=0.8",
      "user-agent": this.#options.userAgent ?? "awsprocesscreds-saml",
      ...request.headers,
    };
    if (request.form) {
      body = request.form.toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    } else if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers["content-type"] = "application/json";
      headers["accept"] = "application/json";
    }
    for (let hop = 0;; hop++) {
      requireHttps(current, "send a request");
      if (body !== undefined && request.askedBy) {
        requireSameOrigin(current, request.askedBy, "send the form");
      }
      const cookie = this.jar.header(current, clock.now().getTime());
      const hopHeaders = { ...headers };
      if (cookie) hopHeaders["cookie"] = cookie;
      else delete hopHeaders["cookie"];
      const started = Date.now();
      const response = await this.#send(current, {
        method,
        headers: hopHeaders,
        body: method === "GET" ? undefined : body,
      });
      this.#options.onResponse?.();
      this.jar.store(
        current,
        response.headers.getSetCookie(),
        clock.now().getTime(),
      );
      for (const value of this.jar.values()) logger.secret(value);
      logger.debug(
        `${method} ${redactUrl(current)} -> ${response.status} (${
          Date.now() - started
        } ms)`,
      );
      const location = response.headers.get("location");
      if (
        request.follow !== false && REDIRECTS.has(response.status) && location
      ) {
        if (hop >= maxRedirects) {
          throw new LoginError(
            `Cannot finish the request to ${current.host}: more than ${maxRedirects} redirects`,
          );
        }
        current = resolveLocation(location, current);
        if (response.status !== 307 && response.status !== 308) {
          method = "GET";
          body = undefined;
          delete headers["content-type"];
        }
        continue;
      }
      return response;
    }
  }

  async #send(url: URL, init: RequestInit): Promise<HttpResponse> {
    const { timeoutMs } = this.#options;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await this.#options.fetch(url, {
        ...init,
        redirect: "manual",
        signal,
      });
      const text = await readCapped(
        res,
        this.#options.maxBodyBytes ?? MAX_BODY_BYTES,
        url,
      );
      return { url, status: res.status, headers: res.headers, text };
    } catch (error) {
      if (error instanceof LoginError) throw error;
      if (signal.aborted) {
        throw new TimeoutError(
          `Timed out after ${timeoutMs / 1000} s waiting for ${url.host}`,
        );
      }
      const cause = error instanceof Error && error.cause instanceof Error
        ? `: ${error.cause.message}`
        : error instanceof Error
        ? `: ${error.message}`
        : "";
      throw new LoginError(`Cannot reach ${url.host}${cause}`, {
        cause: error,
      });
    }
  }
}
