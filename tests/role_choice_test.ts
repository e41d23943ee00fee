/**
 * Unit tests of the role choice (lib/aws/role_choice.ts): -a matches exactly,
 * the only role is taken, otherwise a menu, and without a terminal an error
 * listing the roles.
 */
import assert from "node:assert/strict";
import { chooseRole } from "../lib/aws/role_choice.ts";
import type { RolePair } from "../lib/aws/saml.ts";
import { InterruptedError, RoleError } from "../lib/errors.ts";
import type { Prompter } from "../lib/prompt/prompter.ts";
import { scriptedPrompter } from "./support/scripted_prompter.ts";

const PRINCIPAL = "arn:aws:iam::123456789012:saml-provider/Okta";
const DEV = "arn:aws:iam::123456789012:role/dev";
const DEV_ADMIN = "arn:aws:iam::123456789012:role/dev-admin";
const PROD = "arn:aws:iam::210987654321:role/prod";

const pair = (roleArn: string): RolePair => ({
  roleArn,
  principalArn: PRINCIPAL,
});

/** dev-admin first, so a prefix match of "role/dev" would find it first. */
const ROLES = [pair(DEV_ADMIN), pair(DEV), pair(PROD)];

/** Asserts a RoleError whose message lists every granted role. */
function isRoleErrorListing(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof RoleError, String(e));
    assert.match(e.message, pattern);
    for (const r of ROLES) {
      assert.ok(e.message.includes(`\n  ${r.roleArn}`), e.message);
    }
    return true;
  };
}

Deno.test("chooseRole() with -a picks exactly that role, not one it is a prefix of", async () => {
  const prompter = scriptedPrompter([]);
  assert.deepEqual(await chooseRole(ROLES, DEV, prompter), pair(DEV));
  assert.deepEqual(
    await chooseRole(ROLES, DEV_ADMIN, prompter),
    pair(DEV_ADMIN),
  );
  // The other order too: "role/dev-admin" must not pick dev, listed first.
  const devFirst = [pair(DEV), pair(DEV_ADMIN)];
  assert.deepEqual(
    await chooseRole(devFirst, DEV_ADMIN, prompter),
    pair(DEV_ADMIN),
  );
  assert.deepEqual(await chooseRole(devFirst, DEV, prompter), pair(DEV));
  assert.deepEqual(prompter.transcript, []);
});

Deno.test("chooseRole() with -a naming a prefix of a granted role fails listing the roles", async () => {
  const prompter = scriptedPrompter([]);
  await assert.rejects(
    chooseRole(ROLES, "arn:aws:iam::123456789012:role/de", prompter),
    isRoleErrorListing(
      /Cannot assume role arn:aws:iam::123456789012:role\/de:/,
    ),
  );
  assert.deepEqual(prompter.transcript, []);
});

Deno.test("chooseRole() with -a is exact: no trailing text, case or whitespace slack", async () => {
  const prompter = scriptedPrompter([]);
  for (
    const wanted of [
      `${DEV}x`,
      `${DEV}/`,
      DEV.toUpperCase(),
      ` ${DEV}`,
      "role/dev",
      "dev",
    ]
  ) {
    await assert.rejects(
      chooseRole(ROLES, wanted, prompter),
      isRoleErrorListing(/the IdP does not grant it/),
      wanted,
    );
  }
  // -a is checked even when only one role is granted.
  await assert.rejects(
    chooseRole([pair(DEV)], DEV_ADMIN, prompter),
    RoleError,
  );
});

Deno.test("chooseRole() takes the only granted role without asking", async () => {
  const prompter = scriptedPrompter([]);
  assert.deepEqual(
    await chooseRole([pair(PROD)], undefined, prompter),
    pair(PROD),
  );
  // Not even a terminal is needed.
  assert.deepEqual(
    await chooseRole([pair(PROD)], undefined, scriptedPrompter(null)),
    pair(PROD),
  );
  assert.deepEqual(prompter.transcript, []);
});

Deno.test("chooseRole() offers a numbered menu and returns the chosen role", async () => {
  const prompter = scriptedPrompter(["2"]);
  assert.deepEqual(await chooseRole(ROLES, undefined, prompter), pair(DEV));
  assert.deepEqual(prompter.transcript, [
    "Several roles are granted:",
    `  1) ${DEV_ADMIN}`,
    `  2) ${DEV}`,
    `  3) ${PROD}`,
    "Choose 1-3: ",
    "> 2",
  ]);
});

Deno.test("chooseRole() accepts a valid answer after invalid ones", async () => {
  const prompter = scriptedPrompter(["0", " 3 "]);
  assert.deepEqual(await chooseRole(ROLES, undefined, prompter), pair(PROD));
});

Deno.test("chooseRole() after three invalid answers fails with a RoleError, not a crash", async () => {
  const prompter = scriptedPrompter(["0", "dev", "4"]);
  await assert.rejects(
    chooseRole(ROLES, undefined, prompter),
    isRoleErrorListing(/no valid answer after 3 tries.*Pass -a/s),
  );
  // Asked three times, no fourth.
  assert.equal(
    prompter.transcript.filter((l) => l === "Choose 1-3: ").length,
    3,
  );
});

Deno.test("chooseRole() without a terminal fails listing the roles and saying to pass -a", async () => {
  await assert.rejects(
    chooseRole(ROLES, undefined, scriptedPrompter(null)),
    isRoleErrorListing(
      /without a terminal: pass -a with one of the granted roles/,
    ),
  );
});

Deno.test("chooseRole() lets other prompt errors through (Ctrl-C stays Ctrl-C)", async () => {
  const prompter: Prompter = {
    ...scriptedPrompter([]),
    choose: () => Promise.reject(new InterruptedError("Interrupted")),
  };
  await assert.rejects(
    chooseRole(ROLES, undefined, prompter),
    InterruptedError,
  );
});
