/**
 * The one way lib/ talks HTTP: an injected fetch, a cookie jar, redirects
 * followed by hand (so cookies set on a 302 are kept), HTTPS on every hop and
 * a timeout on every request.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { CookieJar } from "./cookie_jar.ts";
import { LoginError, TimeoutError } from "../errors.ts";
import { type Logger, redactUrl } from "../logger.ts";

/** A response read in full. */
export interface HttpResponse {
  /** The URL that answered (after redirects). */
  url: URL;
  status: number;
  headers: Headers;
  text: string;
}

/** What to send. */
export interface HttpRequest {
  method?: "GET" | "POST";
  /** A form body (sent urlencoded) or a JSON value. */
  form?: URLSearchParams;
  json?: unknown;
  headers?: Record<string, string>;
  /** Follow redirects (default true). */
  follow?: boolean;
}

/** What an HTTP session is built from. */
export interface HttpSessionOptions {
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
  jar?: CookieJar;
  /** Most redirects followed for one request (default 10). */
  maxRedirects?: number;
  userAgent?: string;
}

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
   * @throws {LoginError} on plain HTTP, a network failure or too many redirects.
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
        current = new URL(location, current);
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
      const text = await res.text();
      return { url, status: res.status, headers: res.headers, text };
    } catch (error) {
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
