import assert from "node:assert/strict";
import { SamlError } from "../lib/errors.ts";
import { parseRoleValue, parseSamlResponse } from "../lib/aws/saml.ts";
import {
  ADFS_PROVIDER,
  OKTA_PROVIDER,
  ROLE_ADMIN,
  ROLE_DEV,
} from "./emulators/fixtures.ts";
import { buildSamlResponse, buildSamlXml } from "./emulators/saml_assertion.ts";

const roles = [
  { role: ROLE_DEV, principal: OKTA_PROVIDER },
  { role: ROLE_ADMIN, principal: OKTA_PROVIDER },
];

Deno.test("parseSamlResponse() reads Okta-style prefixed assertions in both orders", async () => {
  const info = await parseSamlResponse(
    buildSamlResponse({
      style: "okta",
      nameId: "a@example.com",
      roles,
      mixOrder: true,
      sessionDuration: 7200,
    }),
  );
  assert.deepEqual(info.roles, [
    { roleArn: ROLE_DEV, principalArn: OKTA_PROVIDER },
    { roleArn: ROLE_ADMIN, principalArn: OKTA_PROVIDER },
  ]);
  assert.equal(info.sessionDuration, 7200);
  assert.equal(info.sessionName, "a@example.com");
});

Deno.test("parseSamlResponse() reads ADFS-style default-namespace assertions", async () => {
  const info = await parseSamlResponse(
    buildSamlResponse({
      style: "adfs",
      nameId: "EXAMPLE\\a",
      roles: [{ role: ROLE_DEV, principal: ADFS_PROVIDER }],
    }),
  );
  assert.deepEqual(info.roles, [{
    roleArn: ROLE_DEV,
    principalArn: ADFS_PROVIDER,
  }]);
  assert.equal(info.sessionDuration, undefined);
});

Deno.test("parseSamlResponse() decodes UTF-8 and tolerates wrapped base64", async () => {
  const b64 = buildSamlResponse({
    style: "okta",
    nameId: "zoë@example.com",
    roles,
  });
  const wrapped = b64.replace(/(.{76})/g, "$1\n");
  const info = await parseSamlResponse(wrapped);
  assert.equal(info.sessionName, "zoë@example.com");
});

Deno.test("parseSamlResponse() refuses DOCTYPE, garbage and role-less documents", async () => {
  await assert.rejects(
    parseSamlResponse(
      buildSamlResponse({ style: "okta", nameId: "a", roles, doctype: true }),
    ),
    (e: Error) => e instanceof SamlError && /DOCTYPE/.test(e.message),
  );
  await assert.rejects(parseSamlResponse("!!!"), SamlError);
  await assert.rejects(parseSamlResponse(btoa("<a><b></a>")), SamlError);
  await assert.rejects(
    parseSamlResponse(
      btoa(
        "<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'/>",
      ),
    ),
    (e: Error) =>
      /no Attribute in the SAML assertion namespace/.test(e.message),
  );
  // Attributes, but in no namespace: not SAML attributes at all.
  await assert.rejects(
    parseSamlResponse(
      btoa(
        `<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'><Assertion><AttributeStatement><Attribute Name='https://aws.amazon.com/SAML/Attributes/Role'><AttributeValue>${ROLE_DEV},${OKTA_PROVIDER}</AttributeValue></Attribute></AttributeStatement></Assertion></samlp:Response>`,
      ),
    ),
    (e: Error) =>
      /no Attribute in the SAML assertion namespace/.test(e.message),
  );
  await assert.rejects(
    parseSamlResponse(
      btoa(
        "<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol' xmlns:saml='urn:oasis:names:tc:SAML:2.0:assertion'><saml:Assertion><saml:AttributeStatement><saml:Attribute Name='x'><saml:AttributeValue>y</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>",
      ),
    ),
    (e: Error) => /grants no AWS role/.test(e.message),
  );
});

Deno.test("parseRoleValue() accepts either order, trims, and rejects junk", () => {
  const want = { roleArn: ROLE_DEV, principalArn: OKTA_PROVIDER };
  assert.deepEqual(parseRoleValue(` ${ROLE_DEV} , ${OKTA_PROVIDER}\n`), want);
  assert.deepEqual(parseRoleValue(`${OKTA_PROVIDER},${ROLE_DEV}`), want);
  assert.deepEqual(
    parseRoleValue(
      "arn:aws:iam::123456789012:role/path/to/x,arn:aws-us-gov:iam::123456789012:saml-provider/P",
    ),
    {
      roleArn: "arn:aws:iam::123456789012:role/path/to/x",
      principalArn: "arn:aws-us-gov:iam::123456789012:saml-provider/P",
    },
  );
  assert.equal(parseRoleValue(ROLE_DEV), undefined);
  assert.equal(parseRoleValue(`${ROLE_DEV},${ROLE_ADMIN}`), undefined);
  assert.equal(parseRoleValue(""), undefined);
  // A value that would forge a second --list-roles line is no role at all.
  assert.equal(
    parseRoleValue(
      `${ROLE_DEV},${OKTA_PROVIDER}\narn:aws:iam::123456789012:role/evil arn:aws:iam::123456789012:saml-provider/evil`,
    ),
    undefined,
  );
  assert.equal(parseRoleValue(`${ROLE_DEV}\n,${OKTA_PROVIDER}`), undefined);
  assert.equal(parseRoleValue(`${ROLE_DEV} x,${OKTA_PROVIDER}`), undefined);
  assert.equal(
    parseRoleValue(`${ROLE_DEV},${OKTA_PROVIDER},${ROLE_ADMIN}`),
    undefined,
  );
});

/** A base64 SAMLResponse whose SessionDuration value is `text`, verbatim. */
function withDurationText(text: string): string {
  const xml = buildSamlXml({
    style: "adfs",
    nameId: "a@example.com",
    roles,
    sessionDuration: 12345,
  });
  assert.ok(xml.includes(">12345<"));
  return btoa(xml.replace(">12345<", `>${text}<`));
}

Deno.test("parseSamlResponse() keeps SessionDuration 900 and 43200, ignores 899 and 43201", async () => {
  const duration = async (sessionDuration: number) =>
    (await parseSamlResponse(
      buildSamlResponse({ style: "okta", nameId: "a", roles, sessionDuration }),
    )).sessionDuration;
  assert.equal(await duration(900), 900);
  assert.equal(await duration(43200), 43200);
  assert.equal(await duration(899), undefined);
  assert.equal(await duration(43201), undefined);
  assert.equal(await duration(0), undefined);
  assert.equal(await duration(-3600), undefined);
});

Deno.test("parseSamlResponse() ignores a SessionDuration that is not an integer", async () => {
  for (
    const text of ["3600.5", "900.1", "abc", "", "3600s", "NaN", "Infinity"]
  ) {
    const info = await parseSamlResponse(withDurationText(text));
    assert.equal(info.sessionDuration, undefined, JSON.stringify(text));
    // The rest of the assertion is still read.
    assert.equal(info.roles.length, 2);
  }
  // Surrounding whitespace is not a reason to drop it.
  assert.equal(
    (await parseSamlResponse(withDurationText(" 3600\n"))).sessionDuration,
    3600,
  );
});
