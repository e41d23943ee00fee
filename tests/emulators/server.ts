/**
 * A local HTTPS server for the emulators: Deno.serve on 127.0.0.1 with the
 * test certificate from tests/fixtures/tls (trusted through DENO_CERT).
 *
 * @module
 */

/** One request an emulator received, for assertions in tests. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Query string without the leading "?". */
  query: string;
  /** The Cookie header as sent, or "". */
  cookie: string;
  /** The body as text (form or JSON), or "". */
  body: string;
}

/** A running emulator. */
export interface RunningServer {
  /** Base URL, e.g. `https://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const fixtures = new URL("../fixtures/tls/", import.meta.url);

/** PEM of the test CA; point DENO_CERT at {@link caFile}. */
export const caFile: string = decodeURIComponent(
  new URL("ca.pem", fixtures).pathname.replace(/^\/([A-Za-z]:)/, "$1"),
);

/**
 * Serves `handler` over HTTPS on 127.0.0.1 and records every request.
 *
 * @param handler Receives the request (its body still readable) and the recorded copy.
 * @param options.port Port to bind; 0 (default) picks a free one.
 */
export function serveTls(
  handler: (req: Request, rec: RecordedRequest) => Response | Promise<Response>,
  options: { port?: number } = {},
): RunningServer {
  const cert = Deno.readTextFileSync(new URL("server.pem", fixtures));
  const key = Deno.readTextFileSync(new URL("server-key.pem", fixtures));
  const requests: RecordedRequest[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    cert,
    key,
    onListen: () => {},
  }, async (req) => {
    const url = new URL(req.url);
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const body = hasBody ? await req.text() : "";
    const rec: RecordedRequest = {
      method: req.method,
      path: url.pathname,
      query: url.search.slice(1),
      cookie: req.headers.get("cookie") ?? "",
      body,
    };
    requests.push(rec);
    // A fresh Request with the body still readable; cloning the original
    // would touch its signal and make Deno warn about legacy abort behaviour.
    const copy = new Request(req.url, {
      method: req.method,
      headers: req.headers,
      body: hasBody ? body : undefined,
    });
    return await handler(copy, rec);
  });
  const port = server.addr.port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests,
    close: () => server.shutdown(),
  };
}

/** Sets one cookie on a response's headers. */
export function setCookie(
  headers: Headers,
  name: string,
  value: string,
  attributes = "Path=/; Secure; HttpOnly",
): void {
  headers.append("set-cookie", `${name}=${value}; ${attributes}`);
}

/** Reads one cookie from a request. */
export function getCookie(req: Request, name: string): string | undefined {
  const header = req.headers.get("cookie") ?? "";
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/** An HTML response. */
export function html(body: string, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "text/html; charset=utf-8");
  return new Response(body, { ...init, headers });
}

/** A JSON response. */
export function json(body: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { ...init, headers });
}

/** Escapes text for an HTML attribute or element. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** Resolves after `ms`, or at once when `signal` aborts (no timer left behind). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
