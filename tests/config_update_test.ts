import assert from "node:assert/strict";
import {
  AwsConfigError,
  parseAwsConfig,
  profileSection,
} from "../lib/config/aws_config.ts";
import {
  ConfigUpdateError,
  profileHeader,
  type ProfileUpdate,
  updateProfiles,
} from "../lib/config/config_update.ts";
import { readProfileSettings } from "../lib/config/profile_settings.ts";
import { hasExecutable } from "./support/cli.ts";

const owns = (key: string) =>
  key.startsWith("saml_") || key === "credential_process";

const REALISTIC = `# ~/.aws/config — hand-written, please keep my comments
[default]
region = us-east-1
output = json

# SSO for the platform team
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile platform]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
region = eu-west-1

;  the old SAML profile, updated by configure
[profile dev]
region = eu-central-1
saml_provider = okta
saml_endpoint=https://old.okta.com/home/amazon_aws/0oa1/272
# who I am
saml_username = alice@example.com
saml_mfa = totp
saml_colour = blue
s3 =
  max_concurrent_requests = 20
credential_process = awsprocesscreds-saml --profile dev
cli_pager =

[services local]
s3 =
  endpoint_url = http://localhost:4566

# trailing comment`;

function dev(extra: Record<string, string> = {}): ProfileUpdate {
  return {
    name: "dev",
    values: {
      saml_provider: "okta",
      saml_endpoint: "https://new.okta.com/home/amazon_aws/0oa2/272",
      saml_username: "alice@example.com",
      saml_role_arn: "arn:aws:iam::123456789012:role/dev",
      credential_process: "'/opt/my tools/awsprocesscreds-saml' --profile dev",
      ...extra,
    },
  };
}

Deno.test("a new profile is appended after a blank line; every existing byte is kept", () => {
  const text = `${REALISTIC}\n`;
  const out = updateProfiles(text, [{
    name: "prod",
    values: {
      saml_provider: "adfs",
      saml_endpoint:
        "https://adfs.example.com/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices",
      saml_username: "EXAMPLE\\alice",
      credential_process: "awsprocesscreds-saml --profile prod",
    },
  }], owns);
  assert.equal(
    out,
    `${text}
[profile prod]
saml_provider = adfs
saml_endpoint = https://adfs.example.com/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices
saml_username = EXAMPLE\\alice
credential_process = awsprocesscreds-saml --profile prod
`,
  );
});

Deno.test("an existing profile is updated in place: owned lines replaced, added or removed; the rest kept", () => {
  const out = updateProfiles(REALISTIC, [dev()], owns);
  const expected = REALISTIC.replace(
    `saml_endpoint=https://old.okta.com/home/amazon_aws/0oa1/272
# who I am
saml_username = alice@example.com
saml_mfa = totp
saml_colour = blue
s3 =
  max_concurrent_requests = 20
credential_process = awsprocesscreds-saml --profile dev
cli_pager =
`,
    `saml_endpoint = https://new.okta.com/home/amazon_aws/0oa2/272
# who I am
saml_username = alice@example.com
s3 =
  max_concurrent_requests = 20
credential_process = '/opt/my tools/awsprocesscreds-saml' --profile dev
cli_pager =
saml_role_arn = arn:aws:iam::123456789012:role/dev
`,
  );
  assert.notEqual(expected, REALISTIC);
  assert.equal(out, expected);
  // Owned keys not asked for (saml_mfa, saml_colour) are gone; the user's
  // keys and nested block stay; the section did not move.
  const config = parseAwsConfig(out, "config");
  const section = profileSection(config, "dev")!;
  assert.deepEqual(Object.keys(section.values), [
    "region",
    "saml_provider",
    "saml_endpoint",
    "saml_username",
    "s3",
    "credential_process",
    "cli_pager",
    "saml_role_arn",
  ]);
  assert.deepEqual(
    config.sections.map((s) => s.header),
    [
      "default",
      "sso-session corp",
      "profile platform",
      "profile dev",
      "services local",
    ],
  );
  assert.equal(
    readProfileSettings(config, "dev", "config").roleArn,
    "arn:aws:iam::123456789012:role/dev",
  );
});

