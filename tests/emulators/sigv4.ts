/**
 * AWS Signature Version 4 verification for the STS emulator: parses the
 * `Authorization` header, rebuilds the canonical request and string to sign
 * as botocore and the JS v3 SDK build them, derives the signing key with
 * HMAC-SHA256 (crypto.subtle) and compares signatures.
 *
 * Only header authentication (`Authorization: AWS4-HMAC-SHA256 ...`) is
 * handled, not presigned query strings. Summary: tests/emulators/README.md
 * §7.5.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * @module
 */

/** The only algorithm STS accepts in the `Authorization` header. */
export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";

/** The fields of an `Authorization: AWS4-HMAC-SHA256 ...` header. */
export interface SigV4Authorization {
  /** Access key id from `Credential=`. */
  accessKeyId: string;
  /** Scope date, `YYYYMMDD`. */
  date: string;
  /** Scope region, e.g. `us-east-1`. */
  region: string;
  /** Scope service, e.g. `sts`. */
  service: string;
  /** Lower-case header names from `SignedHeaders=`, as listed. */
  signedHeaders: string[];
  /** Hex signature from `Signature=`. */
  signature: string;
}

/** Why an `Authorization` header could not be parsed. */
export class SigV4ParseError extends Error {
  /** Creates the error with a message in AWS's wording. */
  constructor(message: string) {
    super(message);
    this.name = "SigV4ParseError";
  }
}

/**
 * Parses an `Authorization` header of the form
 * `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b, Signature=hex`.
 *
 * @throws {SigV4ParseError} when the algorithm is not AWS4-HMAC-SHA256 or a
 * component is missing or malformed.
 */
export function parseAuthorization(header: string): SigV4Authorization {
  const trimmed = header.trim();
  const space = trimmed.indexOf(" ");
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new SigV4ParseError(
      `Unsupported authorization type: ${algorithm || "(empty)"}.`,
    );
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ["Credential", "SignedHeaders", "Signature"].filter((name) =>
    !fields.get(name)
  );
  if (missing.length > 0) {
    throw new SigV4ParseError(
      missing.map((name) =>
        `Authorization header requires '${name}' parameter.`
      )
        .join(" "),
    );
  }
  const credential = fields.get("Credential")!.split("/");
  if (credential.length !== 5 || credential.some((c) => c === "")) {
    throw new SigV4ParseError(
      `Credential should be scoped to a valid region, not '${
        fields.get("Credential")
      }'.`,
    );
  }
  const [accessKeyId, date, region, service, terminal] = credential;
  if (!/^\d{8}$/.test(date)) {
    throw new SigV4ParseError(
      `Credential should be scoped to a valid date, not '${date}'.`,
    );
  }
  if (terminal !== "aws4_request") {
    throw new SigV4ParseError(
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminal}'.`,
    );
  }
  const signature = fields.get("Signature")!;
  if (!/^[0-9a-f]{64}$/.test(signature)) {
    throw new SigV4ParseError("Signature must be 64 lower-case hex digits.");
  }
  return {
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: fields.get("SignedHeaders")!.split(";"),
    signature,
  };
}

/**
 * URI-encodes per SigV4: every byte except the unreserved characters
 * `A-Z a-z 0-9 - _ . ~` becomes `%XX` (upper-case hex); `/` is kept when
 * `keepSlash` is set.
 */
export function uriEncode(text: string, keepSlash = false): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === "/")) out += c;
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * The canonical URI of a non-S3 service: the request path as sent (still
 * percent-encoded) with dot segments and empty segments removed, then
 * URI-encoded again (so `%2F` becomes `%252F`), `/` kept. An empty path is `/`.
 */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  let path = "/" + segments.join("/");
  if (rawPath.endsWith("/") && path !== "/") path += "/";
  return uriEncode(path, true);
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The canonical query string: each `name=value` pair percent-decoded, then
 * URI-encoded, sorted by encoded name then value, joined with `&`. A name
 * without `=` gets an empty value.
 *
 * @param rawQuery The query string as sent, without the leading `?`.
 */
export function canonicalQuery(rawQuery: string): string {
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    pairs.push([
      uriEncode(decodeComponent(name)),
      uriEncode(decodeComponent(value)),
    ]);
  }
  pairs.sort(([an, av], [bn, bv]) =>
    an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0
  );
  return pairs.map(([n, v]) => `${n}=${v}`).join("&");
}

/**
 * The canonical headers block: one `name:value\n` line per signed header, in
 * the order given (sorted by the signer), values trimmed with inner runs of
 * spaces collapsed. A missing header contributes an empty value; `host`
 * falls back to `hostFallback` (HTTP/2 carries it as `:authority`).
 */
export function canonicalHeaders(
  headers: Headers,
  signedHeaders: readonly string[],
  hostFallback = "",
): string {
  return signedHeaders.map((name) => {
    const value = headers.get(name) ??
      (name === "host" ? hostFallback : "");
    return `${name}:${value.trim().replace(/ +/g, " ")}\n`;
  }).join("");
}

