/**
 * An AWS STS emulator speaking the Query protocol (API version 2011-06-15)
 * over HTTPS on 127.0.0.1:
 *
 * - `AssumeRoleWithSAML` (unsigned, as real STS) checks the parameters and the
 *   unsigned SAML Response the IdP emulators build, and hands out random
 *   temporary credentials;
 * - `GetCallerIdentity` verifies a real SigV4 signature made with issued
 *   credentials and answers with the assumed-role identity.
 *
 * Error bodies, codes and HTTP statuses are those real STS sends; messages
 * follow AWS's wording where it is known (see the constants below).
 * Reference: tests/emulators/README.md §7 (STS), §1.4 (the trust rule).
 *
 * @module
 */
import { loadXmlParser } from "../../lib/deps.ts";
import { ROLE_DENIED, ROLE_MAX_SESSION } from "./fixtures.ts";
import { wasIssued } from "./saml_assertion.ts";
import { abortableSleep, type RunningServer, serveTls } from "./server.ts";
import {
  formatAmzDate,
  parseAmzDate,
  parseAuthorization,
  SigV4ParseError,
  verifySignature,
} from "./sigv4.ts";

/** XML namespace of every STS response body. */
export const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";
/** The only API version STS serves. */
export const STS_VERSION = "2011-06-15";

type XmlModule = Awaited<ReturnType<typeof loadXmlParser>>;
type XmlDocument = ReturnType<
  InstanceType<XmlModule["DOMParser"]>["parseFromString"]
>;
type XmlElement = NonNullable<XmlDocument["documentElement"]>;

const PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
const ATTR = "https://aws.amazon.com/SAML/Attributes/";
const NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:";

/** STS error messages, as AWS words them (those marked "emulator" are ours). */
export const STS_MESSAGES = {
  accessDenied: "Not authorized to perform sts:AssumeRoleWithSAML",
  signatureInvalid: "Response signature invalid",
  sessionNameRequired: "RoleSessionName is required in AuthnResponse",
  sessionNameInvalid:
    "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
  tokenExpired: "Token must be redeemed within 5 minutes of issuance",
  maxSessionDuration:
    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
  /** Emulator: real STS caps the session instead of refusing. */
  sessionDurationAttribute:
    "The requested DurationSeconds exceeds the SessionDuration attribute of the SAML assertion.",
  /** Emulator wording. */
  notBase64: "The SAML assertion is not valid base64.",
  /** Emulator wording. */
  notUtf8: "The SAML assertion is not valid UTF-8.",
  /** Emulator wording. */
  doctype: "The SAML assertion must not contain a DOCTYPE.",
  /** Emulator wording; the parser's reason is appended. */
  notXml: "The SAML assertion is not well-formed XML",
  /** Emulator wording. */
  notResponse: "The SAML assertion is not a SAML 2.0 Response.",
  /** Emulator wording. */
  noAssertion: "The SAML response contains no Assertion.",
  /** Emulator wording. */
  badIssueInstant: "The SAML assertion has no valid IssueInstant.",
  invalidArn: "Request ARN is invalid",
  missingAuth: "Request is missing Authentication Token",
  invalidToken: "The security token included in the request is invalid.",
  expiredToken: "The security token included in the request is expired",
  signatureMismatch:
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
} as const;

/** One set of temporary credentials the emulator handed out. */
export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** When they expire (whole seconds, as in the XML). */
  expiration: Date;
  roleArn: string;
  principalArn: string;
  sessionName: string;
  /** `arn:aws:sts::ACCOUNT:assumed-role/<role name>/<session name>`. */
  assumedRoleArn: string;
  /** `AROA…:<session name>`. */
  assumedRoleId: string;
}

/** One request the emulator answered, in order. */
export interface StsCall {
  /** The `Action` parameter as sent ("" when missing). */
  action: string;
  roleArn?: string;
  principalArn?: string;
  durationSeconds?: number;
  ok: boolean;
  errorCode?: string;
}

/** An error to answer once, set through {@link StsEmulator.failNext}. */
export interface StsFailure {
  status: number;
  code: string;
  message: string;
}