Deno.test("a second run with the same input gives identical bytes", () => {
  const updates = [
    dev({ saml_mfa: "push" }),
    { name: "new-one", values: { saml_provider: "okta" } },
    { name: "default", values: { saml_region: "us-east-1" } },
  ];
  const once = updateProfiles(REALISTIC, updates, owns);
  const twice = updateProfiles(once, updates, owns);
  assert.equal(twice, once);
  assert.equal(updateProfiles(once, updates, owns), once);
  // Still one section per profile.
  const headers = parseAwsConfig(twice, "config").sections.map((s) => s.header);
  assert.equal(new Set(headers).size, headers.length);
});

Deno.test("re-running with other values updates in place and never duplicates the section", () => {
  const first = updateProfiles("", [dev()], owns);
  const second = updateProfiles(first, [dev({ saml_mfa: "push" })], owns);
  const third = updateProfiles(second, [dev({ saml_role_arn: "arn:x" })], owns);
  assert.equal(
    third,
    `[profile dev]
saml_provider = okta
saml_endpoint = https://new.okta.com/home/amazon_aws/0oa2/272
saml_username = alice@example.com
saml_role_arn = arn:x
credential_process = '/opt/my tools/awsprocesscreds-saml' --profile dev
`,
  );
});

Deno.test("an unchanged line is kept byte for byte, however it was written", () => {
  const text = "[profile dev]\n  saml_region :eu-west-1\nSAML_MFA=push\n";
  const out = updateProfiles(
    text,
    [{ name: "dev", values: { saml_mfa: "push", saml_region: "eu-west-1" } }],
    owns,
  );
  assert.equal(out, text);
  // A changed one keeps its indentation.
  assert.equal(
    updateProfiles(text, [{
      name: "dev",
      values: { saml_mfa: "push", saml_region: "x" },
    }], owns),
    "[profile dev]\n  saml_region = x\nSAML_MFA=push\n",
  );
});

Deno.test("CRLF files stay CRLF, and a lone-CR file stays lone-CR", () => {
  const crlf = `${REALISTIC}\n`.replaceAll("\n", "\r\n");
  const out = updateProfiles(crlf, [dev(), {
    name: "prod",
    values: { saml_provider: "okta" },
  }], owns);
  assert.doesNotMatch(out, /[^\r]\n/);
  assert.equal(
    out,
    updateProfiles(`${REALISTIC}\n`, [dev(), {
      name: "prod",
      values: { saml_provider: "okta" },
    }], owns)
      .replaceAll("\n", "\r\n"),
  );
  const cr = "[default]\rregion = x\r";
  assert.equal(
    updateProfiles(
      cr,
      [{ name: "default", values: { saml_mfa: "push" } }],
      owns,
    ),
    "[default]\rregion = x\rsaml_mfa = push\r",
  );
});

Deno.test("a missing final newline stays missing", () => {
  // Appending a section.
  assert.equal(
    updateProfiles("[default]\nregion = x", [{
      name: "a",
      values: { saml_mfa: "push" },
    }], owns),
    "[default]\nregion = x\n\n[profile a]\nsaml_mfa = push",
  );
  // Adding a key to the last section.
  assert.equal(
    updateProfiles("[profile a]\nregion = x", [{
      name: "a",
      values: { saml_mfa: "push" },
    }], owns),
    "[profile a]\nregion = x\nsaml_mfa = push",
  );
  // Replacing the last line.
  assert.equal(
    updateProfiles("[profile a]\nsaml_mfa = totp", [{
      name: "a",
      values: { saml_mfa: "push" },
    }], owns),
    "[profile a]\nsaml_mfa = push",
  );
  // The whole file kept otherwise.
  assert.equal(
    updateProfiles(REALISTIC, [dev()], owns).endsWith("# trailing comment"),
    true,
  );
});

Deno.test("new sections: [default], quoted names, keys in the given order", () => {
  assert.equal(profileHeader("default"), "[default]");
  assert.equal(profileHeader("dev-1.x@corp"), "[profile dev-1.x@corp]");
  assert.equal(profileHeader("my profile"), "[profile 'my profile']");
  assert.equal(profileHeader("it's"), `[profile 'it'"'"'s']`);
  const out = updateProfiles("", [
    { name: "default", values: { saml_username: "u", saml_provider: "okta" } },
    { name: "my profile", values: { saml_provider: "adfs" } },
  ], owns);
  assert.equal(
    out,
    "[default]\nsaml_username = u\nsaml_provider = okta\n\n[profile 'my profile']\nsaml_provider = adfs\n",
  );
  const config = parseAwsConfig(out, "config");
  assert.equal(
    profileSection(config, "my profile")!.values.saml_provider,
    "adfs",
  );
});

