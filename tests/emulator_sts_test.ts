/**
 * Tests of the STS emulator itself: AssumeRoleWithSAML success and errors,
 * and GetCallerIdentity with SigV4 signatures made by the AWS JS signer
 * (`@smithy/signature-v4`) and, when installed, by the AWS CLI (botocore).
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
// deno-lint-ignore no-import-prefix
import { SignatureV4 } from "npm:@smithy/signature-v4@5.7.5";
import { loadXmlParser } from "../lib/deps.ts";
import {
  ACCOUNT,
  ADFS_PROVIDER,
  OKTA_PROVIDER,
  ROLE_ADMIN,
  ROLE_DENIED,
  ROLE_DEV,
  ROLE_SHORT,
} from "./emulators/fixtures.ts";
import {
  type AssertionOptions,
  buildSamlResponse,
  buildSamlXml,
  registerIssued,
} from "./emulators/saml_assertion.ts";
import { caFile } from "./emulators/server.ts";
import {
  canonicalQuery,
  canonicalUri,
  deriveSigningKey,
  parseAuthorization,
  SigV4ParseError,
} from "./emulators/sigv4.ts";
import {
  type IssuedCredentials,
  startSts,
  STS_MESSAGES,
  STS_NAMESPACE,
  type StsEmulator,
} from "./emulators/sts.ts";
import { tlsFetch } from "./support/tls_fetch.ts";

const assertEq: typeof assert.deepEqual = assert.deepEqual;
const assertMatch: typeof assert.match = assert.match;

const OKTA_ROLES = [
  { role: ROLE_DEV, principal: OKTA_PROVIDER },
  { role: ROLE_SHORT, principal: OKTA_PROVIDER },
  { role: ROLE_DENIED, principal: OKTA_PROVIDER },
];

function assertion(overrides: Partial<AssertionOptions> = {}): string {
  return buildSamlResponse({
    nameId: "monty@example.com",
    roles: OKTA_ROLES,
    style: "okta",
    ...overrides,
  });
}

function b64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function post(
  sts: StsEmulator,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await tlsFetch(`${sts.url}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      ...headers,
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function assume(
  sts: StsEmulator,
  params: Record<string, string | undefined> = {},
): Promise<Answer> {
  const all: Record<string, string | undefined> = {
    Action: "AssumeRoleWithSAML",
    Version: "2011-06-15",
    RoleArn: ROLE_DEV,
    PrincipalArn: OKTA_PROVIDER,
    SAMLAssertion: assertion(),
    ...params,
  };
  const defined: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (v !== undefined) defined[k] = v;
  return post(sts, defined);
}

/** Text of the first element with this local name (regex; for error bodies). */
function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
}

function assertError(
  answer: Answer,
  status: number,
  code: string,
  message?: string | RegExp,
): void {
  assertEq(answer.status, status, answer.text);
  assertEq(answer.headers.get("content-type"), "text/xml");
  assertMatch(
    answer.text,
    new RegExp(`<ErrorResponse xmlns="${STS_NAMESPACE}">`),
  );
  assertEq(tag(answer.text, "Type"), status >= 500 ? "Receiver" : "Sender");
  assertEq(tag(answer.text, "Code"), code);
  assertEq(
    tag(answer.text, "RequestId"),
    answer.headers.get("x-amzn-requestid"),
  );
  if (typeof message === "string") {
    assertEq(unescape(tag(answer.text, "Message") ?? ""), message);
  } else if (message) {
    assertMatch(unescape(tag(answer.text, "Message") ?? ""), message);
  }
}