/** What goes into a canonical request. */
export interface CanonicalRequestInput {
  method: string;
  /** Path as sent, still percent-encoded. */
  rawPath: string;
  /** Query as sent, without `?`. */
  rawQuery: string;
  headers: Headers;
  /** Lower-case header names, sorted, as in `SignedHeaders=`. */
  signedHeaders: readonly string[];
  /** Hex SHA-256 of the body (or `UNSIGNED-PAYLOAD`). */
  payloadHash: string;
  /** Value for `host` when the Host header is absent. */
  hostFallback?: string;
}

/** Builds the SigV4 canonical request string. */
export function canonicalRequest(input: CanonicalRequestInput): string {
  return [
    input.method.toUpperCase(),
    canonicalUri(input.rawPath),
    canonicalQuery(input.rawQuery),
    canonicalHeaders(input.headers, input.signedHeaders, input.hostFallback),
    input.signedHeaders.join(";"),
    input.payloadHash,
  ].join("\n");
}

/** The credential scope `DATE/REGION/SERVICE/aws4_request`. */
export function credentialScope(
  date: string,
  region: string,
  service: string,
): string {
  return `${date}/${region}/${service}/aws4_request`;
}

/** Builds the string to sign from the request time, scope and canonical request hash. */
export function stringToSign(
  amzDate: string,
  scope: string,
  canonicalRequestHash: string,
): string {
  return [SIGV4_ALGORITHM, amzDate, scope, canonicalRequestHash].join("\n");
}

function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(
    bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

function toBytes(data: string | Uint8Array): Uint8Array<ArrayBuffer> {
  return typeof data === "string"
    ? new TextEncoder().encode(data)
    : new Uint8Array(data);
}

/** Hex SHA-256 of a string (UTF-8) or bytes. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", toBytes(data)));
}

/** HMAC-SHA256 of `data` under `key`. */
export async function hmacSha256(
  key: string | Uint8Array,
  data: string,
): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    toBytes(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(
    await crypto.subtle.sign("HMAC", cryptoKey, toBytes(data)),
  );
}

/**
 * Derives the signing key:
 * HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
 */
export async function deriveSigningKey(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
): Promise<Uint8Array> {
  const kDate = await hmacSha256(`AWS4${secretAccessKey}`, date);
  const kRegion = await hmacSha256(kDate, region);
  const kService = await hmacSha256(kRegion, service);
  return await hmacSha256(kService, "aws4_request");
}

/** Hex signature of `toSign` under the derived key for the scope. */
export async function computeSignature(
  secretAccessKey: string,
  scope: { date: string; region: string; service: string },
  toSign: string,
): Promise<string> {
  const key = await deriveSigningKey(
    secretAccessKey,
    scope.date,
    scope.region,
    scope.service,
  );
  return toHex(await hmacSha256(key, toSign));
}

/** Compares two strings in time independent of where they first differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** A received request, as the verifier needs it. */
export interface SignedRequest {
  method: string;
  /** Path as sent, still percent-encoded. */
  rawPath: string;
  /** Query as sent, without `?`. */
  rawQuery: string;
  headers: Headers;
  body: Uint8Array;
  /** `host[:port]` of the URL, for when no Host header arrived. */
  hostFallback?: string;
}

/** The outcome of {@link verifySignature}; the strings help explain a mismatch. */
export interface SigV4Verification {
  ok: boolean;
  /** The signature the request should carry. */
  expected: string;
  canonicalRequest: string;
  stringToSign: string;
}

/**
 * Recomputes the signature of `request` with `secretAccessKey` and compares
 * it with the one in `auth`. The payload hash is always the SHA-256 of the
 * body received (an `x-amz-content-sha256` header is only checked as a signed
 * header, so a body that differs from it fails); the request time is
 * `x-amz-date`, else the `date` header.
 */
export async function verifySignature(
  request: SignedRequest,
  auth: SigV4Authorization,
  secretAccessKey: string,
): Promise<SigV4Verification> {
  const payloadHash = await sha256Hex(request.body);
  const canonical = canonicalRequest({
    method: request.method,
    rawPath: request.rawPath,
    rawQuery: request.rawQuery,
    headers: request.headers,
    signedHeaders: auth.signedHeaders,
    payloadHash,
    hostFallback: request.hostFallback,
  });
  const amzDate = requestTime(request.headers);
  const toSign = stringToSign(
    amzDate,
    credentialScope(auth.date, auth.region, auth.service),
    await sha256Hex(canonical),
  );
  const expected = await computeSignature(secretAccessKey, auth, toSign);
  return {
    ok: constantTimeEqual(expected, auth.signature),
    expected,
    canonicalRequest: canonical,
    stringToSign: toSign,
  };
}

/** Parses an `x-amz-date` value (`YYYYMMDDThhmmssZ`); undefined when malformed. */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(
    Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]),
  );
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The request time as it enters the string to sign: `x-amz-date` as sent,
 * else the HTTP `date` header converted to `YYYYMMDDThhmmssZ`, else "".
 */
export function requestTime(headers: Headers): string {
  const amzDate = headers.get("x-amz-date");
  if (amzDate !== null) return amzDate;
  const date = new Date(headers.get("date") ?? "");
  return Number.isNaN(date.getTime()) ? "" : formatAmzDate(date);
}

/** Formats a date as `YYYYMMDDThhmmssZ`. */
export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}
