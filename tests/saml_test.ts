import assert from "node:assert/strict";
import { SamlError } from "../lib/errors.ts";
import { parseRoleValue, parseSamlResponse } from "../lib/aws/saml.ts";
import {
  ADFS_PROVIDER,
  OKTA_PROVIDER,
  ROLE_ADMIN,
  ROLE_DEV,
} from "./emulators/fixtures.ts";
import { buildSamlResponse } from "./emulators/saml_assertion.ts";

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
});