function unescape(text: string): string {
  return text.replaceAll("&apos;", "'").replaceAll("&quot;", '"')
    .replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

async function withSts(
  fn: (sts: StsEmulator) => Promise<void>,
  options: Parameters<typeof startSts>[0] = {},
): Promise<void> {
  const sts = startSts(options);
  try {
    await fn(sts);
  } finally {
    await sts.close();
  }
}

// ---------------------------------------------------------------------------
// AssumeRoleWithSAML

Deno.test("AssumeRoleWithSAML answers the STS XML shape (Okta style)", async () => {
  const now = new Date("2030-01-01T00:00:00.700Z");
  await withSts(async (sts) => {
    const answer = await assume(sts, {
      SAMLAssertion: assertion({ now }),
    });
    assertEq(answer.status, 200, answer.text);
    assertEq(answer.headers.get("content-type"), "text/xml");
    const requestId = answer.headers.get("x-amzn-requestid");
    assertMatch(requestId ?? "", /^[0-9a-f-]{36}$/);

    const { DOMParser } = await loadXmlParser();
    const doc = new DOMParser({ onError: () => {} }).parseFromString(
      answer.text,
      "text/xml",
    );
    const root = doc.documentElement!;
    assertEq(root.localName, "AssumeRoleWithSAMLResponse");
    assertEq(root.namespaceURI, STS_NAMESPACE);
    const text = (name: string) => {
      const el = doc.getElementsByTagNameNS(STS_NAMESPACE, name).item(0);
      assert(el, `missing ${name}`);
      return el.textContent ?? "";
    };
    assert(
      doc.getElementsByTagNameNS(STS_NAMESPACE, "AssumeRoleWithSAMLResult")
        .length === 1,
    );
    assertMatch(text("AccessKeyId"), /^ASIA[A-Z0-9]{16}$/);
    assertEq(text("SecretAccessKey").length, 40);
    const token = text("SessionToken");
    assert(token.length > 500 && token.includes("+") && token.includes("/"));
    assertEq(text("Expiration"), "2030-01-01T01:00:00Z");
    const arn = `arn:aws:sts::${ACCOUNT}:assumed-role/dev/monty@example.com`;
    assertEq(text("Arn"), arn);
    assertMatch(text("AssumedRoleId"), /^AROA[A-Z0-9]{17}:monty@example\.com$/);
    assertEq(text("Subject"), "monty@example.com");
    assertEq(
      text("SubjectType"),
      "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    );
    const issuer = "https://idp.example.invalid/emulator";
    assertEq(text("Issuer"), issuer);
    assertEq(text("Audience"), "https://signin.aws.amazon.com/saml");
    assertEq(
      text("NameQualifier"),
      createHash("sha1").update(`${issuer}${ACCOUNT}/okta`).digest("base64"),
    );
    assertEq(text("PackedPolicySize"), "0");
    assertEq(text("RequestId"), requestId);

    assertEq(sts.issued.length, 1);
    const issued = sts.issued[0];
    assertEq(issued.accessKeyId, text("AccessKeyId"));
    assertEq(issued.secretAccessKey, text("SecretAccessKey"));
    assertEq(issued.sessionToken, token);
    assertEq(issued.expiration.toISOString(), "2030-01-01T01:00:00.000Z");
    assertEq(issued.roleArn, ROLE_DEV);
    assertEq(issued.sessionName, "monty@example.com");
    assertEq(issued.assumedRoleArn, arn);
    assertEq(sts.calls, [{
      action: "AssumeRoleWithSAML",
      roleArn: ROLE_DEV,
      principalArn: OKTA_PROVIDER,
      durationSeconds: 3600,
      ok: true,
    }]);
    // Unsigned, as real STS: no Authorization header went out.
    assertEq(sts.requests[0].method, "POST");
    assertEq(sts.requests[0].path, "/");
  }, { now: () => now });
});

Deno.test("AssumeRoleWithSAML reads ADFS default-namespace assertions in both orders", async () => {
  await withSts(async (sts) => {
    const saml = buildSamlResponse({
      nameId: "DOMAIN.monty",
      roles: [
        { role: ROLE_DEV, principal: ADFS_PROVIDER },
        { role: ROLE_ADMIN, principal: ADFS_PROVIDER },
      ],
      style: "adfs",
      mixOrder: true,
      sessionDuration: 43200,
    });
    for (const role of [ROLE_DEV, ROLE_ADMIN]) {
      const answer = await assume(sts, {
        RoleArn: role,
        PrincipalArn: ADFS_PROVIDER,
        SAMLAssertion: saml,
        DurationSeconds: "43200",
      });
      assertEq(answer.status, 200, answer.text);
    }
    assertEq(sts.issued.map((c) => c.assumedRoleArn), [
      `arn:aws:sts::${ACCOUNT}:assumed-role/dev/DOMAIN.monty`,
      `arn:aws:sts::${ACCOUNT}:assumed-role/admin/DOMAIN.monty`,
    ]);
    const span = sts.issued[0].expiration.getTime() - Date.now();
    assert(span > 43190_000 && span <= 43200_000, `${span}`);
  });
});

Deno.test("AssumeRoleWithSAML refuses missing or invalid parameters with ValidationError", async () => {
  await withSts(async (sts) => {
    assertError(
      await assume(sts, { RoleArn: undefined }),
      400,
      "ValidationError",
      "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
    );
    assertError(
      await assume(sts, { PrincipalArn: undefined, SAMLAssertion: undefined }),
      400,
      "ValidationError",
      /^2 validation errors detected: Value null at 'principalArn'.*; Value null at 'sAMLAssertion'/,
    );
    assertError(
      await assume(sts, { SAMLAssertion: "abc" }),
      400,
      "ValidationError",
      /at 'sAMLAssertion' failed to satisfy constraint: Member must have length greater than or equal to 4$/,
    );
    assertError(
      await assume(sts, { SAMLAssertion: "A".repeat(100_004) }),
      400,
      "ValidationError",
      /Member must have length less than or equal to 100000$/,
    );
    assertError(
      await assume(sts, { DurationSeconds: "899" }),
      400,
      "ValidationError",
      "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    assertError(
      await assume(sts, { DurationSeconds: "43201" }),
      400,
      "ValidationError",
      /Member must have value less than or equal to 43200$/,
    );
    assertError(
      await assume(sts, { DurationSeconds: "1h" }),
      400,
      "ValidationError",
      /Member must be an integer$/,
    );
    assertError(
      await assume(sts, { RoleArn: "arn:aws:iam::123456789012:user/monty" }),
      400,
      "ValidationError",
      STS_MESSAGES.invalidArn,
    );
    assertEq(sts.issued.length, 0);
    assert(sts.calls.every((c) => !c.ok && c.errorCode === "ValidationError"));
  });
});

Deno.test("AssumeRoleWithSAML refuses undecodable or unparsable assertions with InvalidIdentityToken", async () => {
  await withSts(async (sts) => {
    assertError(
      await assume(sts, { SAMLAssertion: "!!!not base64!!!" }),
      400,
      "InvalidIdentityToken",
      STS_MESSAGES.notBase64,
    );
    assertError(
      await assume(sts, { SAMLAssertion: btoa("\xff\xfe\xfd") }),
      400,
      "InvalidIdentityToken",
      STS_MESSAGES.notUtf8,
    );
    assertError(
      await assume(sts, { SAMLAssertion: b64("<samlp:Response><oops") }),
      400,
      "InvalidIdentityToken",
      /^The SAML assertion is not well-formed XML: /,
    );
    assertError(
      await assume(sts, { SAMLAssertion: assertion({ doctype: true }) }),
      400,
      "InvalidIdentityToken",
      STS_MESSAGES.doctype,
    );
    assertError(
      await assume(sts, { SAMLAssertion: b64("<Response>hello</Response>") }),
      400,
      "InvalidIdentityToken",
      STS_MESSAGES.notResponse,
    );
    const noSessionName = buildSamlXml({
      nameId: "monty@example.com",
      roles: OKTA_ROLES,
      style: "okta",
    }).replace(
      /<saml2:Attribute Name="https:\/\/aws\.amazon\.com\/SAML\/Attributes\/RoleSessionName">.*?<\/saml2:Attribute>/,
      "",
    );
    assert(!noSessionName.includes("RoleSessionName"));
    registerIssued(noSessionName);
    assertError(
      await assume(sts, { SAMLAssertion: b64(noSessionName) }),
      400,
      "InvalidIdentityToken",
      "RoleSessionName is required in AuthnResponse",
    );
    assertError(
      await assume(sts, {
        SAMLAssertion: assertion({ nameId: "monty smith" }),
      }),
      400,
      "InvalidIdentityToken",
      "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
    );
    assertEq(sts.issued.length, 0);
  });
});

Deno.test("AssumeRoleWithSAML refuses an assertion altered after the IdP issued it", async () => {
  await withSts(async (sts) => {
    const xml = buildSamlXml({
      nameId: "monty@example.com",
      roles: OKTA_ROLES,
      style: "okta",
    });
    registerIssued(xml);
    assertEq((await assume(sts, { SAMLAssertion: b64(xml) })).status, 200);
    // One role more, as a tampering client might add: no longer the issued bytes.
    const altered = xml.replace(
      "</saml2:AttributeValue>",
      `</saml2:AttributeValue><saml2:AttributeValue>${ROLE_ADMIN},${OKTA_PROVIDER}</saml2:AttributeValue>`,
    );
    assertError(
      await assume(sts, { SAMLAssertion: b64(altered), RoleArn: ROLE_ADMIN }),
      400,
      "InvalidIdentityToken",
      STS_MESSAGES.signatureInvalid,
    );
    // Even whitespace counts, as it does for a signed document.
    assertError(
      await assume(sts, { SAMLAssertion: b64(xml.replace("><", ">\n<")) }),
      400,
      "InvalidIdentityToken",
      STS_MESSAGES.signatureInvalid,
    );
  });
});

Deno.test("AssumeRoleWithSAML refuses roles the assertion does not grant, and the denied role", async () => {
  await withSts(async (sts) => {
    const denied = "Not authorized to perform sts:AssumeRoleWithSAML";
    assertError(
      await assume(sts, { RoleArn: ROLE_ADMIN }),
      403,
      "AccessDenied",
      denied,
    );
    assertError(
      await assume(sts, { PrincipalArn: ADFS_PROVIDER }),
      403,
      "AccessDenied",
      denied,
    );
    assertError(
      await assume(sts, { RoleArn: ROLE_DENIED }),
      403,
      "AccessDenied",
      denied,
    );
    assertEq(sts.calls.map((c) => c.errorCode), [
      "AccessDenied",
      "AccessDenied",
      "AccessDenied",
    ]);
  });
});

Deno.test("AssumeRoleWithSAML refuses assertions issued more than 5 minutes ago", async () => {
  await withSts(async (sts) => {
    const old = new Date(Date.now() - 5 * 60_000 - 5_000);
    assertError(
      await assume(sts, { SAMLAssertion: assertion({ now: old }) }),
      400,
      "ExpiredTokenException",
      "Token must be redeemed within 5 minutes of issuance",
    );
    const recent = new Date(Date.now() - 4 * 60_000);
    assertEq(
      (await assume(sts, { SAMLAssertion: assertion({ now: recent }) }))
        .status,
      200,
    );
  });
});

Deno.test("AssumeRoleWithSAML enforces MaxSessionDuration and the SessionDuration attribute", async () => {
  await withSts(async (sts) => {
    assertError(
      await assume(sts, { RoleArn: ROLE_SHORT, DurationSeconds: "3601" }),
      400,
      "ValidationError",
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
    assertEq(
      (await assume(sts, { RoleArn: ROLE_SHORT, DurationSeconds: "3600" }))
        .status,
      200,
    );
    const capped = assertion({ sessionDuration: 7200 });
    assertError(
      await assume(sts, { SAMLAssertion: capped, DurationSeconds: "7201" }),
      400,
      "ValidationError",
      STS_MESSAGES.sessionDurationAttribute,
    );
    assertEq(
      (await assume(sts, { SAMLAssertion: capped, DurationSeconds: "7200" }))
        .status,
      200,
    );
    // Without DurationSeconds a lower SessionDuration shortens the default.
    assertEq(
      (await assume(sts, {
        SAMLAssertion: assertion({ sessionDuration: 900 }),
      }))
        .status,
      200,
    );
    assertEq(sts.calls.map((c) => c.durationSeconds), [
      3601,
      3600,
      7201,
      7200,
      900,
    ]);
  });
});

Deno.test("roleMaxSession option: unknown roles default to 3600", async () => {
  const role = `arn:aws:iam::${ACCOUNT}:role/path/custom`;
  const saml = assertion({ roles: [{ role, principal: OKTA_PROVIDER }] });
  await withSts(async (sts) => {
    assertError(
      await assume(sts, {
        RoleArn: role,
        SAMLAssertion: saml,
        DurationSeconds: "3700",
      }),
      400,
      "ValidationError",
      STS_MESSAGES.maxSessionDuration,
    );
  });
  await withSts(async (sts) => {
    const answer = await assume(sts, {
      RoleArn: role,
      SAMLAssertion: saml,
      DurationSeconds: "3700",
    });
    assertEq(answer.status, 200, answer.text);
    assertEq(
      sts.issued[0].assumedRoleArn,
      `arn:aws:sts::${ACCOUNT}:assumed-role/custom/monty@example.com`,
    );
  }, { roleMaxSession: { [role]: 7200 } });
});

Deno.test("failNext answers one error, then STS behaves again", async () => {
  await withSts(async (sts) => {
    sts.failNext = {
      status: 400,
      code: "Throttling",
      message: "Rate exceeded",
    };
    assertError(await assume(sts), 400, "Throttling", "Rate exceeded");
    assertEq(sts.failNext, undefined);
    sts.failNext = {
      status: 503,
      code: "ServiceUnavailable",
      message: "Service is unavailable.",
    };
    assertError(await assume(sts), 503, "ServiceUnavailable");
    assertEq((await assume(sts)).status, 200);
    assertEq(sts.calls.map((c) => [c.ok, c.errorCode]), [
      [false, "Throttling"],
      [false, "ServiceUnavailable"],
      [true, undefined],
    ]);
  });
});

Deno.test("unknown actions and versions answer InvalidAction", async () => {
  await withSts(async (sts) => {
    assertError(
      await post(sts, { Action: "AssumeRole", Version: "2011-06-15" }),
      400,
      "InvalidAction",
      "Could not find operation AssumeRole for version 2011-06-15",
    );
    assertError(
      await post(sts, { Action: "GetCallerIdentity" }),
      400,
      "InvalidAction",
      "Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED",
    );
    assertEq(sts.calls.map((c) => c.action), [
      "AssumeRole",
      "GetCallerIdentity",
    ]);
  });
});

Deno.test("delayMs holds the answer; close() does not wait for it", async () => {
  await withSts(async (sts) => {
    const started = Date.now();
    await assert.rejects(
      tlsFetch(`${sts.url}/`, {
        method: "POST",
        body: "Action=GetCallerIdentity&Version=2011-06-15",
        signal: AbortSignal.timeout(100),
      }),
    );
    assert(Date.now() - started < 2_000);
  }, { delayMs: 10_000 });
});

// ---------------------------------------------------------------------------
// SigV4 helpers

Deno.test("sigv4: signing key matches AWS's documented example", async () => {
  const key = await deriveSigningKey(
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "20120215",
    "us-east-1",
    "iam",
  );
  assertEq(
    Array.from(key, (b) => b.toString(16).padStart(2, "0")).join(""),
    "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d",
  );
});

Deno.test("sigv4: canonical URI, query and Authorization parsing", () => {
  assertEq(canonicalUri(""), "/");
  assertEq(canonicalUri("/a/./b/../c//d%2Fe"), "/a/c/d%252Fe");
  assertEq(
    canonicalQuery("b=2&a=x%20y&a=1&c&d=%7E~*"),
    "a=1&a=x%20y&b=2&c=&d=~~%2A",
  );
  const auth = parseAuthorization(
    `AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20300101/eu-west-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${
      "ab".repeat(32)
    }`,
  );
  assertEq(auth.accessKeyId, "ASIAEXAMPLE");
  assertEq(auth.region, "eu-west-1");
  assertEq(auth.signedHeaders, ["content-type", "host", "x-amz-date"]);
  assert.throws(() => parseAuthorization("Bearer x"), SigV4ParseError);
  assert.throws(
    () =>
      parseAuthorization("AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request"),
    SigV4ParseError,
  );
});

// ---------------------------------------------------------------------------
// GetCallerIdentity with SigV4

/** A node:crypto SHA-256 / HMAC-SHA256 in the shape @smithy/signature-v4 expects. */
class Sha256 {
  #hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined
      ? createHash("sha256")
      : createHmac("sha256", toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (typeof data === "string") return new TextEncoder().encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const CALLER_BODY = "Action=GetCallerIdentity&Version=2011-06-15";

interface SignOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string | null;
  region?: string;
  signingDate?: Date;
  /** Sent instead of the signed body. */
  sentBody?: string;
}

/** Signs GetCallerIdentity with the AWS JS signer and sends it. */
async function callerIdentity(
  sts: StsEmulator,
  creds: IssuedCredentials,
  options: SignOptions = {},
): Promise<Answer> {
  const url = new URL(sts.url);
  const signer = new SignatureV4({
    service: "sts",
    region: options.region ?? "us-east-1",
    credentials: {
      accessKeyId: options.accessKeyId ?? creds.accessKeyId,
      secretAccessKey: options.secretAccessKey ?? creds.secretAccessKey,
      sessionToken: options.sessionToken === null
        ? undefined
        : options.sessionToken ?? creds.sessionToken,
    },
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: "POST",
    protocol: "https:",
    hostname: url.hostname,
    port: Number(url.port),
    path: "/",
    query: {},
    headers: {
      host: url.host,
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    },
    body: CALLER_BODY,
  }, { signingDate: options.signingDate });
  const headers = new Headers();
  for (const [name, value] of Object.entries(signed.headers)) {
    if (name !== "host") headers.set(name, value);
  }
  const res = await tlsFetch(`${sts.url}/`, {
    method: "POST",
    headers,
    body: options.sentBody ?? CALLER_BODY,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function issue(sts: StsEmulator): Promise<IssuedCredentials> {
  const answer = await assume(sts);
  assertEq(answer.status, 200, answer.text);
  return sts.issued.at(-1)!;
}

Deno.test("GetCallerIdentity accepts a SigV4 signature from @smithy/signature-v4, any region", async () => {
  await withSts(async (sts) => {
    const creds = await issue(sts);
    for (const region of ["us-east-1", "eu-central-1"]) {
      const answer = await callerIdentity(sts, creds, { region });
      assertEq(answer.status, 200, answer.text);
      assertEq(answer.headers.get("content-type"), "text/xml");
      assertMatch(
        answer.text,
        new RegExp(
          `^<\\?xml[^>]*>\\s*<GetCallerIdentityResponse xmlns="${STS_NAMESPACE}">`,
        ),
      );
      assert(answer.text.includes("<GetCallerIdentityResult>"));
      assertEq(tag(answer.text, "Arn"), creds.assumedRoleArn);
      assertEq(tag(answer.text, "UserId"), creds.assumedRoleId);
      assertEq(tag(answer.text, "Account"), ACCOUNT);
      assertEq(
        tag(answer.text, "RequestId"),
        answer.headers.get("x-amzn-requestid"),
      );
    }
    assertEq(sts.calls.slice(1), [
      { action: "GetCallerIdentity", roleArn: ROLE_DEV, ok: true },
      { action: "GetCallerIdentity", roleArn: ROLE_DEV, ok: true },
    ]);
  });
});

Deno.test("GetCallerIdentity refuses tampered signatures, bodies and secrets", async () => {
  await withSts(async (sts) => {
    const creds = await issue(sts);
    // Flip one hex digit of a good signature.
    const url = new URL(sts.url);
    const signer = new SignatureV4({
      service: "sts",
      region: "us-east-1",
      credentials: creds,
      sha256: Sha256,
    });
    const signed = await signer.sign({
      method: "POST",
      protocol: "https:",
      hostname: url.hostname,
      port: Number(url.port),
      path: "/",
      query: {},
      headers: {
        host: url.host,
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      },
      body: CALLER_BODY,
    });
    const authorization = signed.headers.authorization.replace(
      /Signature=(.)/,
      (_, c: string) => `Signature=${c === "0" ? "1" : "0"}`,
    );
    assert(authorization !== signed.headers.authorization);
    const headers = new Headers();
    for (const [name, value] of Object.entries(signed.headers)) {
      if (name !== "host") headers.set(name, value);
    }
    headers.set("authorization", authorization);
    const res = await tlsFetch(`${sts.url}/`, {
      method: "POST",
      headers,
      body: CALLER_BODY,
    });
    const tampered = {
      status: res.status,
      headers: res.headers,
      text: await res.text(),
    };
    assertError(
      tampered,
      403,
      "SignatureDoesNotMatch",
      /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\. Consult the service documentation for details\.\n\nThe Canonical String for this request should have been\n'POST\n\/\n\ncontent-type:application\/x-www-form-urlencoded; charset=utf-8\nhost:127\.0\.0\.1:\d+\n/,
    );

    assertError(
      await callerIdentity(sts, creds, {
        sentBody: "Action=GetCallerIdentity&Version=2011-06-15&X=1",
      }),
      403,
      "SignatureDoesNotMatch",
    );
    assertError(
      await callerIdentity(sts, creds, {
        secretAccessKey: creds.secretAccessKey.slice(1) + "x",
      }),
      403,
      "SignatureDoesNotMatch",
    );
    assertError(
      await callerIdentity(sts, creds, {
        signingDate: new Date(Date.now() - 20 * 60_000),
      }),
      403,
      "SignatureDoesNotMatch",
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/,
    );
  });
});

Deno.test("GetCallerIdentity refuses unknown keys, bad session tokens and missing auth", async () => {
  await withSts(async (sts) => {
    const creds = await issue(sts);
    const invalid = "The security token included in the request is invalid.";
    assertError(
      await callerIdentity(sts, creds, { accessKeyId: "ASIAUNKNOWNKEY000000" }),
      403,
      "InvalidClientTokenId",
      invalid,
    );
    assertError(
      await callerIdentity(sts, creds, { sessionToken: null }),
      403,
      "InvalidClientTokenId",
      invalid,
    );
    assertError(
      await callerIdentity(sts, creds, {
        sessionToken: creds.sessionToken + "x",
      }),
      403,
      "InvalidClientTokenId",
      invalid,
    );
    assertError(
      await post(sts, { Action: "GetCallerIdentity", Version: "2011-06-15" }),
      403,
      "MissingAuthenticationToken",
      "Request is missing Authentication Token",
    );
    assertError(
      await post(sts, { Action: "GetCallerIdentity", Version: "2011-06-15" }, {
        authorization: "AWS4-HMAC-SHA256 Credential=x",
      }),
      400,
      "IncompleteSignature",
    );
  });
});

Deno.test("GetCallerIdentity refuses expired credentials with ExpiredToken", async () => {
  let clock = Date.now();
  await withSts(async (sts) => {
    const creds = await issue(sts);
    clock = creds.expiration.getTime();
    assertError(
      await callerIdentity(sts, creds, { signingDate: new Date(clock) }),
      400,
      "ExpiredToken",
      "The security token included in the request is expired",
    );
  }, { now: () => new Date(clock) });
});

// ---------------------------------------------------------------------------
// The real AWS CLI (botocore) as signer

function onPath(command: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${command}`).isFile) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

Deno.test({
  name: "GetCallerIdentity accepts the AWS CLI's botocore signature",
  ignore: !onPath("aws"),
  fn: async () => {
    await withSts(async (sts) => {
      const creds = await issue(sts);
      const env: Record<string, string> = {
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_SESSION_TOKEN: creds.sessionToken,
        AWS_ENDPOINT_URL_STS: sts.url,
        AWS_CA_BUNDLE: caFile,
        AWS_REGION: "us-east-1",
        // botocore reads only AWS_DEFAULT_REGION (AWS_REGION is ignored).
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_PAGER: "",
        NO_PROXY: "127.0.0.1,localhost",
        no_proxy: "127.0.0.1,localhost",
      };
      // A clean environment (no AWS_PROFILE etc.), keeping what finds Python.
      for (
        const name of ["PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION", "LANG"]
      ) {
        const value = Deno.env.get(name);
        if (value !== undefined) env[name] = value;
      }
      const out = await new Deno.Command("aws", {
        args: ["sts", "get-caller-identity", "--output", "json"],
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert(out.success, stderr);
      const identity = JSON.parse(new TextDecoder().decode(out.stdout));
      assertEq(identity, {
        UserId: creds.assumedRoleId,
        Account: ACCOUNT,
        Arn: creds.assumedRoleArn,
      });
      assertEq(sts.calls.at(-1), {
        action: "GetCallerIdentity",
        roleArn: ROLE_DEV,
        ok: true,
      });
    });
  },
});
