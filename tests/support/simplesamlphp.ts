/**
 * A real SAML IdP for tests: SimpleSAMLphp 1.19 as Debian packages it
 * (`apt-get install simplesamlphp php-cli php-xml php-mbstring xmlsec1`),
 * configured from scratch in a temporary directory and served on loopback.
 *
 * {@link startSimpleSamlPhp} writes `config.php`, `authsources.php` (an
 * `exampleauth:UserPass` source) and the metadata of a hosted IdP and of the
 * AWS service provider `urn:amazon:webservices` into a temporary directory
 * named by `SIMPLESAMLPHP_CONFIG_DIR`, generates the IdP's signing key pair
 * with openssl, and runs:
 *
 * - `php -S 127.0.0.1:<backend> -t <docroot> <router.php>` over
 *   `/usr/share/simplesamlphp/www`, mounted at `/simplesaml/`;
 * - an HTTPS front on 127.0.0.1 (the test certificate, {@link serveTls}) that
 *   passes every request to PHP as is and every answer back as is: status,
 *   each `Set-Cookie`, `Location` (redirects are not followed), body.
 *
 * Nothing is written outside the temporary directory, so it runs as any user
 * and several instances may run side by side. SimpleSAMLphp's own URLs all
 * name the front (`baseurlpath` is its full https URL).
 *
 * @module
 */
import {
  ACCOUNT,
  PASSWORD,
  ROLE_ADMIN,
  ROLE_DEV,
} from "../emulators/fixtures.ts";
import type { GrantedRole } from "../emulators/saml_assertion.ts";
import { type RunningServer, serveTls } from "../emulators/server.ts";

/** The SAML provider ARN the SimpleSAMLphp users' roles trust. */
export const SIMPLESAMLPHP_PROVIDER =
  `arn:aws:iam::${ACCOUNT}:saml-provider/simplesamlphp`;

/** Where Debian installs SimpleSAMLphp's web root (`dpkg -L simplesamlphp`). */
export const SIMPLESAMLPHP_WWW = "/usr/share/simplesamlphp/www";

/** Entity ID of the AWS service provider. */
export const AWS_SP_ENTITY_ID = "urn:amazon:webservices";

/** Where AWS receives the SAML Response (the SP's AssertionConsumerService). */
export const AWS_ACS_URL = "https://signin.aws.amazon.com/saml";

const AWS_ATTR = "https://aws.amazon.com/SAML/Attributes/";

/** One `exampleauth:UserPass` user. */
export interface SimpleSamlPhpUser {
  /** Login name (also `uid`, from which the persistent NameID is derived). */
  username: string;
  /** Its password (default fixtures' PASSWORD). */
  password: string;
  /** Released as `https://aws.amazon.com/SAML/Attributes/Role`, `role,principal`. */
  roles: GrantedRole[];
  /** Released as `RoleSessionName`. */
  roleSessionName: string;
  /** Released as `SessionDuration` when set. */
  sessionDuration?: number;
}

/** The default users: alice (two roles, SessionDuration 28800), bob (one role). */
export const SIMPLESAMLPHP_USERS: readonly SimpleSamlPhpUser[] = [
  {
    username: "alice",
    password: PASSWORD,
    roles: [
      { role: ROLE_DEV, principal: SIMPLESAMLPHP_PROVIDER },
      { role: ROLE_ADMIN, principal: SIMPLESAMLPHP_PROVIDER },
    ],
    roleSessionName: "alice@example.com",
    sessionDuration: 28800,
  },
  {
    username: "bob",
    password: PASSWORD,
    roles: [{ role: ROLE_DEV, principal: SIMPLESAMLPHP_PROVIDER }],
    roleSessionName: "bob@example.com",
  },
];

/** One request the HTTPS front passed on. */
export interface SimpleSamlPhpRequest {
  /** HTTP method. */
  method: string;
  /** Path, e.g. `/simplesaml/module.php/core/loginuserpass.php`. */
  path: string;
  /** Query string without the leading "?". */
  query: string;
  /** A POST to the username/password page (`core/loginuserpass.php`). */
  loginPost: boolean;
  /** Status SimpleSAMLphp answered (0 until it has). */
  status: number;
}

