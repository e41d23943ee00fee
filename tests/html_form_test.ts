import assert from "node:assert/strict";
import {
  describeForms,
  findSamlResponse,
  formAction,
  formFields,
  parseHtml,
} from "../lib/http/html_form.ts";

Deno.test("parseHtml() decodes hex entities in attribute values (Okta)", async () => {
  const page = await parseHtml(
    `<form id="appForm" action="https&#x3a;&#x2f;&#x2f;signin.aws.amazon.com&#x2f;saml"><input name="SAMLResponse" type="hidden" value="PD94&#x2b;bWw&#x3d;"/></form>`,
  );
  assert.equal(page.forms[0].action, "https://signin.aws.amazon.com/saml");
  assert.equal(findSamlResponse(page), "PD94+bWw=");
});

Deno.test("parseHtml() ignores forms inside scripts and reads selects", async () => {
  const page = await parseHtml(`<script>var x = "<form id='fake'>";</script>
    <form id=f action="/post?a=1&amp;b=2"><select name=Region><option value=x>X</option><option value=y selected>Y</option></select>
    <input name=Kmsi type=checkbox value=true><input name=Remember type=checkbox checked value=1>
    <input type=submit name=Go value=Sign><input type=submit name=Other value=No><input name=nameless></form>`);
  assert.equal(page.forms.length, 1);
  const fields = formFields(page.forms[0]);
  assert.deepEqual([...fields], [["Region", "y"], ["Remember", "1"], [
    "Go",
    "Sign",
  ], ["nameless", ""]]);
  assert.equal(
    formAction(page.forms[0], new URL("https://idp.example/adfs/ls/?x=1")).href,
    "https://idp.example/post?a=1&b=2",
  );
});

Deno.test("formAction() resolves relative and empty actions against the served page", async () => {
  const page = await parseHtml(
    `<form id=a action="?client-request-id=9"></form><form id=b></form>`,
  );
  const served = new URL(
    "https://idp.example/adfs/ls/?SAMLRequest=r&client-request-id=9",
  );
  assert.equal(
    formAction(page.forms[0], served).href,
    "https://idp.example/adfs/ls/?client-request-id=9",
  );
  assert.equal(formAction(page.forms[1], served).href, served.href);
});

Deno.test("describeForms() names forms and inputs, never values", async () => {
  const page = await parseHtml(
    `<form id=login><input name=UserName value=secret-user><input name=Token value=s3cret></form>`,
  );
  const text = describeForms(page);
  assert.equal(text, "form #login with inputs UserName, Token");
  assert.ok(!text.includes("s3cret"));
  assert.equal(describeForms(await parseHtml("<p>hi</p>")), "no forms");
});
