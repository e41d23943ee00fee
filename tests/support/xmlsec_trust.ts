/**
 * A signature check for the STS emulator's `trust` option
 * (`startSts({ trust })`), for tests against a real, signing IdP: the
 * decoded SAML Response must carry a valid XML signature made with the IdP's
 * key, checked by `xmlsec1 --verify` (Debian package xmlsec1).
 *
 * Before xmlsec1 runs, the document's shape is checked the way a careful
 * service provider does, against signature wrapping: a SAML 2.0 Response
 * without DOCTYPE, exactly one Assertion, a direct child of the Response, no
 * repeated `ID`, and every signature a direct child of the Response or of the
 * Assertion whose one Reference points at its parent's ID. Every signature
 * present must verify, and the Assertion must be covered by one (its own or
 * the Response's). The document goes to xmlsec1 in a temporary file (0600),
 * never on the command line.
 *
 * @module
 */
import { loadXmlParser } from "../../lib/deps.ts";

const PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
const DSIG_NS = "http://www.w3.org/2000/09/xmldsig#";

/** XPath (for `xmlsec1 --node-xpath`) of the Response's own signature. */
const RESPONSE_SIGNATURE_XPATH =
  "/*[local-name()='Response']/*[local-name()='Signature']";
/** XPath of the Assertion's own signature. */
const ASSERTION_SIGNATURE_XPATH =
  "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']";

/** The outcome of {@link verifySamlSignature}. */
export interface SignatureCheck {
  /** Whether the document is signed by the IdP and well shaped. */
  ok: boolean;
  /** Why it failed (first problem found), or what was verified. */
  reason: string;
  /** Which signatures xmlsec1 verified. */
  verified: ("response" | "assertion")[];
}

/** Minimal DOM node shape of @xmldom/xmldom used here. */
interface XNode {
  nodeType: number;
  namespaceURI: string | null;
  localName: string | null;
  firstChild: XNode | null;
  nextSibling: XNode | null;
  getAttribute(name: string): string | null;
  getElementsByTagNameNS(
    ns: string,
    name: string,
  ): { length: number; item(i: number): XNode | null };
}

function children(parent: XNode, ns: string, name: string): XNode[] {
  const out: XNode[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && n.namespaceURI === ns && n.localName === name) {
      out.push(n);
    }
  }
  return out;
}

function allIds(root: XNode): string[] {
  const ids: string[] = [];
  const walk = (node: XNode) => {
    for (let n = node.firstChild; n; n = n.nextSibling) {
      if (n.nodeType !== 1) continue;
      for (const name of ["ID", "Id", "id"]) {
        const v = n.getAttribute(name);
        if (v !== null && v !== "") ids.push(v);
      }
      walk(n);
    }
  };
  const own = root.getAttribute("ID");
  if (own) ids.push(own);
  walk(root);
  return ids;
}

/** Checks that `signature` signs exactly its parent (one Reference to `#ID`). */
function referencesParent(signature: XNode, parent: XNode): string | undefined {
  const refs = signature.getElementsByTagNameNS(DSIG_NS, "Reference");
  if (refs.length !== 1) return `${refs.length} References in a Signature`;
  const uri = refs.item(0)!.getAttribute("URI") ?? "";
  const id = parent.getAttribute("ID") ?? "";
  if (id === "" || uri !== `#${id}`) {
    return `Reference URI "${uri}" does not name its parent (ID "${id}")`;
  }
  return undefined;
}