/** Options of {@link startSimpleSamlPhp}. */
export interface SimpleSamlPhpOptions {
  /** Users of the `exampleauth:UserPass` source; default {@link SIMPLESAMLPHP_USERS}. */
  users?: readonly SimpleSamlPhpUser[];
  /** Port of the HTTPS front; 0 (default) picks a free one. */
  port?: number;
  /** Seconds to wait for PHP to listen; default 15. */
  startTimeoutSeconds?: number;
}

/** A running SimpleSAMLphp IdP. */
export interface SimpleSamlPhp {
  /** Origin of the HTTPS front, e.g. `https://127.0.0.1:41234`. */
  url: string;
  /** `baseurlpath`: `https://127.0.0.1:PORT/simplesaml/`. */
  baseUrl: string;
  /** IdP-initiated SSO for AWS: `…/saml2/idp/SSOService.php?spentityid=urn:amazon:webservices`. */
  ssoUrl: string;
  /** The IdP's entity ID (its metadata URL). */
  entityId: string;
  /** The users configured. */
  users: readonly SimpleSamlPhpUser[];
  /** PEM of the IdP's signing certificate (generated at start). */
  certificatePem: string;
  /** Path of that certificate. */
  certificateFile: string;
  /** Every request the front passed on, in order. */
  requests: SimpleSamlPhpRequest[];
  /** The temporary directory (`SIMPLESAMLPHP_CONFIG_DIR`). */
  configDir: string;
  /** PHP's console output and SimpleSAMLphp's log so far, for failure messages. */
  logs(): Promise<string>;
  /** Stops PHP and the front, and removes the temporary directory. */
  close(): Promise<void>;
}

