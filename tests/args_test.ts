import assert from "node:assert/strict";
import { parseCommandLine } from "../lib/args.ts";
import { UsageError } from "../lib/errors.ts";

const base = ["-e", "https://idp.example/app", "-u", "alice", "-p", "okta"];

Deno.test("parseCommandLine() reads the original options and defaults", () => {
  const c = parseCommandLine([
    ...base,
    "-a",
    "arn:aws:iam::123456789012:role/dev",
  ]);
  assert.equal(c.kind, "run");
  if (c.kind !== "run") return;
  assert.equal(c.options.endpoint.href, "https://idp.example/app");
  assert.equal(c.options.username, "alice");
  assert.equal(c.options.provider, "okta");
  assert.equal(c.options.roleArn, "arn:aws:iam::123456789012:role/dev");
  assert.equal(c.options.cache, true);
  assert.equal(c.options.verbose, false);
  assert.equal(c.options.timeoutMs, 30_000);
  assert.equal(c.options.mfaTimeoutMs, 60_000);
  assert.equal(c.options.lockTimeoutMs, 120_000);
  assert.equal(c.options.sessionReuse, true);
  assert.equal(c.options.duration, undefined);
});

Deno.test("parseCommandLine() reads the new options", () => {
  const c = parseCommandLine([
    ...base,
    "--no-cache",
    "-v",
    "--duration",
    "7200",
    "--region",
    "eu-west-1",
    "--timeout",
    "5",
    "--list-roles",
    "--mfa",
    "push",
    "--mfa-timeout",
    "30",
    "--lock-timeout",
    "10",
    "--no-session-reuse",
  ]);
  assert.equal(c.kind, "run");
  if (c.kind !== "run") return;
  const o = c.options;
  assert.deepEqual(
    [o.cache, o.verbose, o.duration, o.region, o.timeoutMs, o.listRoles, o.mfa],
    [false, true, 7200, "eu-west-1", 5000, true, "push"],
  );
  assert.deepEqual([o.mfaTimeoutMs, o.lockTimeoutMs, o.sessionReuse], [
    30_000,
    10_000,
    false,
  ]);
});

Deno.test("parseCommandLine() handles help and version before validation", () => {
  assert.deepEqual(parseCommandLine(["-h"]), { kind: "help" });
  assert.deepEqual(parseCommandLine(["--version"]), { kind: "version" });
});

Deno.test("parseCommandLine() rejects bad values with UsageError", () => {
  const bad = [
    [...base, "--duration", "899"],
    [...base, "--duration", "43201"],
    [...base, "--duration", "1e3"],
    [...base, "--region", "EU"],
    [...base, "--timeout", "-1"],
    [...base, "extra"],
    ["-e", "ftp://idp.example/", "-u", "a", "-p", "adfs"],
    ["-e", "not a url", "-u", "a", "-p", "adfs"],
  ];
  for (const argv of bad) {
    assert.throws(() => parseCommandLine(argv), UsageError, argv.join(" "));
  }
});