/** Options of {@link startSts}. */
export interface StsOptions {
  /** MaxSessionDuration per role ARN; default fixtures' ROLE_MAX_SESSION. Unlisted roles: 3600. */
  roleMaxSession?: Record<string, number>;
  /** Clock for expiry checks and Expiration; defaults to the real one. */
  now?: () => Date;
  /** Milliseconds to wait before answering each request (timeout tests). */
  delayMs?: number;
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
  /** Milliseconds added before every response (a network round trip). */
  latencyMs?: number;
  /**
   * Stands in for the signature check of real STS: whether the decoded
   * Response document is one an IdP vouches for. Default: only documents an
   * emulator issued, byte for byte (saml_assertion.ts `wasIssued`). A test
   * against a real, signing IdP passes a check of that IdP's signature.
   */
  trust?: (xml: string) => boolean | Promise<boolean>;
}

/** A running STS emulator. */
export interface StsEmulator extends RunningServer {
  /** Every credential set handed out, in order. */
  issued: IssuedCredentials[];
  /** Every request answered, in order. */
  calls: StsCall[];
  /** When set, the next AssumeRoleWithSAML answers this error, then it clears. */
  failNext: StsFailure | undefined;
}

class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function xmlEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;").replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

function xmlResponse(status: number, body: string, requestId: string) {
  return new Response(`<?xml version="1.0" encoding="UTF-8"?>\n${body}\n`, {
    status,
    headers: { "content-type": "text/xml", "x-amzn-RequestId": requestId },
  });
}

function errorResponse(error: StsError, requestId: string): Response {
  const type = error.status >= 500 ? "Receiver" : "Sender";
  return xmlResponse(
    error.status,
    `<ErrorResponse xmlns="${STS_NAMESPACE}">
  <Error>
    <Type>${type}</Type>
    <Code>${xmlEscape(error.code)}</Code>
    <Message>${xmlEscape(error.message)}</Message>
  </Error>
  <RequestId>${requestId}</RequestId>
</ErrorResponse>`,
    requestId,
  );
}

const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SECRET_CHARS =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function randomString(length: number, alphabet: string): string {
  let out = "";
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length))) {
      if (byte < limit && out.length < length) {
        out += alphabet[byte % alphabet.length];
      }
    }
  }
  return out;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** A session token shaped like STS's: long base64 with `/`, `+` and `=`. */
function randomSessionToken(): string {
  const body = base64(crypto.getRandomValues(new Uint8Array(601)));
  const token = `IQoJb3JpZ2luX2VjE${
    randomString(3, UPPER_ALNUM)
  }//////////wEa${body}`;
  // Make sure a `+` is present, so clients must form-encode it.
  return token.slice(0, 40) + "+" + token.slice(41);
}

/** `AROA` + 17 characters derived from the role ARN (stable per role). */
async function roleId(roleArn: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(roleArn)),
  );
  return "AROA" +
    Array.from(digest.slice(0, 17), (b) => UPPER_ALNUM[b % 36]).join("");
}

function formatExpiration(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Lower-cases the first letter, as AWS names members in validation messages. */
function memberName(param: string): string {
  return param[0].toLowerCase() + param.slice(1);
}

function quoteValue(value: string): string {
  return value.length > 64 ? `'${value.slice(0, 64)}...'` : `'${value}'`;
}

const ROLE_ARN_RE = /^arn:[a-z-]+:iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/;
const PROVIDER_ARN_RE = /^arn:[a-z-]+:iam::\d{12}:saml-provider\/([^/]+)$/;

interface AssumeParams {
  roleArn: string;
  principalArn: string;
  assertion: string;
  durationSeconds?: number;
  policyLength: number;
}

/** Checks the request parameters; throws ValidationError like STS. */
function validateAssumeParams(params: URLSearchParams): AssumeParams {
  const problems: string[] = [];
  const lengthCheck = (name: string, min: number, max: number) => {
    const value = params.get(name);
    if (value === null) {
      problems.push(
        `Value null at '${
          memberName(name)
        }' failed to satisfy constraint: Member must not be null`,
      );
    } else if (value.length < min) {
      problems.push(
        `Value ${quoteValue(value)} at '${
          memberName(name)
        }' failed to satisfy constraint: Member must have length greater than or equal to ${min}`,
      );
    } else if (value.length > max) {
      problems.push(
        `Value ${quoteValue(value)} at '${
          memberName(name)
        }' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
      );
    }
  };
  lengthCheck("RoleArn", 20, 2048);
  lengthCheck("PrincipalArn", 20, 2048);
  lengthCheck("SAMLAssertion", 4, 100000);
  const policy = params.get("Policy");
  if (policy !== null) lengthCheck("Policy", 1, 2048);
  let durationSeconds: number | undefined;
  const duration = params.get("DurationSeconds");
  if (duration !== null) {
    if (!/^-?\d+$/.test(duration.trim())) {
      problems.push(
        `Value ${
          quoteValue(duration)
        } at 'durationSeconds' failed to satisfy constraint: Member must be an integer`,
      );
    } else {
      durationSeconds = Number(duration.trim());
      if (durationSeconds < 900) {
        problems.push(
          `Value '${durationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
        );
      } else if (durationSeconds > 43200) {
        problems.push(
          `Value '${durationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200`,
        );
      }
    }
  }
  if (problems.length > 0) {
    const count = problems.length === 1
      ? "1 validation error detected"
      : `${problems.length} validation errors detected`;
    throw new StsError(
      400,
      "ValidationError",
      `${count}: ${problems.join("; ")}`,
    );
  }
  const roleArn = params.get("RoleArn")!;
  const principalArn = params.get("PrincipalArn")!;
  if (!ROLE_ARN_RE.test(roleArn) || !PROVIDER_ARN_RE.test(principalArn)) {
    throw new StsError(400, "ValidationError", STS_MESSAGES.invalidArn);
  }
  return {
    roleArn,
    principalArn,
    assertion: params.get("SAMLAssertion")!,
    durationSeconds,
    policyLength: policy?.length ?? 0,
  };
}

