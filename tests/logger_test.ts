/**
 * Unit tests of the logger (lib/logger.ts): secrets never reach a log line,
 * debug lines only with --verbose, and URLs lose their secret query values.
 */
import assert from "node:assert/strict";
import { createLogger, redactUrl } from "../lib/logger.ts";

function recorder(verbose: boolean) {
  const lines: string[] = [];
  const logger = createLogger((line) => lines.push(line), verbose);
  return { lines, logger };
}

Deno.test("createLogger() scrubs registered secrets from debug and warn lines", () => {
  const { lines, logger } = recorder(true);
  logger.secret("hunter2!");
  logger.secret("sess-0123456789");
  logger.debug(
    "POST password=hunter2! token sess-0123456789 and hunter2! again",
  );
  logger.warn("warning about sess-0123456789");
  assert.deepEqual(lines, [
    "awsprocesscreds-saml: POST password=*** token *** and *** again\n",
    "awsprocesscreds-saml: warning about ***\n",
  ]);
});

Deno.test("createLogger() ignores secret values shorter than 4 characters", () => {
  const { lines, logger } = recorder(true);
  logger.secret("abc");
  logger.secret("");
  logger.secret(undefined);
  logger.secret("abcd");
  logger.debug("abc is common; abcd is secret");
  logger.warn("a b c");
  assert.deepEqual(lines, [
    "awsprocesscreds-saml: abc is common; *** is secret\n",
    "awsprocesscreds-saml: a b c\n",
  ]);
});

Deno.test("createLogger() writes debug lines only with verbose, warnings always", () => {
  const quiet = recorder(false);
  quiet.logger.secret("topsecret");
  quiet.logger.debug("step topsecret");
  quiet.logger.warn("careful topsecret");
  assert.deepEqual(quiet.lines, ["awsprocesscreds-saml: careful ***\n"]);
  const loud = recorder(true);
  loud.logger.debug("step");
  loud.logger.warn("careful");
  assert.deepEqual(loud.lines, [
    "awsprocesscreds-saml: step\n",
    "awsprocesscreds-saml: careful\n",
  ]);
});

Deno.test("createLogger() scrubs secrets registered after the logger was made, not before", () => {
  const { lines, logger } = recorder(true);
  logger.debug("code 987654");
  logger.secret("987654");
  logger.debug("code 987654");
  assert.deepEqual(lines, [
    "awsprocesscreds-saml: code 987654\n",
    "awsprocesscreds-saml: code ***\n",
  ]);
});

Deno.test("createLogger() masks a short code only where it stands alone", () => {
  const { lines, logger } = recorder(true);
  logger.secret("123456");
  logger.debug(
    "role arn:aws:iam::123456789012:role/x; code 123456; sent=123456&next",
  );
  assert.deepEqual(lines, [
    "awsprocesscreds-saml: role arn:aws:iam::123456789012:role/x; code ***; sent=***&next\n",
  ]);
});

Deno.test("createLogger() removes control characters from lines", () => {
  const { lines, logger } = recorder(false);
  logger.warn("Wrong code\x1b[2J\x07\r done");
  assert.deepEqual(lines, ["awsprocesscreds-saml: Wrong code[2J done\n"]);
});

Deno.test({
  name: "createLogger() scrubs a secret that contains another secret",
  fn: () => {
    const { lines, logger } = recorder(true);
    logger.secret("tok-en/1");
    logger.secret("tok-en/1+rest-of-secret");
    logger.debug("cookie tok-en/1+rest-of-secret");
    assert.deepEqual(lines, ["awsprocesscreds-saml: cookie ***\n"]);
  },
});

/**
 * The query parameters redactUrl hides. Its pattern matches names containing
 * token, code, pass, saml, sig, secret, session, context, AuthState or
 * RelayState (any case): SimpleSAMLphp's AuthState names a login in progress.
 */
const SECRET_PARAMS = [
  "SAMLResponse",
  "SAMLRequest",
  "Context",
  "stateToken",
  "sessionToken",
  "code",
  "password",
  "passwd",
  "sig",
  "Signature",
  "client_secret",
  "id_token",
  "sessionId",
  "AuthState",
  "RelayState",
];

for (const name of SECRET_PARAMS) {
  Deno.test(`redactUrl() hides the value of ${name}`, () => {
    const url =
      `https://idp.example.com/adfs/ls/?client-request-id=abc&${name}=s3cr3t%2Bvalue&loginToRp=urn:amazon:webservices`;
    const out = redactUrl(url);
    assert.ok(!out.includes("s3cr3t"), out);
    const params = new URL(out).searchParams;
    assert.equal(params.get(name), "REDACTED");
    // The harmless parameters are left alone.
    assert.equal(params.get("client-request-id"), "abc");
    assert.equal(params.get("loginToRp"), "urn:amazon:webservices");
    assert.equal(new URL(out).pathname, "/adfs/ls/");
  });
}

Deno.test("redactUrl() hides every value of a repeated parameter, and takes URL objects", () => {
  const out = redactUrl(
    new URL("https://x.example/cb?code=first&code=second&state=abc"),
  );
  assert.ok(!out.includes("first") && !out.includes("second"), out);
  assert.equal(new URL(out).searchParams.get("state"), "abc");
});

Deno.test("redactUrl() leaves a URL without secret parameters unchanged", () => {
  for (
    const url of [
      "https://example.okta.com/home/amazon_aws/0oa1b2c3/272",
      "https://example.okta.com/app/amazon_aws/exk1/sso/saml",
      "https://adfs.example.com/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices",
      "https://sts.amazonaws.com/?Action=AssumeRoleWithSAML&Version=2011-06-15",
    ]
  ) assert.equal(redactUrl(url), url);
});

Deno.test("redactUrl() returns what is not a URL unchanged", () => {
  for (
    const text of [
      "",
      "not a url",
      "/relative/path?code=123",
      "?SAMLResponse=x",
    ]
  ) {
    assert.equal(redactUrl(text), text);
  }
});