async function runXmlsec(
  xmlFile: string,
  certFile: string,
  xpath: string,
): Promise<{ ok: boolean; stderr: string }> {
  const out = await new Deno.Command("xmlsec1", {
    args: [
      "--verify",
      "--pubkey-cert-pem",
      certFile,
      "--enabled-reference-uris",
      "same-doc",
      "--id-attr:ID",
      `${PROTOCOL_NS}:Response`,
      "--id-attr:ID",
      `${ASSERTION_NS}:Assertion`,
      "--node-xpath",
      xpath,
      xmlFile,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  // xmlsec1 prints "OK" or "FAIL"; trust only exit 0 together with OK.
  return { ok: out.success && /^OK$/m.test(stderr), stderr };
}

/**
 * Verifies the signatures of a decoded SAML Response against the IdP's
 * certificate (PEM). Never throws for a bad document; throws only when
 * xmlsec1 cannot be started.
 */
export async function verifySamlSignature(
  xml: string,
  certificatePem: string,
): Promise<SignatureCheck> {
  const fail = (reason: string): SignatureCheck => ({
    ok: false,
    reason,
    verified: [],
  });
  if (/<!DOCTYPE/i.test(xml)) return fail("DOCTYPE present");
  const { DOMParser } = await loadXmlParser();
  let root: XNode | null;
  try {
    const doc = new DOMParser({
      onError: (level: string, msg: string) => {
        if (level !== "warning") throw new Error(msg);
      },
    }).parseFromString(xml, "text/xml");
    root = doc.documentElement as unknown as XNode | null;
  } catch (e) {
    return fail(`not well-formed: ${e instanceof Error ? e.message : e}`);
  }
  if (
    !root || root.namespaceURI !== PROTOCOL_NS || root.localName !== "Response"
  ) {
    return fail("not a SAML 2.0 Response");
  }
  const assertions = children(root, ASSERTION_NS, "Assertion");
  const anywhere = root.getElementsByTagNameNS(ASSERTION_NS, "Assertion");
  if (assertions.length !== 1 || anywhere.length !== 1) {
    return fail(
      `${anywhere.length} Assertions (${assertions.length} under Response); want exactly 1`,
    );
  }
  const assertion = assertions[0];
  if (root.getElementsByTagNameNS(ASSERTION_NS, "EncryptedAssertion").length) {
    return fail("EncryptedAssertion present");
  }
  const ids = allIds(root);
  if (new Set(ids).size !== ids.length) return fail("repeated ID attribute");
  const signatures = root.getElementsByTagNameNS(DSIG_NS, "Signature");
  const responseSigs = children(root, DSIG_NS, "Signature");
  const assertionSigs = children(assertion, DSIG_NS, "Signature");
  if (responseSigs.length > 1 || assertionSigs.length > 1) {
    return fail("more than one Signature on one element");
  }
  if (signatures.length !== responseSigs.length + assertionSigs.length) {
    return fail("a Signature outside the Response and Assertion");
  }
  if (signatures.length === 0) return fail("unsigned");
  const checks: { which: "response" | "assertion"; xpath: string }[] = [];
  if (responseSigs.length === 1) {
    const problem = referencesParent(responseSigs[0], root);
    if (problem) return fail(`Response signature: ${problem}`);
    checks.push({ which: "response", xpath: RESPONSE_SIGNATURE_XPATH });
  }
  if (assertionSigs.length === 1) {
    const problem = referencesParent(assertionSigs[0], assertion);
    if (problem) return fail(`Assertion signature: ${problem}`);
    checks.push({ which: "assertion", xpath: ASSERTION_SIGNATURE_XPATH });
  }

  const dir = await Deno.makeTempDir({ prefix: "apc-xmlsec-" });
  try {
    const xmlFile = `${dir}/response.xml`;
    const certFile = `${dir}/idp.pem`;
    await Deno.writeTextFile(xmlFile, xml, { mode: 0o600 });
    await Deno.writeTextFile(certFile, certificatePem, { mode: 0o600 });
    const verified: ("response" | "assertion")[] = [];
    for (const check of checks) {
      const result = await runXmlsec(xmlFile, certFile, check.xpath);
      if (!result.ok) {
        const detail = result.stderr.split("\n")
          .filter((l) => /error|FAIL|match/i.test(l) && !/X509Store/.test(l))
          .slice(0, 2).join(" | ");
        return { ok: false, reason: `${check.which}: ${detail}`, verified };
      }
      verified.push(check.which);
    }
    return { ok: true, reason: `verified ${verified.join(" and ")}`, verified };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * A `trust` function for `startSts`: true only when the decoded Response is
 * signed by the IdP whose certificate is `certificatePem`
 * ({@link verifySamlSignature}).
 *
 * @param onReject Called with the reason when a document is refused (for test diagnostics).
 */
export function xmlsecTrust(
  certificatePem: string,
  onReject?: (reason: string) => void,
): (xml: string) => Promise<boolean> {
  return async (xml) => {
    const check = await verifySamlSignature(xml, certificatePem);
    if (!check.ok) onReject?.(check.reason);
    return check.ok;
  };
}
