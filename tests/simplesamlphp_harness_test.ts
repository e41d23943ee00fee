/**
 * Tests of the SimpleSAMLphp harness (tests/support/simplesamlphp.ts) and of
 * the xmlsec1 trust check (tests/support/xmlsec_trust.ts): a real
 * SimpleSAMLphp 1.19 IdP driven with the shared test browser (a cookie jar and
 * redirects followed by hand), the way a form-reading client signs in.
 *
 * Ignored, with the reason in the test name, when the Debian packages are
 * missing (`apt-get install simplesamlphp php-cli php-xml php-mbstring
 * xmlsec1`).
 */
import assert from "node:assert/strict";
import { loadXmlParser } from "../lib/deps.ts";
import { ROLE_ADMIN, ROLE_DEV } from "./emulators/fixtures.ts";
import { startSts, STS_MESSAGES, type StsEmulator } from "./emulators/sts.ts";
import {
  AWS_ACS_URL,
  type SimpleSamlPhp,
  SIMPLESAMLPHP_PROVIDER,
  simpleSamlPhpSkipReason,
  startSimpleSamlPhp,
} from "./support/simplesamlphp.ts";
import { type El, HtmlBrowser, type Page } from "./support/browser.ts";
import { tlsFetch } from "./support/tls_fetch.ts";
import { verifySamlSignature, xmlsecTrust } from "./support/xmlsec_trust.ts";

const skip = await simpleSamlPhpSkipReason();
const suffix = skip === undefined ? "" : ` (ignored: ${skip})`;

/** The inputs of a form, as a browser would submit them (no buttons). */
function formFields(form: El): URLSearchParams {
  const params = new URLSearchParams();
  for (const input of form.querySelectorAll("input")) {
    const name = input.getAttribute("name");
    const type = (input.getAttribute("type") ?? "text").toLowerCase();
    if (!name || type === "submit" || type === "button") continue;
    params.append(name, input.getAttribute("value") ?? "");
  }
  return params;
}

/** Decodes base64 to UTF-8 text. */
function decodeBase64(b64: string): string {
  return new TextDecoder().decode(
    Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)),
  );
}

function encodeBase64(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) {
    binary += String.fromCharCode(b);
  }
  return btoa(binary);
}

/** Signs in through the login page; returns the SAML page and the browser. */
async function signIn(
  idp: SimpleSamlPhp,
  username: string,
  password: string,
  browser = new HtmlBrowser(),
): Promise<{ browser: HtmlBrowser; login: Page; saml: Page }> {
  const login = await browser.go(idp.ssoUrl);
  assert.equal(login.status, 200, await idp.logs());
  const form = login.doc.querySelector("form[name=f]");
  assert.ok(form, login.text);
  const fields = formFields(form);
  fields.set("username", username);
  fields.set("password", password);
  const action = new URL(form.getAttribute("action") ?? "", login.url).href;
  const saml = await browser.go(action, fields);
  return { browser, login, saml };
}

/** Reads the attributes and NameID of a Response. */
async function readAssertion(xml: string) {
  const { DOMParser } = await loadXmlParser();
  const doc = new DOMParser().parseFromString(xml, "text/xml");
  const ns = "urn:oasis:names:tc:SAML:2.0:assertion";
  const attributes = new Map<string, string[]>();
  const list = doc.getElementsByTagNameNS(ns, "Attribute");
  for (let i = 0; i < list.length; i++) {
    const a = list.item(i)!;
    const values = a.getElementsByTagNameNS(ns, "AttributeValue");
    const texts: string[] = [];
    for (let j = 0; j < values.length; j++) {
      texts.push(values.item(j)!.textContent ?? "");
    }
    attributes.set(a.getAttribute("Name") ?? "", texts);
  }
  const nameId = doc.getElementsByTagNameNS(ns, "NameID").item(0);
  return {
    attributes,
    nameId: nameId?.textContent ?? "",
    nameIdFormat: nameId?.getAttribute("Format") ?? "",
    issuer: doc.getElementsByTagNameNS(ns, "Issuer").item(0)?.textContent ??
      "",
  };
}

async function assume(
  sts: StsEmulator,
  roleArn: string,
  samlAssertion: string,
): Promise<{ status: number; text: string }> {
  const res = await tlsFetch(`${sts.url}/`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      Action: "AssumeRoleWithSAML",
      Version: "2011-06-15",
      RoleArn: roleArn,
      PrincipalArn: SIMPLESAMLPHP_PROVIDER,
      SAMLAssertion: samlAssertion,
    }).toString(),
  });
  return { status: res.status, text: await res.text() };
}

const ATTR = "https://aws.amazon.com/SAML/Attributes/";