/** Whether a command runs and exits 0 (false when it is missing). */
async function runs(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * Why SimpleSAMLphp cannot run here, in one line, or undefined when it can:
 * it needs Linux, php (with dom, xml, mbstring, openssl), the Debian
 * simplesamlphp package, openssl and xmlsec1.
 */
export async function simpleSamlPhpSkipReason(): Promise<string | undefined> {
  const install =
    "apt-get install simplesamlphp php-cli php-xml php-mbstring xmlsec1";
  if (Deno.build.os !== "linux") {
    return `SimpleSAMLphp tests run on Linux only (${install})`;
  }
  try {
    await Deno.stat(`${SIMPLESAMLPHP_WWW}/saml2/idp/SSOService.php`);
  } catch {
    return `SimpleSAMLphp not installed (${install})`;
  }
  let modules = "";
  try {
    const out = await new Deno.Command("php", {
      args: ["-m"],
      stdin: "null",
      stderr: "null",
    }).output();
    modules = new TextDecoder().decode(out.stdout).toLowerCase();
  } catch {
    return `php not found (${install})`;
  }
  const have = new Set(modules.split(/\s+/));
  const missing = ["dom", "xml", "mbstring", "openssl", "session"]
    .filter((m) => !have.has(m));
  if (missing.length > 0) {
    return `php lacks ${missing.join(", ")} (${install})`;
  }
  if (!(await runs("openssl", ["version"]))) {
    return `openssl not found (${install})`;
  }
  if (!(await runs("xmlsec1", ["--version"]))) {
    return `xmlsec1 not found (${install})`;
  }
  return undefined;
}

/** Whether {@link startSimpleSamlPhp} can run here (see {@link simpleSamlPhpSkipReason}). */
export async function isSimpleSamlPhpAvailable(): Promise<boolean> {
  return (await simpleSamlPhpSkipReason()) === undefined;
}

/** A PHP literal for a JSON-like value (strings single-quoted). */
function php(value: unknown, indent = ""): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") {
    return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  }
  const inner = indent + "    ";
  if (Array.isArray(value)) {
    return `[\n${
      value.map((v) => `${inner}${php(v, inner)},\n`).join("")
    }${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  return `[\n${
    entries.map(([k, v]) => {
      const key = /^\d+$/.test(k) ? k : php(k);
      return `${inner}${key} => ${php(v, inner)},\n`;
    }).join("")
  }${indent}]`;
}

function phpFile(variable: string, value: unknown): string {
  return `<?php\n// Written by tests/support/simplesamlphp.ts.\n$${variable} = ${
    php(value)
  };\n`;
}

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/**
 * Router for `php -S`: serves SimpleSAMLphp's www/ under /simplesaml/ with
 * SCRIPT_NAME, PATH_INFO and SCRIPT_FILENAME set as Apache's
 * `Alias /simplesaml /usr/share/simplesamlphp/www` would set them.
 */
const ROUTER_PHP = String.raw`<?php
// Router for php -S, written by tests/support/simplesamlphp.ts.
$www = getenv('SSP_WWW');
$prefix = '/simplesaml/';
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
if ($path === '/simplesaml') {
    header('Location: /simplesaml/', true, 301);
    return true;
}
if (strncmp($path, $prefix, strlen($prefix)) !== 0 || strpos($path, '..') !== false) {
    http_response_code(404);
    header('Content-Type: text/plain');
    echo "Not found\n";
    return true;
}
$rest = substr($path, strlen($prefix));
$script = null;
$pathInfo = '';
$sofar = '';
foreach (explode('/', $rest) as $segment) {
    $sofar = $sofar === '' ? $segment : $sofar . '/' . $segment;
    if (substr($segment, -4) === '.php' && is_file($www . '/' . $sofar)) {
        $script = $sofar;
        $pathInfo = (string) substr($rest, strlen($sofar));
        break;
    }
}
if ($script === null) {
    $target = rtrim($www . '/' . $rest, '/');
    if (is_dir($target) && is_file($target . '/index.php')) {
        $script = ltrim(rtrim($rest, '/') . '/index.php', '/');
    } elseif (is_file($target)) {
        $types = [
            'css' => 'text/css', 'js' => 'application/javascript',
            'png' => 'image/png', 'gif' => 'image/gif', 'ico' => 'image/x-icon',
            'svg' => 'image/svg+xml', 'jpg' => 'image/jpeg', 'html' => 'text/html',
            'woff' => 'font/woff', 'woff2' => 'font/woff2', 'ttf' => 'font/ttf',
        ];
        $ext = strtolower(pathinfo($target, PATHINFO_EXTENSION));
        header('Content-Type: ' . ($types[$ext] ?? 'application/octet-stream'));
        readfile($target);
        return true;
    } else {
        http_response_code(404);
        header('Content-Type: text/plain');
        echo "Not found\n";
        return true;
    }
}
$file = $www . '/' . $script;
$_SERVER['SCRIPT_FILENAME'] = $file;
$_SERVER['SCRIPT_NAME'] = $prefix . $script;
$_SERVER['PHP_SELF'] = $prefix . $script . $pathInfo;
if ($pathInfo !== '') {
    $_SERVER['PATH_INFO'] = $pathInfo;
} else {
    unset($_SERVER['PATH_INFO']);
}
$_SERVER['HTTPS'] = 'on';
chdir(dirname($file));
require $file;
return true;
`;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function waitForPort(
  port: number,
  timeoutMs: number,
  exited: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error("php -S exited at start");
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`php -S did not listen on 127.0.0.1:${port}`);
}

/** Request headers not passed to PHP (hop-by-hop, or set by fetch itself). */
const DROP_REQUEST = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "accept-encoding",
  "upgrade",
  "te",
]);
/** Response headers not passed back (hop-by-hop, or recomputed by Deno). */
const DROP_RESPONSE = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "content-encoding",
  "set-cookie",
  "x-powered-by",
  // php -S echoes the request's Host header in every answer; Apache and
  // nginx do not, so a browser would not see it.
  "host",
]);

/**
 * Starts SimpleSAMLphp with its own configuration in a temporary directory,
 * behind an HTTPS front on 127.0.0.1. Call {@link simpleSamlPhpSkipReason}
 * first; this throws when php or the package is missing.
 *
 * @example
 * ```ts
 * const idp = await startSimpleSamlPhp();
 * try {
 *   const res = await tlsFetch(idp.ssoUrl, { redirect: "manual" });
 *   // 302 to …/module.php/core/loginuserpass.php?AuthState=…
 * } finally {
 *   await idp.close();
 * }
 * ```
 */
export async function startSimpleSamlPhp(
  options: SimpleSamlPhpOptions = {},
): Promise<SimpleSamlPhp> {
  const users = options.users ?? SIMPLESAMLPHP_USERS;
  const dir = await Deno.makeTempDir({ prefix: "apc-simplesamlphp-" });
  const requests: SimpleSamlPhpRequest[] = [];
  let backendPort = 0;
  let front: RunningServer | undefined;
  let child: Deno.ChildProcess | undefined;
  let consoleDone: Promise<void> = Promise.resolve();
  let consoleText = "";
  let exited = false;
  const client = Deno.createHttpClient({});

  const cleanup = async () => {
    if (child && !exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    if (child) await child.status;
    await consoleDone;
    await front?.close();
    client.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  try {
    for (const sub of ["cert", "metadata", "log", "data", "tmp", "sessions"]) {
      await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
    }
    const certFile = `${dir}/cert/idp.crt`;
    const keyFile = `${dir}/cert/idp.key`;
    const openssl = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-sha256",
        "-days",
        "2",
        "-subj",
        "/CN=SimpleSAMLphp test IdP",
        "-keyout",
        keyFile,
        "-out",
        certFile,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!openssl.success) {
      throw new Error(
        `openssl req failed: ${new TextDecoder().decode(openssl.stderr)}`,
      );
    }
    const certificatePem = await Deno.readTextFile(certFile);

    // The front first: its port goes into baseurlpath.
    front = serveTls(async (req, rec) => {
      const url = new URL(req.url);
      const entry: SimpleSamlPhpRequest = {
        method: rec.method,
        path: rec.path,
        query: rec.query,
        loginPost: rec.method === "POST" &&
          rec.path === "/simplesaml/module.php/core/loginuserpass.php",
        status: 0,
      };
      requests.push(entry);
      const headers = new Headers();
      for (const [name, value] of req.headers) {
        if (!DROP_REQUEST.has(name)) headers.append(name, value);
      }
      headers.set("accept-encoding", "identity");
      let res: Response;
      try {
        res = await fetch(
          `http://127.0.0.1:${backendPort}${url.pathname}${url.search}`,
          {
            method: req.method,
            headers,
            body: rec.body === "" ? undefined : rec.body,
            redirect: "manual",
            client,
          },
        );
      } catch (e) {
        entry.status = 502;
        return new Response(`SimpleSAMLphp unreachable: ${e}\n`, {
          status: 502,
        });
      }
      entry.status = res.status;
      const out = new Headers();
      for (const [name, value] of res.headers) {
        if (!DROP_RESPONSE.has(name)) out.append(name, value);
      }
      for (const cookie of res.headers.getSetCookie()) {
        out.append("set-cookie", cookie);
      }
      const body = await res.arrayBuffer();
      return new Response(
        req.method === "HEAD" || res.status === 204 || res.status === 304
          ? null
          : body,
        { status: res.status, statusText: res.statusText, headers: out },
      );
    }, { port: options.port ?? 0 });

    const baseUrl = `${front.url}/simplesaml/`;
    const entityId = `${baseUrl}saml2/idp/metadata.php`;
    const config = {
      baseurlpath: baseUrl,
      certdir: `${dir}/cert/`,
      loggingdir: `${dir}/log/`,
      datadir: `${dir}/data/`,
      tempdir: `${dir}/tmp`,
      metadatadir: `${dir}/metadata/`,
      technicalcontact_name: "Test administrator",
      technicalcontact_email: "na@example.invalid",
      timezone: "UTC",
      secretsalt: randomHex(24),
      "auth.adminpassword": randomHex(16),
      "admin.protectindexpage": true,
      "admin.protectmetadata": false,
      "admin.checkforupdates": false,
      "trusted.url.domains": [new URL(front.url).host],
      "enable.saml20-idp": true,
      "enable.shib13-idp": false,
      "enable.adfs-idp": false,
      "enable.wsfed-sp": false,
      "enable.authmemcookie": false,
      "enable.http_post": false,
      "module.enable": { exampleauth: true, core: true, saml: true },
      showerrors: true,
      errorreporting: false,
      debug: { saml: false, backtraces: true, validatexml: false },
      "logging.level": 7, // SimpleSAML\Logger::DEBUG
      "logging.handler": "file",
      "logging.logfile": "simplesamlphp.log",
      "store.type": "phpsession",
      "session.duration": 8 * 3600,
      "session.cookie.secure": true,
      "session.phpsession.cookiename": "SimpleSAML",
      "session.phpsession.savepath": `${dir}/sessions`,
      "language.cookie.secure": true,
      "authproc.idp": {},
      production: true,
    };
    const authsources = {
      admin: ["core:AdminPassword"],
      "example-userpass": {
        0: "exampleauth:UserPass",
        ...Object.fromEntries(users.map((u) => [
          `${u.username}:${u.password}`,
          {
            uid: [u.username],
            [`${AWS_ATTR}Role`]: u.roles.map((r) => `${r.role},${r.principal}`),
            [`${AWS_ATTR}RoleSessionName`]: [u.roleSessionName],
            ...(u.sessionDuration === undefined ? {} : {
              [`${AWS_ATTR}SessionDuration`]: [String(u.sessionDuration)],
            }),
          },
        ])),
      },
    };
    const idpHosted = {
      [entityId]: {
        host: "__DEFAULT__",
        privatekey: "idp.key",
        certificate: "idp.crt",
        auth: "example-userpass",
        "signature.algorithm":
          "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "saml20.sign.response": true,
        "saml20.sign.assertion": true,
      },
    };
    const spRemote = {
      [AWS_SP_ENTITY_ID]: {
        entityid: AWS_SP_ENTITY_ID,
        AssertionConsumerService: AWS_ACS_URL,
        NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "attributes.NameFormat":
          "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
        attributes: [
          `${AWS_ATTR}Role`,
          `${AWS_ATTR}RoleSessionName`,
          `${AWS_ATTR}SessionDuration`,
        ],
        authproc: {
          10: {
            class: "saml:PersistentNameID",
            attribute: "uid",
            nameId: true,
          },
          // Without it every attribute of the user is released ("attributes"
          // alone only documents the wish).
          50: { class: "core:AttributeLimit" },
        },
      },
    };
    await Deno.writeTextFile(`${dir}/config.php`, phpFile("config", config));
    await Deno.writeTextFile(
      `${dir}/authsources.php`,
      phpFile("config", authsources),
    );
    await Deno.writeTextFile(
      `${dir}/metadata/saml20-idp-hosted.php`,
      phpFile("metadata", idpHosted),
    );
    await Deno.writeTextFile(
      `${dir}/metadata/saml20-sp-remote.php`,
      phpFile("metadata", spRemote),
    );
    await Deno.writeTextFile(`${dir}/router.php`, ROUTER_PHP);

    backendPort = freePort();
    child = new Deno.Command("php", {
      args: [
        "-d",
        "display_errors=stderr",
        "-d",
        "log_errors=0",
        "-d",
        "expose_php=0",
        "-d",
        "session.save_path=" + `${dir}/sessions`,
        "-S",
        `127.0.0.1:${backendPort}`,
        "-t",
        SIMPLESAMLPHP_WWW,
        `${dir}/router.php`,
      ],
      cwd: dir,
      env: {
        SIMPLESAMLPHP_CONFIG_DIR: dir,
        SSP_WWW: SIMPLESAMLPHP_WWW,
        PHP_CLI_SERVER_WORKERS: "1",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    child.status.then(() => {
      exited = true;
    });
    const drain = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        consoleText += decoder.decode(chunk, { stream: true });
        if (consoleText.length > 200_000) {
          consoleText = consoleText.slice(-100_000);
        }
      }
    };
    consoleDone = Promise.all([drain(child.stdout), drain(child.stderr)])
      .then(() => {});
    await waitForPort(
      backendPort,
      (options.startTimeoutSeconds ?? 15) * 1000,
      () => exited,
    );

    const running = front;
    return {
      url: running.url,
      baseUrl,
      ssoUrl: `${baseUrl}saml2/idp/SSOService.php?spentityid=${
        encodeURIComponent(AWS_SP_ENTITY_ID)
      }`,
      entityId,
      users,
      certificatePem,
      certificateFile: certFile,
      requests,
      configDir: dir,
      async logs() {
        const log = await Deno.readTextFile(`${dir}/log/simplesamlphp.log`)
          .catch(() => "");
        return `--- php -S ---\n${consoleText}\n--- simplesamlphp.log ---\n${log}`;
      },
      close: cleanup,
    };
  } catch (e) {
    const text = consoleText;
    await cleanup();
    if (text && e instanceof Error) e.message += `\n${text}`;
    throw e;
  }
}