/** What the emulator reads from a SAML Response. */
interface ParsedAssertion {
  issueInstant: Date;
  issuer: string;
  nameId?: string;
  nameIdFormat?: string;
  recipient: string;
  attributes: Map<string, string[]>;
}

function invalidToken(message: string): StsError {
  return new StsError(400, "InvalidIdentityToken", message);
}

/** Decodes base64 strictly (ASCII whitespace ignored) and then UTF-8. */
function decodeAssertion(assertion: string): string {
  const compact = assertion.replace(/[\t\n\f\r ]/g, "");
  if (
    compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)
  ) {
    throw invalidToken(STS_MESSAGES.notBase64);
  }
  const binary = atob(compact);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalidToken(STS_MESSAGES.notUtf8);
  }
}

function firstChild(
  parent: XmlElement,
  ns: string,
  localName: string,
): XmlElement | undefined {
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    const element = n as XmlElement;
    if (
      n.nodeType === 1 && element.namespaceURI === ns &&
      element.localName === localName
    ) {
      return element;
    }
  }
  return undefined;
}

async function parseAssertion(xml: string): Promise<ParsedAssertion> {
  if (/<!DOCTYPE/i.test(xml)) throw invalidToken(STS_MESSAGES.doctype);
  const { DOMParser } = await loadXmlParser();
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== "warning") throw new Error(msg);
      },
    }).parseFromString(xml, "text/xml");
  } catch (e) {
    const reason = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw invalidToken(`${STS_MESSAGES.notXml}: ${reason}`);
  }
  if (doc.doctype) throw invalidToken(STS_MESSAGES.doctype);
  const root = doc.documentElement;
  if (
    !root || root.namespaceURI !== PROTOCOL_NS || root.localName !== "Response"
  ) {
    throw invalidToken(STS_MESSAGES.notResponse);
  }
  const assertion = firstChild(root, ASSERTION_NS, "Assertion");
  if (!assertion) throw invalidToken(STS_MESSAGES.noAssertion);
  const instant = assertion.getAttribute("IssueInstant") ??
    root.getAttribute("IssueInstant") ?? "";
  const issueInstant = new Date(instant);
  if (
    !/^\d{4}-\d{2}-\d{2}T/.test(instant) ||
    Number.isNaN(issueInstant.getTime())
  ) {
    throw invalidToken(STS_MESSAGES.badIssueInstant);
  }
  const issuer = (firstChild(assertion, ASSERTION_NS, "Issuer") ??
    firstChild(root, ASSERTION_NS, "Issuer"))?.textContent?.trim() ?? "";
  const subject = firstChild(assertion, ASSERTION_NS, "Subject");
  const nameIdElement = subject &&
    firstChild(subject, ASSERTION_NS, "NameID");
  const confirmation = subject &&
    firstChild(subject, ASSERTION_NS, "SubjectConfirmation");
  const confirmationData = confirmation &&
    firstChild(confirmation, ASSERTION_NS, "SubjectConfirmationData");
  const audience = assertion.getElementsByTagNameNS(ASSERTION_NS, "Audience")
    .item(0)?.textContent?.trim();
  const attributes = new Map<string, string[]>();
  const attributeElements = assertion.getElementsByTagNameNS(
    ASSERTION_NS,
    "Attribute",
  );
  for (let i = 0; i < attributeElements.length; i++) {
    const attribute = attributeElements.item(i)!;
    const name = attribute.getAttribute("Name") ?? "";
    const values = attributes.get(name) ?? [];
    const valueElements = attribute.getElementsByTagNameNS(
      ASSERTION_NS,
      "AttributeValue",
    );
    for (let j = 0; j < valueElements.length; j++) {
      values.push(valueElements.item(j)!.textContent?.trim() ?? "");
    }
    attributes.set(name, values);
  }
  const nameId = nameIdElement?.textContent?.trim();
  return {
    issueInstant,
    issuer,
    nameId: nameId || undefined,
    nameIdFormat: nameIdElement?.getAttribute("Format") ?? undefined,
    recipient: confirmationData?.getAttribute("Recipient") ?? audience ?? "",
    attributes,
  };
}