Deno.test({
  name:
    `SimpleSAMLphp: login page, wrong password, signed assertion, STS trust, session reuse${suffix}`,
  ignore: skip !== undefined,
  async fn() {
    const idp = await startSimpleSamlPhp();
    const rejections: string[] = [];
    const sts = startSts({
      trust: xmlsecTrust(idp.certificatePem, (r) => rejections.push(r)),
    });
    try {
      const browser = new HtmlBrowser();
      // 1. The SSO URL answers 302 to the login page, setting the session cookie.
      const first = await browser.send(idp.ssoUrl);
      assert.equal(first.status, 302, await idp.logs());
      const location = new URL(first.headers.get("location")!, idp.ssoUrl);
      assert.equal(
        location.pathname,
        "/simplesaml/module.php/core/loginuserpass.php",
      );
      assert.equal(location.origin, idp.url);
      assert.ok(location.searchParams.get("AuthState"));
      assert.ok(
        first.setCookies.some((c) => /^SimpleSAML=[^;]+;.*secure/i.test(c)),
        first.setCookies.join("\n"),
      );

      // 2. The login page.
      const login = await browser.send(location.href);
      assert.equal(login.status, 200);
      const form = login.doc.querySelector("form[name=f]");
      assert.ok(form, login.text);
      assert.equal(form.getAttribute("action"), "?");
      assert.equal(form.getAttribute("method"), "post");
      assert.ok(form.querySelector("input#username[name=username][type=text]"));
      assert.ok(
        form.querySelector("input#password[name=password][type=password]"),
      );
      const authState = form.querySelector("input[type=hidden][name=AuthState]")
        ?.getAttribute("value");
      assert.equal(authState, location.searchParams.get("AuthState"));
      assert.ok(form.querySelector("button#submit_button[type=submit]"));
      assert.equal(
        form.querySelector("button#submit_button")?.getAttribute("name"),
        null,
      );
      const action = new URL("?", login.url).href;
      assert.equal(
        action,
        `${idp.url}/simplesaml/module.php/core/loginuserpass.php?`,
      );

      // 3. A wrong password: 200, the same form again with SimpleSAMLphp's error.
      const fields = formFields(form);
      fields.set("username", "alice");
      fields.set("password", "wrong");
      const wrong = await browser.send(action, fields);
      assert.equal(wrong.status, 200);
      const errorBox = [...wrong.doc.querySelectorAll("h2")]
        .find((h) => h.textContent?.trim() === "Error");
      assert.ok(errorBox, wrong.text);
      assert.match(wrong.text, /Incorrect username or password/);
      assert.match(
        wrong.text,
        /the password you gave was wrong\. Please check the username and try again\./,
      );
      assert.equal(
        wrong.doc.querySelector("input#username")?.getAttribute("value"),
        "alice",
      );
      assert.equal(
        wrong.doc.querySelector("input[name=AuthState]")?.getAttribute("value"),
        authState,
      );

      // 4. The right password: 200 with the SAML POST page at once.
      const retry = formFields(wrong.doc.querySelector("form[name=f]")!);
      retry.set("username", "alice");
      retry.set("password", idp.users[0].password);
      const saml = await browser.send(action, retry);
      assert.equal(saml.status, 200, await idp.logs());
      assert.ok(
        saml.setCookies.some((c) => c.startsWith("SimpleSAMLAuthToken=")),
        saml.setCookies.join("\n"),
      );
      const samlForm = saml.doc.querySelector("form");
      assert.ok(samlForm, saml.text);
      assert.equal(samlForm.getAttribute("action"), AWS_ACS_URL);
      assert.equal(samlForm.getAttribute("method"), "post");
      assert.equal(samlForm.querySelector("input[name=RelayState]"), null);
      assert.ok(samlForm.querySelector("noscript button[type=submit]"));
      const b64 = samlForm.querySelector("input[name=SAMLResponse]")
        ?.getAttribute("value");
      assert.ok(b64);
      const xml = decodeBase64(b64);

      // 5. Signed by the IdP, with the roles and SessionDuration.
      const check = await verifySamlSignature(xml, idp.certificatePem);
      assert.ok(check.ok, check.reason);
      assert.deepEqual(check.verified, ["response", "assertion"]);
      const read = await readAssertion(xml);
      assert.equal(read.issuer, idp.entityId);
      assert.deepEqual(read.attributes.get(`${ATTR}Role`), [
        `${ROLE_DEV},${SIMPLESAMLPHP_PROVIDER}`,
        `${ROLE_ADMIN},${SIMPLESAMLPHP_PROVIDER}`,
      ]);
      assert.deepEqual(read.attributes.get(`${ATTR}SessionDuration`), [
        "28800",
      ]);
      assert.deepEqual(read.attributes.get(`${ATTR}RoleSessionName`), [
        "alice@example.com",
      ]);
      assert.deepEqual([...read.attributes.keys()].sort(), [
        `${ATTR}Role`,
        `${ATTR}RoleSessionName`,
        `${ATTR}SessionDuration`,
      ]);
      assert.equal(
        read.nameIdFormat,
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
      );
      assert.match(read.nameId, /^[0-9a-f]{40}$/);

      // 6. STS with the xmlsec1 check accepts it, and refuses altered copies.
      const ok = await assume(sts, ROLE_ADMIN, b64);
      assert.equal(ok.status, 200, ok.text + rejections.join("\n"));
      assert.match(ok.text, /<AccessKeyId>ASIA/);
      assert.equal(sts.issued.length, 1);

      const altered = xml.replace(
        `${ATTR}SessionDuration" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"><saml:AttributeValue xsi:type="xs:string">28800`,
        `${ATTR}SessionDuration" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"><saml:AttributeValue xsi:type="xs:string">43200`,
      );
      assert.notEqual(altered, xml);
      const refused = await assume(sts, ROLE_ADMIN, encodeBase64(altered));
      assert.equal(refused.status, 400, refused.text);
      assert.match(refused.text, /<Code>InvalidIdentityToken<\/Code>/);
      assert.ok(refused.text.includes(STS_MESSAGES.signatureInvalid));
      assert.match(rejections.at(-1) ?? "", /^response: /);
      assert.equal(sts.issued.length, 1);

      // 7. A live IdP session: the SSO URL gives the SAML page straight away.
      const loginPosts = idp.requests.filter((r) => r.loginPost).length;
      const again = await browser.send(idp.ssoUrl);
      assert.equal(again.status, 200);
      assert.ok(again.doc.querySelector("form input[name=SAMLResponse]"));
      assert.equal(idp.requests.filter((r) => r.loginPost).length, loginPosts);
      assert.equal(loginPosts, 2);
    } finally {
      await sts.close();
      await idp.close();
    }
  },
});

