/**
 * Reads what the SAML Response grants: AWS roles, the session duration and
 * the session name. Decoded as UTF-8, parsed namespace-aware (Okta writes
 * `saml2:` prefixes, ADFS a default namespace), and a DOCTYPE is refused.
 *
 * @module
 */
import { loadXmlParser } from "../deps.ts";
import { SamlError } from "../errors.ts";

/** A role the assertion grants, and the SAML provider it trusts. */
export interface RolePair {
  /** The IAM role to assume. */
  roleArn: string;
  /** The SAML provider the role trusts. */
  principalArn: string;
}

/** What the assertion says that matters to AWS. */
export interface SamlInfo {
  /** The granted roles, in the order of the assertion, without duplicates. */
  roles: RolePair[];
  /** The SessionDuration attribute in seconds, when present and valid. */
  sessionDuration?: number;
  /** The RoleSessionName attribute, when present. */
  sessionName?: string;
}

const ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
const ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/";

/** The longest SAMLResponse STS accepts (characters of base64). */
export const MAX_SAML_RESPONSE_CHARS = 100_000;

/** Decodes the base64 SAMLResponse form value to XML text (UTF-8). */
export function decodeSamlResponse(samlResponse: string): string {
  const compact = samlResponse.replace(/\s+/g, "");
  if (compact.length > MAX_SAML_RESPONSE_CHARS) {
    throw new SamlError(
      `Refusing the SAML response: it has ${compact.length} characters, more than the ${MAX_SAML_RESPONSE_CHARS} STS accepts`,
    );
  }
  let binary: string;
  try {
    binary = atob(compact);
  } catch {
    throw new SamlError(
      "Cannot decode the SAML response: it is not valid base64",
    );
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SamlError("Cannot decode the SAML response: it is not UTF-8");
  }
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:saml-provider\/[\w.-]+$/;

/**
 * Splits one Role attribute value into a pair, whichever order it is in.
 * The value must be exactly two ARNs separated by a comma, whitespace around
 * the whole value (and spaces beside the comma) aside; anything else (an
 * embedded newline, a third part, junk in an ARN) is not a role.
 */
export function parseRoleValue(value: string): RolePair | undefined {
  // Spaces or tabs beside the comma are tolerated; a newline never is.
  const parts = value.trim().split(",").map((p) =>
    p.replace(/^[ \t]+|[ \t]+$/g, "")
  );
  if (parts.length !== 2) return undefined;
  const role = parts.find((p) => ROLE_ARN.test(p));
  const principal = parts.find((p) => PROVIDER_ARN.test(p));
  if (!principal || !role) return undefined;
  return { roleArn: role, principalArn: principal };
}

/**
 * Parses a base64 SAMLResponse.
 *
 * @throws {SamlError} if it cannot be decoded or parsed, carries a DOCTYPE,
 * is encrypted, or grants no AWS role.
 */
export async function parseSamlResponse(
  samlResponse: string,
): Promise<SamlInfo> {
  const xml = decodeSamlResponse(samlResponse);
  if (/<!DOCTYPE/i.test(xml)) {
    throw new SamlError(
      "Refusing the SAML response: it carries a DOCTYPE, which a SAML response never needs",
    );
  }
  const { DOMParser } = await loadXmlParser();
  const errors: string[] = [];
  const parser = new DOMParser({
    onError: (level: string, message: string) => {
      if (level !== "warning") errors.push(message);
    },
  });
  let document;
  try {
    document = parser.parseFromString(xml, "text/xml");
  } catch (error) {
    errors.push(error instanceof Error ? error.message : String(error));
  }
  if (!document || errors.length) {
    throw new SamlError(
      `Cannot parse the SAML response as XML: ${errors[0] ?? "no document"}`,
    );
  }
  const attributes = [
    ...document.getElementsByTagNameNS(ASSERTION_NS, "Attribute"),
  ];
  const values = (name: string): string[] => {
    const out: string[] = [];
    for (const attribute of attributes) {
      if (attribute.getAttribute("Name") !== ATTRIBUTES + name) continue;
      for (
        const value of attribute.getElementsByTagNameNS(
          ASSERTION_NS,
          "AttributeValue",
        )
      ) out.push((value.textContent ?? "").trim());
    }
    return out;
  };
  if (
    attributes.length === 0 &&
    document.getElementsByTagNameNS(ASSERTION_NS, "EncryptedAssertion").length
  ) {
    throw new SamlError(
      "Cannot read roles from the SAML response: the assertion is encrypted",
    );
  }
  if (attributes.length === 0) {
    throw new SamlError(
      "Cannot read roles from the SAML response: it has no Attribute in the SAML assertion namespace",
    );
  }
  const roles: RolePair[] = [];
  for (const value of values("Role")) {
    const pair = parseRoleValue(value);
    if (
      pair &&
      !roles.some((r) =>
        r.roleArn === pair.roleArn && r.principalArn === pair.principalArn
      )
    ) roles.push(pair);
  }
  if (roles.length === 0) {
    throw new SamlError(
      "The SAML response grants no AWS role (no https://aws.amazon.com/SAML/Attributes/Role value)",
    );
  }
  const info: SamlInfo = { roles };
  const duration = Number(values("SessionDuration")[0]);
  if (Number.isInteger(duration) && duration >= 900 && duration <= 43200) {
    info.sessionDuration = duration;
  }
  const sessionName = values("RoleSessionName")[0];
  if (sessionName) info.sessionName = sessionName;
  return info;
}