/** Whether a Role attribute value names exactly this role and provider, in either order. */
function grantsRole(value: string, roleArn: string, principalArn: string) {
  const parts = value.split(",").map((p) => p.trim());
  return parts.length === 2 &&
    ((parts[0] === roleArn && parts[1] === principalArn) ||
      (parts[0] === principalArn && parts[1] === roleArn));
}

/**
 * Starts the STS emulator on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const sts = startSts();
 * try {
 *   // POST Action=AssumeRoleWithSAML&... to sts.url
 * } finally {
 *   await sts.close();
 * }
 * ```
 */
export function startSts(options: StsOptions = {}): StsEmulator {
  const roleMaxSession = options.roleMaxSession ?? ROLE_MAX_SESSION;
  const now = options.now ?? (() => new Date());
  const trust = options.trust ?? wasIssued;
  const closing = new AbortController();
  const byKeyId = new Map<string, IssuedCredentials>();

  async function assumeRoleWithSaml(
    params: URLSearchParams,
    call: StsCall,
    requestId: string,
  ): Promise<string> {
    const failure = emulator.failNext;
    if (failure) {
      emulator.failNext = undefined;
      throw new StsError(failure.status, failure.code, failure.message);
    }
    const p = validateAssumeParams(params);
    const xml = decodeAssertion(p.assertion);
    const assertion = await parseAssertion(xml);
    if (!(await trust(xml))) {
      throw invalidToken(STS_MESSAGES.signatureInvalid);
    }
    const at = now();
    if (at.getTime() - assertion.issueInstant.getTime() > 5 * 60_000) {
      throw new StsError(
        400,
        "ExpiredTokenException",
        STS_MESSAGES.tokenExpired,
      );
    }
    const roles = assertion.attributes.get(`${ATTR}Role`) ?? [];
    if (!roles.some((v) => grantsRole(v, p.roleArn, p.principalArn))) {
      throw new StsError(403, "AccessDenied", STS_MESSAGES.accessDenied);
    }
    if (p.roleArn === ROLE_DENIED || assertion.nameId === undefined) {
      throw new StsError(403, "AccessDenied", STS_MESSAGES.accessDenied);
    }
    const sessionNames = assertion.attributes.get(`${ATTR}RoleSessionName`);
    if (!sessionNames?.length) {
      throw invalidToken(STS_MESSAGES.sessionNameRequired);
    }
    const sessionName = sessionNames[0];
    if (!/^[A-Za-z0-9_+=,.@-]{2,64}$/.test(sessionName)) {
      throw invalidToken(STS_MESSAGES.sessionNameInvalid);
    }
    const maxSession = roleMaxSession[p.roleArn] ?? 3600;
    if (p.durationSeconds !== undefined && p.durationSeconds > maxSession) {
      throw new StsError(
        400,
        "ValidationError",
        STS_MESSAGES.maxSessionDuration,
      );
    }
    const sessionAttr = assertion.attributes.get(`${ATTR}SessionDuration`)
      ?.[0];
    const sessionLimit = sessionAttr && /^\d+$/.test(sessionAttr)
      ? Number(sessionAttr)
      : undefined;
    if (
      p.durationSeconds !== undefined && sessionLimit !== undefined &&
      p.durationSeconds > sessionLimit
    ) {
      throw new StsError(
        400,
        "ValidationError",
        STS_MESSAGES.sessionDurationAttribute,
      );
    }
    // Without DurationSeconds: 3600, shortened by SessionDuration if lower.
    const duration = p.durationSeconds ??
      Math.min(3600, sessionLimit ?? 3600);

    const [, partition, , , account] = p.roleArn.split(":");
    const roleName = ROLE_ARN_RE.exec(p.roleArn)![2];
    const providerName = PROVIDER_ARN_RE.exec(p.principalArn)![1];
    const assumedRoleArn =
      `arn:${partition}:sts::${account}:assumed-role/${roleName}/${sessionName}`;
    const assumedRoleId = `${await roleId(p.roleArn)}:${sessionName}`;
    const expiration = new Date(
      Math.floor(at.getTime() / 1000) * 1000 + duration * 1000,
    );
    const issued: IssuedCredentials = {
      accessKeyId: "ASIA" + randomString(16, UPPER_ALNUM),
      secretAccessKey: randomString(40, SECRET_CHARS),
      sessionToken: randomSessionToken(),
      expiration,
      roleArn: p.roleArn,
      principalArn: p.principalArn,
      sessionName,
      assumedRoleArn,
      assumedRoleId,
    };
    const qualifier = base64(
      new Uint8Array(
        await crypto.subtle.digest(
          "SHA-1",
          new TextEncoder().encode(
            assertion.issuer + account + "/" + providerName,
          ),
        ),
      ),
    );
    const format = assertion.nameIdFormat ?? `${NAMEID_PREFIX}unspecified`;
    const subjectType = format.startsWith(NAMEID_PREFIX)
      ? format.slice(NAMEID_PREFIX.length)
      : format;
    const sourceIdentity = assertion.attributes.get(`${ATTR}SourceIdentity`)
      ?.[0];
    emulator.issued.push(issued);
    byKeyId.set(issued.accessKeyId, issued);
    call.durationSeconds = duration;
    return `<AssumeRoleWithSAMLResponse xmlns="${STS_NAMESPACE}">
  <AssumeRoleWithSAMLResult>
    <Audience>${xmlEscape(assertion.recipient)}</Audience>
    <AssumedRoleUser>
      <AssumedRoleId>${xmlEscape(assumedRoleId)}</AssumedRoleId>
      <Arn>${xmlEscape(assumedRoleArn)}</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${issued.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${issued.secretAccessKey}</SecretAccessKey>
      <SessionToken>${issued.sessionToken}</SessionToken>
      <Expiration>${formatExpiration(expiration)}</Expiration>
    </Credentials>
    <Issuer>${xmlEscape(assertion.issuer)}</Issuer>
    <NameQualifier>${qualifier}</NameQualifier>
    <PackedPolicySize>${
      Math.ceil(p.policyLength / 2048 * 100)
    }</PackedPolicySize>
    <Subject>${xmlEscape(assertion.nameId!)}</Subject>
    <SubjectType>${xmlEscape(subjectType)}</SubjectType>${
      sourceIdentity === undefined
        ? ""
        : `\n    <SourceIdentity>${xmlEscape(sourceIdentity)}</SourceIdentity>`
    }
  </AssumeRoleWithSAMLResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithSAMLResponse>`;
  }

  async function getCallerIdentity(
    req: Request,
    url: URL,
    body: Uint8Array,
    call: StsCall,
    requestId: string,
  ): Promise<string> {
    const header = req.headers.get("authorization");
    if (header === null) {
      throw new StsError(
        403,
        "MissingAuthenticationToken",
        STS_MESSAGES.missingAuth,
      );
    }
    let auth;
    try {
      auth = parseAuthorization(header);
    } catch (e) {
      if (e instanceof SigV4ParseError) {
        throw new StsError(400, "IncompleteSignature", e.message);
      }
      throw e;
    }
    const creds = byKeyId.get(auth.accessKeyId);
    if (!creds) {
      throw new StsError(
        403,
        "InvalidClientTokenId",
        STS_MESSAGES.invalidToken,
      );
    }
    call.roleArn = creds.roleArn;
    if (req.headers.get("x-amz-security-token") !== creds.sessionToken) {
      throw new StsError(
        403,
        "InvalidClientTokenId",
        STS_MESSAGES.invalidToken,
      );
    }
    const at = now();
    if (at.getTime() >= creds.expiration.getTime()) {
      throw new StsError(400, "ExpiredToken", STS_MESSAGES.expiredToken);
    }
    const amzDate = req.headers.get("x-amz-date");
    const signedAt = amzDate === null
      ? new Date(req.headers.get("date") ?? "")
      : parseAmzDate(amzDate);
    if (!signedAt || Number.isNaN(signedAt.getTime())) {
      throw new StsError(
        400,
        "IncompleteSignature",
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      );
    }
    const skew = 15 * 60_000;
    if (Math.abs(at.getTime() - signedAt.getTime()) > skew) {
      const earlier = signedAt < at;
      const bound = formatAmzDate(
        new Date(at.getTime() + (earlier ? -skew : skew)),
      );
      throw new StsError(
        403,
        "SignatureDoesNotMatch",
        `Signature ${earlier ? "expired" : "not yet current"}: ${
          formatAmzDate(signedAt)
        } is now ${earlier ? "earlier" : "later"} than ${bound} (${
          formatAmzDate(at)
        } ${earlier ? "-" : "+"} 15 min.)`,
      );
    }
    const check = await verifySignature(
      {
        method: req.method,
        rawPath: url.pathname,
        rawQuery: url.search.slice(1),
        headers: req.headers,
        body,
        hostFallback: url.host,
      },
      auth,
      creds.secretAccessKey,
    );
    if (!check.ok) {
      throw new StsError(
        403,
        "SignatureDoesNotMatch",
        `${STS_MESSAGES.signatureMismatch}\n\nThe Canonical String for this request should have been\n'${check.canonicalRequest}'\n\nThe String-to-Sign should have been\n'${check.stringToSign}'\n`,
      );
    }
    const account = creds.assumedRoleArn.split(":")[4];
    return `<GetCallerIdentityResponse xmlns="${STS_NAMESPACE}">
  <GetCallerIdentityResult>
    <Arn>${xmlEscape(creds.assumedRoleArn)}</Arn>
    <UserId>${xmlEscape(creds.assumedRoleId)}</UserId>
    <Account>${account}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>`;
  }

  async function handle(req: Request): Promise<Response> {
    const requestId = crypto.randomUUID();
    const url = new URL(req.url);
    const body = new Uint8Array(await req.arrayBuffer());
    if (options.delayMs) {
      await abortableSleep(
        options.delayMs,
        AbortSignal.any([req.signal, closing.signal]),
      );
    }
    const params = new URLSearchParams(url.search);
    const contentType = req.headers.get("content-type") ?? "";
    if (contentType.includes("application/x-www-form-urlencoded")) {
      for (
        const [name, value] of new URLSearchParams(
          new TextDecoder().decode(body),
        )
      ) {
        params.append(name, value);
      }
    }
    const action = params.get("Action") ?? "";
    const call: StsCall = { action, ok: false };
    emulator.calls.push(call);
    try {
      const version = params.get("Version") ?? "NO_VERSION_SPECIFIED";
      let result: string;
      if (
        version === STS_VERSION && action === "AssumeRoleWithSAML"
      ) {
        call.roleArn = params.get("RoleArn") ?? undefined;
        call.principalArn = params.get("PrincipalArn") ?? undefined;
        const duration = Number(params.get("DurationSeconds") ?? NaN);
        if (Number.isInteger(duration)) call.durationSeconds = duration;
        result = await assumeRoleWithSaml(params, call, requestId);
      } else if (version === STS_VERSION && action === "GetCallerIdentity") {
        result = await getCallerIdentity(req, url, body, call, requestId);
      } else {
        throw new StsError(
          400,
          "InvalidAction",
          `Could not find operation ${action} for version ${version}`,
        );
      }
      call.ok = true;
      return xmlResponse(200, result, requestId);
    } catch (e) {
      if (!(e instanceof StsError)) throw e;
      call.errorCode = e.code;
      return errorResponse(e, requestId);
    }
  }

  const server = serveTls(handle, {
    port: options.port,
    latencyMs: options.latencyMs,
  });
  const emulator: StsEmulator = {
    ...server,
    issued: [],
    calls: [],
    failNext: undefined,
    close: () => {
      closing.abort();
      return server.close();
    },
  };
  return emulator;
}
