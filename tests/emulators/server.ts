/**
 * A local HTTPS server for the emulators on 127.0.0.1 with the test
 * certificate from tests/fixtures/tls (trusted through DENO_CERT). It speaks
 * HTTP/2 and HTTP/1.1 (ALPN), as Deno.serve did and as real IdPs do.
 *
 * Not `Deno.serve`: it leaves Nagle's algorithm on for its TLS connections
 * (Deno.TlsConn has no setNoDelay) and writes a response whose body exceeds
 * about 1 KB in several TLS records, each its own send(). Nagle then holds
 * the last piece until the client ACKs the first, and the client delays that
 * ACK by 40 ms (Linux's minimum delayed ACK): about 44 ms on every such
 * response on a kept-alive connection. Here a plain `Deno.listen` accepts
 * (so the port is known at once), each connection gets `setNoDelay(true)`,
 * as production servers do (nginx: `tcp_nodelay on` by default), and
 * `node:http2` runs TLS and HTTP over it. tests/emulator_server_test.ts
 * guards against the stall.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from "node:http2";
import { Duplex } from "node:stream";

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
  /** TCP connections accepted so far (keep-alive shows as fewer than requests). */
  connections(): number;
  close(): Promise<void>;
}

/** Options of {@link serveTls}. */
export interface ServeTlsOptions {
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
  /**
   * Milliseconds to wait before answering every request, standing in for a
   * network round trip (cut short when the server closes or the client goes
   * away). Default 0.
   */
  latencyMs?: number;
}

const fixtures = new URL("../fixtures/tls/", import.meta.url);

/** PEM of the test CA; point DENO_CERT at {@link caFile}. */
export const caFile: string = decodeURIComponent(
  new URL("ca.pem", fixtures).pathname.replace(/^\/([A-Za-z]:)/, "$1"),
);

type NodeRequest = IncomingMessage | Http2ServerRequest;
type NodeResponse = ServerResponse | Http2ServerResponse;

/** Headers HTTP/2 forbids, and framing the server redoes itself. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "content-length",
]);

/** Resolves once a response is written out or its stream is gone. */
function finished(res: NodeResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.writableFinished || res.destroyed) return resolve();
    res.once("finish", () => resolve());
    res.once("close", () => resolve());
  });
}

/**
 * Closes an HTTP/2 session with GOAWAY once its streams are done; destroys
 * it after a second if they are not. (Destroying a session with a stream
 * still being written can trip an assertion in Deno's nghttp2.)
 */
function closeSession(session: ServerHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    if (session.closed || session.destroyed) return resolve();
    const timer = setTimeout(() => session.destroy(), 1_000);
    session.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    session.close();
  });
}

async function readBody(req: NodeRequest): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of req) chunks.push(chunk as Uint8Array);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Serves `handler` over HTTPS on 127.0.0.1 and records every request.
 *
 * @param handler Receives the request (its body still readable; its signal
 *   aborts when the client goes away or the server closes) and the recorded
 *   copy.
 * @param options Port and the latency added before every response.
 */
export function serveTls(
  handler: (req: Request, rec: RecordedRequest) => Response | Promise<Response>,
  options: ServeTlsOptions = {},
): RunningServer {
  const cert = Deno.readTextFileSync(new URL("server.pem", fixtures));
  const key = Deno.readTextFileSync(new URL("server-key.pem", fixtures));
  const latencyMs = options.latencyMs ?? 0;
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  const conns = new Set<Deno.TcpConn>();
  const sessions = new Set<ServerHttp2Session>();
  const inFlight = new Set<Promise<void>>();
  let accepted = 0;

  const server = createSecureServer(
    { cert, key, allowHTTP1: true },
    (req: NodeRequest, res: NodeResponse) => {
      const done = answer(req, res).finally(() => inFlight.delete(done));
      inFlight.add(done);
    },
  );
  // Connections come from our own listener, so node never sees a listen();
  // its HTTP/1.1 code closes every connection after one response while the
  // server is not "listening". It is, until close().
  let open = true;
  Object.defineProperty(server, "listening", { get: () => open });
  server.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  const listener = Deno.listen({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
  });
  const port = listener.addr.port;
  const closeConn = (conn: Deno.TcpConn) => {
    conns.delete(conn);
    try {
      conn.close();
    } catch {
      // already closed by its streams
    }
  };
  (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.setNoDelay(true);
      conns.add(conn);
      const socket = Duplex.fromWeb({
        readable: conn.readable,
        writable: conn.writable,
      });
      socket.on("error", () => {}); // resets by the client are normal
      socket.on("close", () => closeConn(conn));
      server.emit("connection", socket);
    }
  })().catch(() => {}); // the listener was closed

  async function answer(req: NodeRequest, res: NodeResponse): Promise<void> {
    // Aborts when the client resets the stream or closes the connection
    // before the answer is written, or when the server closes.
    const gone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    const signal = AbortSignal.any([gone.signal, closing.signal]);
    try {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (name.startsWith(":") || value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) {
          headers.append(name, v);
        }
      }
      const h2 = req.headers as Record<string, string | undefined>;
      const authority = h2[":authority"] ?? h2["host"] ??
        `127.0.0.1:${port}`;
      const url = new URL(req.url ?? "/", `https://${authority}`);
      const method = req.method ?? "GET";
      const hasBody = method !== "GET" && method !== "HEAD";
      const body = hasBody ? await readBody(req) : "";
      const rec: RecordedRequest = {
        method,
        path: url.pathname,
        query: url.search.slice(1),
        cookie: headers.get("cookie") ?? "",
        body,
      };
      requests.push(rec);
      if (latencyMs > 0) await abortableSleep(latencyMs, signal);
      const response = await handler(
        new Request(url, {
          method,
          headers,
          body: hasBody ? body : undefined,
          signal,
        }),
        rec,
      );
      const bytes = new Uint8Array(await response.arrayBuffer());
      const out: Record<string, string | string[]> = {};
      response.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name) && name !== "set-cookie") out[name] = value;
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) out["set-cookie"] = cookies;
      const empty = response.status === 204 || response.status === 304;
      if (!empty) out["content-length"] = String(bytes.length);
      if (res.destroyed) return;
      res.writeHead(response.status, out);
      // One write: headers and body leave together.
      if (empty || method === "HEAD") res.end();
      else res.end(bytes);
      await finished(res);
    } catch (error) {
      // deno-lint-ignore no-console
      console.error("emulator handler failed:", error);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "text/plain;charset=UTF-8" });
        res.end("Internal Server Error");
      } else {
        res.destroy();
      }
    }
  }

  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => accepted,
    close: async () => {
      open = false;
      closing.abort();
      listener.close();
      // Let answers under way finish (a latency sleep is cut short), then
      // drop the connections, idle keep-alive ones included.
      await Promise.allSettled([...inFlight]);
      await Promise.all([...sessions].map(closeSession));
      for (const conn of [...conns]) closeConn(conn);
    },
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

/**
 * The session named by cookie `name` of `req`, unless there is none or it
 * has expired by `now` (an expired one is forgotten).
 */
export function liveSession<S extends { expiresAt: number }>(
  req: Request,
  name: string,
  sessions: Map<string, S>,
  now: number,
): S | undefined {
  const id = getCookie(req, name);
  if (!id) return undefined;
  const session = sessions.get(id);
  if (!session) return undefined;
  if (now >= session.expiresAt) {
    sessions.delete(id);
    return undefined;
  }
  return session;
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