Deno.test("the section botocore uses is the one updated ([profile default] after [default])", () => {
  const text = "[default]\nregion = a\n\n[profile default]\nregion = b\n";
  assert.equal(
    updateProfiles(
      text,
      [{ name: "default", values: { saml_mfa: "push" } }],
      owns,
    ),
    "[default]\nregion = a\n\n[profile default]\nregion = b\nsaml_mfa = push\n",
  );
});

Deno.test("added keys go after the section's last option, before its trailing comments, indented so nothing becomes a continuation", () => {
  assert.equal(
    updateProfiles(
      "[profile a]\n    region = x\n\n# about b\n  [profile b]\n",
      [{ name: "a", values: { saml_mfa: "push" } }],
      owns,
    ),
    "[profile a]\n    region = x\n    saml_mfa = push\n\n# about b\n  [profile b]\n",
  );
  // A header with no options, followed by an indented header.
  const text = "[profile a]\n# empty\n   [profile b]\nk = 1\n";
  const out = updateProfiles(text, [{
    name: "a",
    values: { saml_mfa: "push" },
  }], owns);
  assert.equal(
    out,
    "[profile a]\n   saml_mfa = push\n# empty\n   [profile b]\nk = 1\n",
  );
  assert.equal(parseAwsConfig(out, "c").sections.length, 2);
});

Deno.test("removing an owned multi-line value removes all its lines", () => {
  const text = "[profile a]\nsaml_x =\n  a = 1\n  b = 2\nregion = y\n";
  assert.equal(
    updateProfiles(text, [{ name: "a", values: { saml_mfa: "push" } }], owns),
    "[profile a]\nregion = y\nsaml_mfa = push\n",
  );
});

Deno.test("refuses what botocore could not read back", () => {
  const bad: ProfileUpdate[][] = [
    [{ name: "", values: {} }],
    [{ name: "a\nb", values: {} }],
    [{ name: "a", values: {} }, { name: "a", values: {} }],
    [{ name: "a", values: { "Saml_mfa": "x" } }],
    [{ name: "a", values: { "saml mfa": "x" } }],
    [{ name: "a", values: { "saml_x=y": "x" } }],
    [{ name: "a", values: { saml_mfa: "a\nb" } }],
    [{ name: "a", values: { saml_mfa: " padded" } }],
    [{ name: "a", values: { region: "x" } }],
  ];
  for (const updates of bad) {
    assert.throws(
      () => updateProfiles("", updates, owns),
      ConfigUpdateError,
      JSON.stringify(updates),
    );
  }
  assert.throws(
    () => updateProfiles("[a]\n[a]\n", [{ name: "a", values: {} }], owns),
    AwsConfigError,
  );
});

Deno.test({
  name: "Python's configparser reads the written file as intended",
  ignore: Deno.build.os === "windows" || !(await hasExecutable("python3")),
  fn: async () => {
    const out = updateProfiles(REALISTIC, [dev(), {
      name: "my profile",
      values: { saml_provider: "adfs" },
    }], owns);
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/config`, out);
      const result = await new Deno.Command("python3", {
        args: [
          "-c",
          `import configparser, json, sys
cp = configparser.RawConfigParser()
cp.read([sys.argv[1]], encoding="utf-8")
print(json.dumps({s: dict(cp.items(s)) for s in cp.sections()}))`,
          `${dir}/config`,
        ],
        stdout: "piped",
      }).output();
      const sections = JSON.parse(new TextDecoder().decode(result.stdout));
      const { values } = dev();
      for (const [key, value] of Object.entries(values)) {
        assert.equal(sections["profile dev"][key], value);
      }
      assert.equal(sections["profile dev"].saml_mfa, undefined);
      assert.equal(sections["profile dev"].region, "eu-central-1");
      assert.equal(sections["profile 'my profile'"].saml_provider, "adfs");
      assert.equal(sections["sso-session corp"].sso_region, "eu-west-1");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
