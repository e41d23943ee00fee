/**
 * A hostile identity provider for the hardening tests: just enough of Okta
 * Classic (`/api/v1/authn` JSON and the AWS app's embed link) or ADFS
 * (`IdpInitiatedSignOn.aspx`, `form#loginForm`, second-factor pages with
 * `AuthMethod`/`Context`) to walk the program into each defensive code path,
 * with one knob per attack.
 *
 * It runs as two HTTPS servers on 127.0.0.1, A and B: two origins (the port
 * is part of the origin). The program is pointed at A; B is "another
 * origin" that A's pages, links and redirects may point at. B runs the same
 * handler as A, so a program that wrongly follows A to B would find a
 * working IdP there: the tests look at `b.requests` to see whether a
 * password, code or state token leaked.
 *
 * The assertions it hands out come from {@link buildSamlResponse} (or are
 * registered with {@link registerIssued}), so the STS emulator accepts them.
 *
 * Bodies that must be streamed (a 1 GiB page, a gzip bomb) cannot go through
 * {@link serveTls}, which reads every response into memory first:
 * {@link startBodyBomb} serves them from a minimal HTTP/1.1 server instead.
 *
 * @module
 */
import { ADFS_PROVIDER, OKTA_PROVIDER, ROLE_DEV } from "./fixtures.ts";
import {
  buildSamlResponse,
  buildSamlXml,
  type GrantedRole,
  oktaEscape,
  registerIssued,
} from "./saml_assertion.ts";
import {
  escapeHtml,
  html,
  json,
  type RecordedRequest,
  type RunningServer,
  serveTls,
} from "./server.ts";

/** The path of the ADFS entry point. */
export const ADFS_ENTRY_PATH =
  "/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices";
/** The path of the Okta AWS app's embed link. */
export const OKTA_EMBED_PATH = "/home/amazon_aws/0oahostile0000000001/272";

/** An Okta Classic factor the hostile Okta lists as enrolled. */
export interface HostileFactor {
  /** Okta's factorType: "push", "token:software:totp", "sms", … */
  factorType: string;
  /** Okta's provider: "OKTA", "GOOGLE", … */
  provider: string;
  /** The factor's profile (phoneNumber, name, …): shown in menus. */
  profile?: Record<string, unknown>;
  /** Its verify link points at B instead of A. */
  verifyOnB?: boolean;
}

/** Knobs of the ADFS face. Each one is one attack; none is benign. */
export interface AdfsKnobs {
  /** A's entry answers 302 to B's entry; B serves a login form for itself. */
  entryToB?: boolean;
  /** A's entry answers 302 with exactly this Location header. */
  entryLocation?: string;
  /** A's login form has an absolute action on B. */
  actionOnB?: boolean;
  /** A answers the password POST with this redirect to B. */
  passwordRedirect?: 307 | 308;
  /** The password POST is answered with the login form again, showing this error text. */
  loginError?: string;
  /**
   * After the password: a one-time-code page that refuses every code with
   * this error text.
   */
  codeError?: string;
  /** After the password: the "choose how to sign in" page with these labels. */
  choice?: string[];
}

/** Knobs of the Okta Classic face. */
export interface OktaKnobs {
  /** `/api/v1/authn` answers this Okta error body. */
  authnError?: { status: number; errorCode: string; errorSummary: string };
  /** `/api/v1/authn` answers MFA_REQUIRED with these factors. */
  factors?: HostileFactor[];
  /**
   * `/api/v1/authn` answers MFA_CHALLENGE for a TOTP factor whose `next`
   * link (where the code goes) is on B.
   */
  challengeNextOnB?: boolean;
  /** How the push factor's verify link answers. */
  push?: {
    /** `_embedded.factor._embedded.challenge.correctAnswer` while WAITING. */
    correctAnswer?: unknown;
    /** The WAITING answer's `next` (poll) link points at B. */
    pollOnB?: boolean;
    /** Polls answered WAITING before SUCCESS; undefined: never approved. */
    approveAfter?: number;
  };
}

/** What the hostile IdP looks like and which attacks it makes. */
export interface HostileOptions {
  /** The face it shows. */
  kind: "adfs" | "okta";
  /** The SAMLResponse handed out at the end (default: a fresh one granting ROLE_DEV). */
  samlResponse?: () => string;
  /** Set-Cookie lines sent with the first page (ADFS entry, Okta authn). */
  setCookies?: string[];
  /** ADFS knobs. */
  adfs?: AdfsKnobs;
  /** Okta knobs. */
  okta?: OktaKnobs;
}

