/**
 * Builds the SAML Responses the IdP emulators hand out. They are unsigned, so
 * the STS emulator stands in for the signature check a real STS makes: it
 * accepts only a document issued here, byte for byte ({@link wasIssued}). A
 * client that alters the assertion between the IdP and STS is caught.
 * Reference: tests/emulators/README.md §6 (the assertion), §1.4 (trust).
 *
 * @module
 */

const issued = new Set<string>();

/**
 * Records `xml` as issued by an IdP, as a signature would vouch for it. The
 * builders below call it; tests that hand-craft a document for STS call it
 * themselves.
 */
export function registerIssued(xml: string): void {
  issued.add(xml);
}

/** Whether `xml` is, byte for byte, a document an emulator issued. */
export function wasIssued(xml: string): boolean {
  return issued.has(xml);
}

/** A role the user is granted: an IAM role and the SAML provider it trusts. */
export interface GrantedRole {
  role: string;
  principal: string;
}

/** What goes into an assertion. */
export interface AssertionOptions {
  nameId: string;
  roles: GrantedRole[];
  /** SessionDuration attribute in seconds; omitted when undefined. */
  sessionDuration?: number;
  /** "okta" writes `saml2:`-prefixed elements; "adfs" a default namespace. */
  style: "okta" | "adfs";
  /** Write the Role values provider-first for every other role (both orders occur). */
  mixOrder?: boolean;
  /** Prepend a DOCTYPE (for the "DOCTYPE refused" test). */
  doctype?: boolean;
  /** Clock for IssueInstant; defaults to now. */
  now?: Date;
}

const PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
const ROLE_ATTR = "https://aws.amazon.com/SAML/Attributes/Role";

function esc(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** Returns the SAML Response XML. */
export function buildSamlXml(options: AssertionOptions): string {
  const now = options.now ?? new Date();
  const issued = now.toISOString();
  const until = new Date(now.getTime() + 5 * 60_000).toISOString();
  const p = options.style === "okta" ? "saml2:" : "";
  const nsDecl = options.style === "okta"
    ? `xmlns:saml2="${ASSERTION_NS}"`
    : `xmlns="${ASSERTION_NS}"`;
  const roleValues = options.roles.map((r, i) => {
    const pair = options.mixOrder && i % 2 === 0
      ? `${r.principal},${r.role}`
      : `${r.role},${r.principal}`;
    return `<${p}AttributeValue>\n        ${
      esc(pair)
    }\n      </${p}AttributeValue>`;
  }).join("");
  const duration = options.sessionDuration === undefined
    ? ""
    : `<${p}Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><${p}AttributeValue>${options.sessionDuration}</${p}AttributeValue></${p}Attribute>`;
  const doctype = options.doctype
    ? `<!DOCTYPE samlp:Response [<!ENTITY x "x">]>`
    : "";
  return `<?xml version="1.0" encoding="UTF-8"?>${doctype}` +
    `<samlp:Response xmlns:samlp="${PROTOCOL_NS}" Destination="https://signin.aws.amazon.com/saml" ID="_r${crypto.randomUUID()}" IssueInstant="${issued}" Version="2.0">` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<${p}Assertion ${nsDecl} ID="_a${crypto.randomUUID()}" IssueInstant="${issued}" Version="2.0">` +
    `<${p}Issuer>https://idp.example.invalid/emulator</${p}Issuer>` +
    `<${p}Subject><${p}NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${
      esc(options.nameId)
    }</${p}NameID>` +
    `<${p}SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><${p}SubjectConfirmationData NotOnOrAfter="${until}" Recipient="https://signin.aws.amazon.com/saml"/></${p}SubjectConfirmation></${p}Subject>` +
    `<${p}Conditions NotBefore="${issued}" NotOnOrAfter="${until}"><${p}AudienceRestriction><${p}Audience>urn:amazon:webservices</${p}Audience></${p}AudienceRestriction></${p}Conditions>` +
    `<${p}AttributeStatement>` +
    `<${p}Attribute Name="${ROLE_ATTR}">${roleValues}</${p}Attribute>` +
    `<${p}Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><${p}AttributeValue>${
      esc(options.nameId)
    }</${p}AttributeValue></${p}Attribute>` +
    duration +
    `</${p}AttributeStatement></${p}Assertion></samlp:Response>`;
}

/** Returns the base64 SAMLResponse (UTF-8 bytes of {@link buildSamlXml}), registered as issued. */
export function buildSamlResponse(options: AssertionOptions): string {
  const xml = buildSamlXml(options);
  registerIssued(xml);
  const bytes = new TextEncoder().encode(xml);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Okta's hex escaping of attribute values (`+` → `&#x2b;`, `=` → `&#x3d;`, …). */
export function oktaEscape(value: string): string {
  return value.replace(
    /[^A-Za-z0-9 _.-]/g,
    (c) => `&#x${c.charCodeAt(0).toString(16)};`,
  );
}