Deno.test({
  name:
    `SimpleSAMLphp: one-role user without SessionDuration, RelayState passed through${suffix}`,
  ignore: skip !== undefined,
  async fn() {
    const idp = await startSimpleSamlPhp();
    const sts = startSts({ trust: xmlsecTrust(idp.certificatePem) });
    try {
      const { saml } = await signIn(idp, "bob", idp.users[1].password);
      assert.equal(saml.status, 200, await idp.logs());
      const b64 = saml.doc.querySelector("input[name=SAMLResponse]")
        ?.getAttribute("value");
      assert.ok(b64, saml.text);
      const read = await readAssertion(decodeBase64(b64));
      assert.deepEqual(read.attributes.get(`${ATTR}Role`), [
        `${ROLE_DEV},${SIMPLESAMLPHP_PROVIDER}`,
      ]);
      assert.equal(read.attributes.has(`${ATTR}SessionDuration`), false);
      const ok = await assume(sts, ROLE_DEV, b64);
      assert.equal(ok.status, 200, ok.text);
      // Not granted to bob: refused although the signature is good.
      const denied = await assume(sts, ROLE_ADMIN, b64);
      assert.equal(denied.status, 403, denied.text);

      // With RelayState in the SSO URL the SAML page carries it.
      const browser = new HtmlBrowser();
      const relay = "https://console.aws.amazon.com/";
      const { saml: withRelay } = await signIn(
        {
          ...idp,
          ssoUrl: `${idp.ssoUrl}&RelayState=${encodeURIComponent(relay)}`,
        },
        "bob",
        idp.users[1].password,
        browser,
      );
      assert.equal(
        withRelay.doc.querySelector("input[name=RelayState]")
          ?.getAttribute("value"),
        relay,
      );
    } finally {
      await sts.close();
      await idp.close();
    }
  },
});

Deno.test({
  name:
    `xmlsecTrust: refuses another key, unsigned and wrapped documents${suffix}`,
  ignore: skip !== undefined,
  async fn() {
    const idp = await startSimpleSamlPhp();
    try {
      const { saml } = await signIn(idp, "alice", idp.users[0].password);
      const xml = decodeBase64(
        saml.doc.querySelector("input[name=SAMLResponse]")!.getAttribute(
          "value",
        )!,
      );
      assert.ok((await verifySamlSignature(xml, idp.certificatePem)).ok);

      // Another certificate: the genuine document does not verify.
      const dir = await Deno.makeTempDir({ prefix: "apc-othercert-" });
      try {
        const out = await new Deno.Command("openssl", {
          args: [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=other",
            "-keyout",
            `${dir}/k.pem`,
            "-out",
            `${dir}/c.pem`,
          ],
          stdout: "null",
          stderr: "null",
        }).output();
        assert.ok(out.success);
        const other = await Deno.readTextFile(`${dir}/c.pem`);
        assert.equal(await xmlsecTrust(other)(xml), false);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }

      const trust = xmlsecTrust(idp.certificatePem);
      // The RoleSessionName changed inside the signed assertion.
      assert.equal(
        await trust(
          xml.replace(">alice@example.com<", ">mallory@example.com<"),
        ),
        false,
      );
      // Both signatures removed.
      const unsigned = xml.replace(
        /<ds:Signature[\s\S]*?<\/ds:Signature>/g,
        "",
      );
      assert.equal(
        (await verifySamlSignature(unsigned, idp.certificatePem)).reason,
        "unsigned",
      );
      // A second, forged assertion next to the signed one.
      const forged = xml.replace(
        "</samlp:Response>",
        '<saml:Assertion ID="_forged" Version="2.0"/></samlp:Response>',
      );
      assert.match(
        (await verifySamlSignature(forged, idp.certificatePem)).reason,
        /2 Assertions/,
      );
      // A DOCTYPE.
      assert.equal(
        await trust(`<!DOCTYPE x>${xml}`),
        false,
      );
    } finally {
      await idp.close();
    }
  },
});