/** A running hostile IdP. */
export interface HostileIdp {
  /** The origin the program is pointed at. */
  a: RunningServer;
  /** Another origin. */
  b: RunningServer;
  /** The `-e` URL on A for this face. */
  endpoint: string;
  /** `-e URL -u USER -p PROVIDER` for A. */
  args(user?: string): string[];
  /** The state token the Okta face hands out (a secret). */
  stateToken: string;
  /** The session token the Okta face hands out (a secret). */
  sessionToken: string;
  /** The value of the ADFS `Context` input (a secret). */
  context: string;
  /** How many SAML responses were handed out. */
  samlIssued(): number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The user name the tests sign in as. */
export const HOSTILE_USER = "mallory@example.com";

/** A fresh SAMLResponse granting `roles` (default ROLE_DEV), registered as issued. */
export function hostileSaml(
  style: "adfs" | "okta",
  roles: GrantedRole[] = [{
    role: ROLE_DEV,
    principal: style === "okta" ? OKTA_PROVIDER : ADFS_PROVIDER,
  }],
): string {
  return buildSamlResponse({ style, nameId: HOSTILE_USER, roles });
}

/** Base64 of the UTF-8 bytes of `xml`, registered as issued (for hand-made documents). */
export function issueXml(xml: string): string {
  registerIssued(xml);
  const bytes = new TextEncoder().encode(xml);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * A SAMLResponse whose Attribute elements are in another namespace than the
 * SAML assertion's (their values still are): a namespace-blind parser would
 * read the roles from it.
 */
export function samlWithForeignAttributes(): string {
  const xml = buildSamlXml({
    style: "okta",
    nameId: HOSTILE_USER,
    roles: [{ role: ROLE_DEV, principal: OKTA_PROVIDER }],
  }).replaceAll(
    "<saml2:Attribute Name=",
    '<evil:Attribute xmlns:evil="urn:example:not-saml" Name=',
  ).replaceAll("</saml2:Attribute>", "</evil:Attribute>");
  return issueXml(xml);
}

/** Random hex, for tokens. */
function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

function adfsSamlPage(saml: string): Response {
  return html(
    `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="https://signin.aws.amazon.com:443/saml"><input type="hidden" name="SAMLResponse" value="${
      escapeHtml(saml)
    }" /><noscript><input type="submit" value="Submit" /></noscript></form></body></html>`,
  );
}

function oktaSamlPage(saml: string): Response {
  return html(
    `<!DOCTYPE html><html><head><title>Signing in...</title></head><body><form id="appForm" action="${
      oktaEscape("https://signin.aws.amazon.com/saml")
    }" method="POST"><input name="SAMLResponse" type="hidden" value="${
      oktaEscape(saml)
    }"/><input name="RelayState" type="hidden" value=""/></form></body></html>`,
  );
}

function adfsLoginPage(action: string, error = ""): string {
  return `<!DOCTYPE html><html><head><title>Sign In</title></head><body>
<div id="loginArea">
<form method="post" id="loginForm" autocomplete="off" action="${
    escapeHtml(action)
  }">
${
    error
      ? `<div id="error" class="fieldMargin error smallText"><span id="errorText">${
        escapeHtml(error)
      }</span></div>`
      : ""
  }
<input id="userNameInput" name="UserName" type="email" value="" />
<input id="passwordInput" name="Password" type="password" />
<input id="optionForms" type="hidden" name="AuthMethod" value="FormsAuthentication"/>
</form>
</div>
</body></html>`;
}

function adfsHidden(authMethod: string, context: string): string {
  return `<input id="authMethod" type="hidden" name="AuthMethod" value="${
    escapeHtml(authMethod)
  }"/><input id="context" type="hidden" name="Context" value="${
    escapeHtml(context)
  }"/>`;
}

function adfsCodePage(context: string, error: string): string {
  return `<!DOCTYPE html><html><head><title>Sign In</title></head><body>
<form method="post" id="loginForm" autocomplete="off">
${adfsHidden("AzureMfaAuthentication", context)}
<p id="instructions">Enter the verification code shown in your authenticator app.</p>
${
    error
      ? `<div id="error" class="fieldMargin error smallText"><span id="errorText">${
        escapeHtml(error)
      }</span></div>`
      : ""
  }
<input id="verificationCodeInput" name="VerificationCode" type="text" value="" placeholder="Verification code" />
</form>
</body></html>`;
}

function adfsChoicePage(context: string, labels: string[]): string {
  const items = labels.map((label, i) =>
    `<div id="Method${i}" class="idp" role="button"><span class="largeTextNoWrap">${
      escapeHtml(label)
    }</span></div>`
  ).join("\n");
  return `<!DOCTYPE html><html><head><title>Sign In</title></head><body>
<div id="optionsArea">${items}</div>
<form method="post" id="options" action="/adfs/ls/?client-request-id=hostile">
${adfsHidden("", context)}
</form>
</body></html>`;
}

/** Starts the hostile IdP: two origins on 127.0.0.1, one handler. */
export function startHostile(options: HostileOptions): HostileIdp {
  const stateToken = `00STATE${randomHex(16)}`;
  const sessionToken = `20SESSION${randomHex(16)}`;
  const context = `CTX${randomHex(24)}`;
  let issued = 0;
  let polls = 0;
  const saml = () => {
    issued++;
    return options.samlResponse?.() ?? hostileSaml(options.kind);
  };
  const onA = (url: URL) => url.origin === a.url;

  function adfs(req: Request, rec: RecordedRequest): Response {
    const url = new URL(req.url);
    const knobs = options.adfs ?? {};
    if (req.method === "GET" && url.pathname.startsWith("/adfs/ls/Idp")) {
      if (onA(url) && knobs.entryLocation !== undefined) {
        return new Response(null, {
          status: 302,
          headers: { location: knobs.entryLocation },
        });
      }
      if (onA(url) && knobs.entryToB) {
        return new Response(null, {
          status: 302,
          headers: { location: `${b.url}${ADFS_ENTRY_PATH}` },
        });
      }
      const action = onA(url) && knobs.actionOnB
        ? `${b.url}/adfs/ls/?client-request-id=hostile`
        : "/adfs/ls/?client-request-id=hostile";
      const res = html(adfsLoginPage(action));
      for (const line of options.setCookies ?? []) {
        res.headers.append("set-cookie", line);
      }
      return res;
    }
    if (req.method === "POST" && url.pathname === "/adfs/ls/") {
      const form = new URLSearchParams(rec.body);
      if (form.has("UserName")) {
        if (onA(url) && knobs.passwordRedirect) {
          return new Response(null, {
            status: knobs.passwordRedirect,
            headers: {
              location: `${b.url}/adfs/ls/?client-request-id=hostile`,
            },
          });
        }
        if (knobs.loginError !== undefined) {
          return html(
            adfsLoginPage(url.pathname + url.search, knobs.loginError),
          );
        }
        if (knobs.codeError !== undefined) {
          return html(adfsCodePage(context, ""));
        }
        if (knobs.choice) return html(adfsChoicePage(context, knobs.choice));
        return adfsSamlPage(saml());
      }
      if (form.get("Context") === context) {
        if (knobs.codeError !== undefined) {
          return html(adfsCodePage(context, knobs.codeError));
        }
        return html(adfsCodePage(context, "Not this one."));
      }
    }
    return new Response("Not Found", { status: 404 });
  }

  function factorJson(f: HostileFactor, i: number, origin: string) {
    const at = f.verifyOnB ? b.url : origin;
    return {
      id: `fac${i}`,
      factorType: f.factorType,
      provider: f.provider,
      vendorName: f.provider,
      profile: f.profile ?? {},
      _links: {
        verify: { href: `${at}/api/v1/authn/factors/fac${i}/verify` },
      },
    };
  }

  function okta(req: Request, rec: RecordedRequest): Response {
    const url = new URL(req.url);
    const origin = url.origin;
    const knobs = options.okta ?? {};
    if (url.pathname === "/.well-known/okta-organization") {
      return json({ id: "00ohostile", pipeline: "v1" });
    }
    if (req.method === "POST" && url.pathname === "/api/v1/authn") {
      if (knobs.authnError) {
        const { status, errorCode, errorSummary } = knobs.authnError;
        return json({
          errorCode,
          errorSummary,
          errorLink: errorCode,
          errorId: "oaehostile",
          errorCauses: [],
        }, { status });
      }
      const headers = new Headers();
      for (const line of options.setCookies ?? []) {
        headers.append("set-cookie", line);
      }
      if (knobs.challengeNextOnB) {
        return json({
          status: "MFA_CHALLENGE",
          stateToken,
          factorResult: "CHALLENGE",
          _embedded: {
            factor: factorJson(
              { factorType: "token:software:totp", provider: "GOOGLE" },
              0,
              origin,
            ),
          },
          _links: {
            next: {
              name: "verify",
              href: `${b.url}/api/v1/authn/factors/fac0/verify`,
            },
          },
        }, { headers });
      }
      if (knobs.factors) {
        return json({
          status: "MFA_REQUIRED",
          stateToken,
          _embedded: {
            factors: knobs.factors.map((f, i) => factorJson(f, i, origin)),
          },
          _links: { cancel: { href: `${origin}/api/v1/authn/cancel` } },
        }, { headers });
      }
      return json({ status: "SUCCESS", sessionToken }, { headers });
    }
    const verify = /^\/api\/v1\/authn\/factors\/fac(\d+)\/verify$/.exec(
      url.pathname,
    );
    if (req.method === "POST" && verify) {
      const body = JSON.parse(rec.body || "{}");
      const factor = knobs.factors?.[Number(verify[1])] ??
        { factorType: "token:software:totp", provider: "GOOGLE" };
      if (factor.factorType === "push") {
        const push = knobs.push ?? {};
        if (push.approveAfter !== undefined && polls++ >= push.approveAfter) {
          return json({ status: "SUCCESS", sessionToken });
        }
        const pollAt = push.pollOnB ? b.url : origin;
        return json({
          status: "MFA_CHALLENGE",
          stateToken,
          factorResult: "WAITING",
          _embedded: {
            factor: {
              ...factorJson(factor, Number(verify[1]), origin),
              _embedded: push.correctAnswer === undefined
                ? undefined
                : { challenge: { correctAnswer: push.correctAnswer } },
            },
          },
          _links: {
            next: {
              name: "poll",
              href: `${pollAt}/api/v1/authn/factors/fac${verify[1]}/verify`,
            },
          },
        });
      }
      if (typeof body.passCode === "string") {
        return json({ status: "SUCCESS", sessionToken });
      }
      return json({
        status: "MFA_CHALLENGE",
        stateToken,
        factorResult: "CHALLENGE",
        _embedded: { factor: factorJson(factor, Number(verify[1]), origin) },
        _links: {
          next: {
            name: "verify",
            href: `${origin}/api/v1/authn/factors/fac${verify[1]}/verify`,
          },
        },
      });
    }
    if (req.method === "GET" && url.pathname === OKTA_EMBED_PATH) {
      if (url.searchParams.get("sessionToken") !== sessionToken) {
        return html("<html><title>Sign In</title></html>", { status: 403 });
      }
      return oktaSamlPage(saml());
    }
    return json({ errorCode: "E0000022", errorSummary: "Not found" }, {
      status: 404,
    });
  }

  const handler = (req: Request, rec: RecordedRequest) =>
    options.kind === "adfs" ? adfs(req, rec) : okta(req, rec);
  const a = serveTls(handler);
  const b = serveTls(handler);
  const endpoint = options.kind === "adfs"
    ? `${a.url}${ADFS_ENTRY_PATH}`
    : `${a.url}${OKTA_EMBED_PATH}`;
  const close = async () => {
    await Promise.all([a.close(), b.close()]);
  };
  return {
    a,
    b,
    endpoint,
    args: (user = HOSTILE_USER) => [
      "-e",
      endpoint,
      "-u",
      user,
      "-p",
      options.kind,
    ],
    stateToken,
    sessionToken,
    context,
    samlIssued: () => issued,
    close,
    [Symbol.asyncDispose]: close,
  };
}

// --- Bodies too large to hold: a minimal streaming HTTP/1.1 server --------

const fixtures = new URL("../fixtures/tls/", import.meta.url);

/** What a {@link startBodyBomb} entry answers. */
export type BombKind = "huge" | "gzip";

/** A running body-bomb server. */
export interface BodyBomb {
  /** Base URL. */
  url: string;
  /** The ADFS entry URL on it (its answer is the bomb). */
  endpoint: string;
  /** Requests received. */
  requests: RecordedRequest[];
  /** Bytes of body written before the client went away. */
  bytesSent(): number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Decompressed size of the gzip bomb, and size of the huge body: 1 GiB. */
export const BOMB_BYTES = 1024 * 1024 * 1024;

let gzipBomb: Promise<Uint8Array> | undefined;

/**
 * The gzip of {@link BOMB_BYTES} zero bytes (about 1 MiB), made once by
 * streaming a zeroed megabyte through CompressionStream: never held whole.
 */
export function gzipBombBytes(): Promise<Uint8Array> {
  gzipBomb ??= (async () => {
    const chunk = new Uint8Array(1024 * 1024);
    const cs = new CompressionStream("gzip");
    const writer = cs.writable.getWriter();
    const parts: Uint8Array[] = [];
    const reading = (async () => {
      for await (const part of cs.readable) parts.push(part);
    })();
    for (let i = 0; i < BOMB_BYTES / chunk.length; i++) {
      await writer.write(chunk);
    }
    await writer.close();
    await reading;
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  })();
  return gzipBomb;
}

const CRLF = new TextEncoder().encode("\r\n");

/**
 * Serves one bomb on every request, over HTTPS HTTP/1.1 on 127.0.0.1:
 * - "huge": `text/html`, chunked, no Content-Length, {@link BOMB_BYTES}
 *   bytes generated 64 KiB at a time as the client reads (never in memory);
 * - "gzip": `Content-Encoding: gzip` of {@link BOMB_BYTES} zero bytes.
 * Writing stops as soon as the client goes away.
 */
export async function startBodyBomb(kind: BombKind): Promise<BodyBomb> {
  const gz = kind === "gzip" ? await gzipBombBytes() : undefined;
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: Deno.readTextFileSync(new URL("server.pem", fixtures)),
    key: Deno.readTextFileSync(new URL("server-key.pem", fixtures)),
    alpnProtocols: ["http/1.1"],
  });
  const port = listener.addr.port;
  const url = `https://127.0.0.1:${port}`;
  const requests: RecordedRequest[] = [];
  const conns = new Set<Deno.TlsConn>();
  const handled = new Set<Promise<void>>();
  let sent = 0;
  const encoder = new TextEncoder();

  async function writeAll(conn: Deno.TlsConn, bytes: Uint8Array) {
    let at = 0;
    while (at < bytes.length) at += await conn.write(bytes.subarray(at));
  }

  async function handle(conn: Deno.TlsConn): Promise<void> {
    let head = "";
    const buf = new Uint8Array(16 * 1024);
    const decoder = new TextDecoder();
    while (!head.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) return;
      head += decoder.decode(buf.subarray(0, n), { stream: true });
    }
    const [requestLine, ...lines] = head.split("\r\n");
    const [method, target] = requestLine.split(" ");
    const target_ = new URL(target, url);
    const cookie = lines.find((l) => /^cookie:/i.test(l))?.replace(
      /^cookie:\s*/i,
      "",
    ) ?? "";
    requests.push({
      method,
      path: target_.pathname,
      query: target_.search.slice(1),
      cookie,
      body: "",
    });
    if (gz) {
      await writeAll(
        conn,
        encoder.encode(
          `HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-encoding: gzip\r\ncontent-length: ${gz.length}\r\nconnection: close\r\n\r\n`,
        ),
      );
      for (let at = 0; at < gz.length; at += 64 * 1024) {
        const part = gz.subarray(at, at + 64 * 1024);
        await writeAll(conn, part);
        sent += part.length;
      }
      return;
    }
    await writeAll(
      conn,
      encoder.encode(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
      ),
    );
    const chunk = encoder.encode(
      "<html><body>" + "<p>hostile</p>".repeat(4680) + "</body>\n",
    ).subarray(0, 64 * 1024);
    const size = encoder.encode(`${chunk.length.toString(16)}\r\n`);
    for (let left = BOMB_BYTES; left > 0; left -= chunk.length) {
      await writeAll(conn, size);
      await writeAll(conn, chunk);
      await writeAll(conn, CRLF);
      sent += chunk.length;
    }
    await writeAll(conn, encoder.encode("0\r\n\r\n"));
  }

  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const done = handle(conn).catch(() => {}).finally(() => {
        conns.delete(conn);
        handled.delete(done);
        try {
          conn.close();
        } catch {
          // already closed
        }
      });
      handled.add(done);
    }
  })().catch(() => {});

  const close = async () => {
    listener.close();
    for (const conn of [...conns]) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await Promise.allSettled([...handled]);
    await accepting;
  };
  return {
    url,
    endpoint: `${url}${ADFS_ENTRY_PATH}`,
    requests,
    bytesSent: () => sent,
    close,
    [Symbol.asyncDispose]: close,
  };
}
