import assert from "node:assert/strict";
import {
  AwsConfigError,
  parseAwsConfig,
  profileSection,
  splitLines,
} from "../lib/config/aws_config.ts";
import {
  ProfileError,
  readProfileSettings,
} from "../lib/config/profile_settings.ts";
import { UsageError } from "../lib/errors.ts";
import { hasExecutable } from "./support/cli.ts";

// Rules cited below:
// - configparser: CPython Lib/configparser.py, RawConfigParser._read (3.11)
//   and _read_inner/_handle_* (3.13+), with RawConfigParser() defaults:
//   delimiters ('=', ':'), comment_prefixes ('#', ';'),
//   inline_comment_prefixes None, strict True, empty_lines_in_values True,
//   default_section 'DEFAULT', optionxform str.lower.
// - botocore: botocore/configloader.py raw_config_parse (reads with
//   RawConfigParser, parses nested blocks with _parse_nested) and
//   build_profile_map / _parse_section (section names to profiles).

const PATH = "/home/alice/.aws/config";

function parse(text: string) {
  return parseAwsConfig(text, PATH);
}

/** Values botocore sees for a profile: [DEFAULT] lent, own keys winning. */
function profile(text: string, name: string) {
  const config = parse(text);
  const section = profileSection(config, name);
  return section ? { ...config.defaults, ...section.values } : undefined;
}

function parseError(text: string): AwsConfigError {
  try {
    parse(text);
  } catch (error) {
    assert.ok(error instanceof AwsConfigError, String(error));
    return error;
  }
  assert.fail(`parsed without error: ${JSON.stringify(text)}`);
}

const REALISTIC = `# AWS config, managed by hand
[default]
region = us-east-1
output = json

# Work account
[profile dev]
saml_provider = okta
saml_endpoint = https://example.okta.com/home/amazon_aws/0oa1/272
saml_username = alice@example.com
saml_role_arn: arn:aws:iam::123456789012:role/dev
credential_process = awsprocesscreds-saml --profile dev
s3 =
  max_concurrent_requests = 10
  ; a comment inside the block
  multipart_threshold = 64MB
region = eu-west-1 # not a comment

[sso-session my-sso]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1

[services local]
s3 =
  endpoint_url = http://localhost:4566

[profile prod]
sso_session = my-sso
`;

Deno.test("parseAwsConfig() reads a realistic file: kinds, names, values, line ranges", () => {
  const config = parse(REALISTIC);
  assert.equal(config.path, PATH);
  assert.deepEqual(
    config.sections.map((s) => [s.kind, s.name, s.line, s.lastLine]),
    [
      ["default", "default", 2, 6],
      ["profile", "dev", 7, 18],
      ["other", "sso-session my-sso", 19, 22],
      ["other", "services local", 23, 26],
      ["profile", "prod", 27, 28],
    ],
  );
  const dev = profileSection(config, "dev")!;
  assert.deepEqual({ ...dev.values }, {
    saml_provider: "okta",
    saml_endpoint: "https://example.okta.com/home/amazon_aws/0oa1/272",
    saml_username: "alice@example.com",
    saml_role_arn: "arn:aws:iam::123456789012:role/dev",
    credential_process: "awsprocesscreds-saml --profile dev",
    s3: "\nmax_concurrent_requests = 10\nmultipart_threshold = 64MB",
    region: "eu-west-1 # not a comment",
  });
  const s3 = dev.options.find((o) => o.key === "s3")!;
  assert.deepEqual([s3.line, s3.lastLine], [13, 16]);
  assert.equal(profileSection(config, "my-sso"), undefined);
  assert.equal(profileSection(config, "local"), undefined);
  assert.equal(profileSection(config, "nope"), undefined);
});

Deno.test("configparser: '=' and ':' both delimit; the first one wins; both sides stripped", () => {
  const v = profile(
    "[profile a]\nk1=v\nk2 : v\nk3 =  v = w  \nk4: http://x:1\nk5 =\n",
    "a",
  );
  assert.deepEqual(v, {
    k1: "v",
    k2: "v",
    k3: "v = w",
    k4: "http://x:1",
    k5: "",
  });
  // "a:b = c" splits at ':' (OPTCRE's option group is lazy).
  assert.deepEqual(profile("[profile a]\na:b = c\n", "a"), { a: "b = c" });
});

Deno.test("configparser: option names are lowercased (optionxform); values keep their case", () => {
  assert.deepEqual(profile("[profile A]\nSAML_Provider = OKTA\n", "A"), {
    saml_provider: "OKTA",
  });
  // Section names and so profile names keep their case.
  assert.equal(profile("[profile A]\nx = 1\n", "a"), undefined);
});

Deno.test("configparser: # and ; start a comment only as the first non-blank character", () => {
  const v = profile(
    "# top\n; top\n[profile a]\n  # indented comment\n\t; tab\nk = v # kept\nj = v ; kept\nurl = https://x/#frag\n",
    "a",
  );
  assert.deepEqual(v, { k: "v # kept", j: "v ; kept", url: "https://x/#frag" });
});

Deno.test("configparser: indented lines continue the value; comments inside are dropped; blank lines kept inside, trailing ones dropped", () => {
  const config = parse(
    "[profile a]\nk = one\n  two\n\n  # c\n\tthree\n\n\nnext = x\n",
  );
  const section = profileSection(config, "a")!;
  assert.equal(section.values.k, "one\ntwo\n\nthree");
  assert.deepEqual(
    section.options.map((o) => [o.key, o.line, o.lastLine]),
    [["k", 2, 6], ["next", 9, 9]],
  );
  // A comment line does not end the value either.
  assert.equal(profile("[profile a]\nk = 1\n# c\n 2\n", "a")!.k, "1\n2");
  // Deeper than the option's own indentation counts, not column 0.
  assert.deepEqual(profile("[profile a]\n  k = 1\n  j = 2\n   x\n", "a"), {
    k: "1",
    j: "2\nx",
  });
  // Right after a header nothing continues: an indented option is an option.
  assert.deepEqual(profile("[profile a]\n    k = 1\n", "a"), { k: "1" });
  // An indented header inside a value is value text.
  assert.deepEqual(profile("[profile a]\nk = 1\n  [profile b]\n", "a"), {
    k: "1\n[profile b]",
  });
});

Deno.test("botocore: a nested block (\"s3 =\" then indented lines) is one value, and needs '=' on each line", () => {
  assert.equal(
    profile("[default]\ns3 =\n  max_concurrent_requests = 10\n", "default")!
      .s3,
    "\nmax_concurrent_requests = 10",
  );
  // _parse_nested: line.split('=', 1) raises ValueError -> ConfigParseError.
  const error = parseError(
    "[default]\ns3 =\n  max_concurrent_requests = 10\n  bad_syntax @ s3v4\n",
  );
  assert.equal(error.line, 4);
  assert.match(error.message, /indented block of "s3"/);
  // Only values that start with a newline are nested.
  assert.equal(
    profile("[default]\nk = v\n  no equals\n", "default")!.k,
    "v\nno equals",
  );
  // A "key =" with only blank lines after it is just empty.
  assert.equal(profile("[default]\nk =\n\n\nj = 1\n", "default")!.k, "");
});

Deno.test("configparser: header syntax — permissive match up to the last ']'", () => {
  const headers = (text: string) =>
    parse(text).sections.map((s) => [s.kind, s.name, s.header]);
  // Text after the closing ']' is ignored, even a would-be comment.
  assert.deepEqual(headers("[profile a] # comment\n"), [
    ["profile", "a", "profile a"],
  ]);
  assert.deepEqual(headers("[profile a]b]\n"), [[
    "profile",
    "a]b",
    "profile a]b",
  ]]);
  // Indented headers are headers (when not continuing a value).
  assert.deepEqual(headers("   [default]\n"), [[
    "default",
    "default",
    "default",
  ]]);
  // "[]" is not a header: it is a line without a delimiter.
  assert.equal(parseError("[default]\n[]\n").line, 2);
  assert.equal(parseError("[default]\n[x\n").line, 2);
});

Deno.test("botocore build_profile_map: which sections are profiles", () => {
  const kinds = (text: string) =>
    parse(text).sections.map((s) => [s.kind, s.name]);
  assert.deepEqual(
    kinds(
      [
        "[default]",
        "[profile a]",
        "[profile  spaced  ]",
        '[profile "my profile"]',
        "[profile 'single q']",
        "[profile a b]",
        '[profile "missing end quote]',
        "[profile]",
        "[profilex y]",
        "[ default ]",
        "[Default]",
        "[ profile z]",
        "[sso-session s]",
        "[services t]",
        "[preview]",
        "[DEFAULT]",
      ].join("\n"),
    ),
    [
      ["default", "default"],
      ["profile", "a"],
      // shlex.split strips the blanks around and between words.
      ["profile", "spaced"],
      ["profile", "my profile"],
      ["profile", "single q"],
      // Three words, an unclosed quote, one word: dropped by botocore.
      ["other", "profile a b"],
      ["other", 'profile "missing end quote'],
      ["other", "profile"],
      // The first word is not checked: startswith("profile") and 2 words.
      ["profile", "y"],
      // Only exactly "default" is the default profile; names are not stripped.
      ["other", " default "],
      ["other", "Default"],
      ["other", " profile z"],
      ["other", "sso-session s"],
      ["other", "services t"],
      ["other", "preview"],
      ["other", "DEFAULT"],
    ],
  );
});

Deno.test("botocore: when two sections name one profile, the later wins whole", () => {
  const text =
    "[profile default]\nregion = a\nsaml_mfa = push\n\n[default]\nregion = b\n";
  assert.deepEqual(profile(text, "default"), { region: "b" });
  const reversed = "[default]\nregion = b\n[profile default]\nregion = a\n";
  assert.deepEqual(profile(reversed, "default"), { region: "a" });
  // Different headers, one profile: not a duplicate for configparser.
  const spaced = "[profile x]\nk = 1\nj = 1\n[profile  x ]\nk = 2\n";
  assert.deepEqual(profile(spaced, "x"), { k: "2" });
  assert.equal(profileSection(parse(spaced), "x")!.line, 4);
});

Deno.test("configparser: [DEFAULT] may repeat and lends its options to every section", () => {
  const text =
    "[DEFAULT]\nsaml_provider = okta\n[profile a]\nsaml_username = a\n[DEFAULT]\nregion = x\n[profile b]\nsaml_provider = adfs\n";
  const config = parse(text);
  assert.deepEqual({ ...config.defaults }, {
    saml_provider: "okta",
    region: "x",
  });
  assert.deepEqual(profile(text, "a"), {
    saml_provider: "okta",
    saml_username: "a",
    region: "x",
  });
  assert.equal(profile(text, "b")!.saml_provider, "adfs");
  // Duplicate options are still refused across [DEFAULT] sections.
  assert.equal(parseError("[DEFAULT]\na = 1\n[DEFAULT]\na = 2\n").line, 4);
});

Deno.test("configparser strict mode: duplicate sections and options are errors with path and line", () => {
  const section = parseError("[profile a]\nk = 1\n\n[profile a]\n");
  assert.equal(section.line, 4);
  assert.equal(section.path, PATH);
  assert.match(
    section.message,
    /^AWS config file \/home\/alice\/\.aws\/config, line 4: section \[profile a\] appears twice \(first at line 1\)/,
  );
  // Lowercasing happens first.
  const option = parseError("[profile a]\nRegion = 1\nregion = 2\n");
  assert.equal(option.line, 3);
  assert.match(
    option.message,
    /option "region" appears twice in section \[profile a\]/,
  );
  assert.ok(option instanceof UsageError);
});

Deno.test("configparser: malformed lines are errors naming the file and line", () => {
  const missingHeader = parseError("# c\n\nregion = x\n[default]\n");
  assert.equal(missingHeader.line, 3);
  assert.match(missingHeader.message, /must be a \[section\] header/);
  const noDelimiter = parseError("[default]\nk = 1\njust words\n");
  assert.equal(noDelimiter.line, 3);
  assert.match(
    noDelimiter.message,
    /^AWS config file \/home\/alice\/\.aws\/config, line 3: expected "key = value"/,
  );
  assert.doesNotMatch(noDelimiter.message, /just words/);
  assert.equal(parseError("[default]\n= v\n").line, 2);
  // ParsingErrors wait for the end of the file; duplicates are raised at once.
  assert.equal(parseError("[a]\nbad\n[a]\n").line, 3);
});

Deno.test("Python universal newlines: \\r\\n, \\r and \\n all end lines", () => {
  for (const eol of ["\n", "\r\n", "\r"]) {
    const text = ["[profile a]", "k = 1", "  2", "j = x"].join(eol) + eol;
    assert.deepEqual(
      profile(text, "a"),
      { k: "1\n2", j: "x" },
      JSON.stringify(eol),
    );
  }
  const lines = splitLines("a\r\nb\rc\nd");
  assert.deepEqual(lines, [
    { text: "a", eol: "\r\n" },
    { text: "b", eol: "\r" },
    { text: "c", eol: "\n" },
    { text: "d", eol: "" },
  ]);
  assert.equal(lines.map((l) => l.text + l.eol).join(""), "a\r\nb\rc\nd");
});

Deno.test("Python whitespace is Unicode whitespace (str.isspace)", () => {
  // U+00A0 and U+3000 are stripped like spaces; a line of them is blank.
  assert.deepEqual(
    profile("[profile a]\n\u00a0k\u3000=\u00a0v\u00a0\n\u3000\n", "a"),
    {
      k: "v",
    },
  );
  // ...and they indent: a continuation line.
  assert.equal(profile("[profile a]\nk = v\n\u00a0w\n", "a")!.k, "v\nw");
});

Deno.test("a byte order mark is refused, as botocore fails on it", () => {
  const error = parseError("\ufeff[default]\nregion = x\n");
  assert.equal(error.line, 1);
  assert.match(error.message, /byte order mark/);
});

Deno.test("an empty file or one with only comments has no profiles", () => {
  assert.deepEqual(parse("").sections, []);
  assert.deepEqual(parse("# nothing\n\n; here\n").sections, []);
  assert.equal(parse("").lineCount, 0);
});

// --- Differential test against Python's configparser ---------------------

const HAS_PYTHON = Deno.build.os !== "windows" &&
  await hasExecutable("python3");

// Reads each file as botocore does (RawConfigParser().read, UTF-8), then maps
// sections to profiles by botocore's rules (see the comment at the top).
const PYTHON_READER = `
import configparser, json, shlex, sys
out = []
for path in json.load(sys.stdin):
    cp = configparser.RawConfigParser()
    try:
        cp.read([path], encoding="utf-8")
    except configparser.ParsingError as e:
        line = getattr(e, "lineno", None) or e.errors[0][0]
        out.append({"error": type(e).__name__, "line": line})
        continue
    except configparser.Error as e:
        out.append({"error": type(e).__name__, "line": e.lineno})
        continue
    profiles = {}
    nested_error = False
    for section in cp.sections():
        values = {}
        for option in cp.options(section):
            value = cp.get(section, option)
            if value.startswith("\\n"):
                for line in value.splitlines():
                    line = line.strip()
                    if line and "=" not in line:
                        nested_error = True
            values[option] = value
        if section.startswith("profile"):
            try:
                words = shlex.split(section)
            except ValueError:
                continue
            if len(words) == 2:
                profiles[words[1]] = values
        elif section == "default":
            profiles["default"] = values
    if nested_error:
        out.append({"error": "nested", "line": None})
    else:
        out.append({"profiles": profiles})
print(json.dumps(out))
`;

const CORPUS: string[] = [
  REALISTIC,
  REALISTIC.replaceAll("\n", "\r\n"),
  "",
  "\n\n",
  "# only\n; comments\n",
  "[default]",
  "[default]\nk=v",
  "[default]\r\nk = v\rj = w\r",
  "[default]\nk = v\n\n\n",
  "[default]\nk =\n  a = 1\n\n  b = 2\n\n",
  "[default]\nk =\n  a = 1\n  # c\n  ; d\n  b: 2\n",
  "[default]\nk =\n\n  x\n",
  "[default]\n  k = 1\n    j = 2\n  l = 3\n m = 4\n",
  "[default]\nk = 1\n  [profile x]\n  j = 2\n",
  "[default]\n  [profile x]\nj = 2\n",
  "[profile a] trailing\nk = 1\n[profile b]]\nk = 2\n",
  "[profile 'a b']\nk = 1\n[profile \"c d\"]\nk = 2\n[profile e f g]\nk = 3\n",
  '[profile "x]\nk = 1\n[profile]\nk = 2\n[profilez w]\nk = 3\n',
  "[profile default]\nk = 1\n[default]\nk = 2\n",
  "[default]\nk = 2\n[profile default]\nk = 1\n",
  "[profile a]\nk = 1\n[profile  a ]\nj = 2\n",
  "[DEFAULT]\nk = d\n[profile a]\nj = 1\n[profile b]\nk = own\n[DEFAULT]\nm = 2\n",
  "[DEFAULT]\nk = 1\n[DEFAULT]\nk = 2\n[default]\n",
  "[DEFAULT]\ns3 =\n  bad\n",
  "[DEFAULT]\ns3 =\n  bad\n[profile a]\n",
  "[DEFAULT]\ns3 =\n  bad\n[profile a]\ns3 = fine\n",
  "[profile a]\nK = 1\nk = 2\n",
  "[profile a]\nk = 1\n[profile a]\n",
  "k = 1\n[default]\n",
  "  # c\n\n[default]\n",
  "[default]\nno delimiter\n",
  "[default]\n= v\n",
  "[default]\n: v\n",
  "[default]\n= a\n= b\n",
  "[a]\nbad\n[a]\n",
  "[default]\nbad line\nk = v\n  cont\n[default]\n",
  "[default]\n[]\n",
  "[default]\nkey with spaces = v\n",
  "[default]\nk = v ; x\nj = v # y\n#k2 = z\n",
  "[default]\n\u00a0k\u00a0=\u00a0v\u00a0\n\u3000cont\n",
  "[default]\nk = a\x0bb\n",
  "[default]\ns3 =\n  a = 1\x0bno-eq\n",
  "[default]\ns3 =\n  a = 1\x1cb=2\n",
  "[default]\nk = v\n\t\tcont\n",
  "[default]\nk:v:w\nj=x=y\n",
  "\ufeff[default]\n",
  "[default]\nk = é ü 日本\n[profile ünï]\nk = 1\n",
];

Deno.test({
  name:
    "parseAwsConfig() agrees with Python's configparser and botocore's rules",
  ignore: !HAS_PYTHON,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const paths = await Promise.all(CORPUS.map(async (text, i) => {
        const path = `${dir}/config${i}`;
        await Deno.writeTextFile(path, text);
        return path;
      }));
      const child = new Deno.Command("python3", {
        args: ["-c", PYTHON_READER],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(JSON.stringify(paths)));
      await writer.close();
      const out = await child.output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const expected = JSON.parse(new TextDecoder().decode(out.stdout));
      CORPUS.forEach((text, i) => {
        const label = `case ${i}: ${JSON.stringify(text)}`;
        const want = expected[i];
        let config;
        try {
          config = parseAwsConfig(text, paths[i]);
        } catch (error) {
          assert.ok(error instanceof AwsConfigError, label);
          assert.ok("error" in want, `${label}: ours failed: ${error.message}`);
          if (want.line !== null) assert.equal(error.line, want.line, label);
          return;
        }
        assert.ok(!("error" in want), `${label}: Python failed: ${want.error}`);
        const ours: Record<string, Record<string, string>> = {};
        for (const section of config.sections) {
          if (section.kind === "other") continue;
          const found = profileSection(config, section.name)!;
          ours[section.name] = { ...config.defaults, ...found.values };
        }
        assert.deepEqual(ours, want.profiles, label);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// --- readProfileSettings ---------------------------------------------------

Deno.test("readProfileSettings() returns the raw saml_* values", () => {
  const config = parse(REALISTIC);
  assert.deepEqual(readProfileSettings(config, "dev", PATH), {
    provider: "okta",
    endpoint: "https://example.okta.com/home/amazon_aws/0oa1/272",
    username: "alice@example.com",
    roleArn: "arn:aws:iam::123456789012:role/dev",
    unknownKeys: [],
  });
  const all = parse(
    "[default]\nSAML_PROVIDER = adfs\nsaml_endpoint = https://adfs/x\nsaml_username = EXAMPLE\\alice\nsaml_role_arn = r\nsaml_mfa = push\nsaml_duration = 3600\nsaml_region = eu-west-1\n",
  );
  assert.deepEqual(readProfileSettings(all, "default", PATH), {
    provider: "adfs",
    endpoint: "https://adfs/x",
    username: "EXAMPLE\\alice",
    roleArn: "r",
    mfa: "push",
    duration: "3600",
    region: "eu-west-1",
    unknownKeys: [],
  });
});

Deno.test("readProfileSettings() names unknown saml_* keys, its own and inherited", () => {
  const config = parse(
    "[DEFAULT]\nsaml_colour = red\n[profile a]\nsaml_provider = okta\nsaml_endpoint = https://x\nsaml_username = u\nsaml_rol_arn = typo\nsaml_timeout = 5\nregion = x\n",
  );
  assert.deepEqual(readProfileSettings(config, "a", PATH).unknownKeys, [
    "saml_rol_arn",
    "saml_timeout",
    "saml_colour",
  ]);
});

Deno.test("readProfileSettings() takes settings from [DEFAULT] as botocore does", () => {
  const config = parse(
    "[DEFAULT]\nsaml_provider = okta\nsaml_endpoint = https://x\n[profile a]\nsaml_username = u\n",
  );
  const settings = readProfileSettings(config, "a", PATH);
  assert.equal(settings.provider, "okta");
  assert.equal(settings.username, "u");
});

function profileError(fn: () => unknown): ProfileError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ProfileError, String(error));
    assert.ok(error instanceof UsageError);
    assert.equal(error.exitCode, 2);
    return error;
  }
  assert.fail("no error");
}

Deno.test("readProfileSettings() errors name the key, the profile and the file", () => {
  const config = parse(
    "[profile dev]\nsaml_provider = okta\nsaml_username = alice\n\n[profile empty]\nsaml_provider = okta\nsaml_endpoint =\nsaml_username = u\n\n[profile multi]\nsaml_provider = okta\nsaml_endpoint = https://x\n  more\nsaml_username = u\n[sso-session dev2]\nsaml_provider = okta\n",
  );
  const missingKey = profileError(() =>
    readProfileSettings(config, "dev", PATH)
  );
  assert.equal(
    missingKey.message,
    `Profile "dev" in ${PATH} (line 1) has no saml_endpoint`,
  );
  assert.equal(missingKey.key, "saml_endpoint");
  assert.equal(missingKey.profile, "dev");
  assert.equal(missingKey.path, PATH);

  const empty = profileError(() => readProfileSettings(config, "empty", PATH));
  assert.equal(
    empty.message,
    `Profile "empty" in ${PATH}: saml_endpoint (line 7) is empty`,
  );
  const multi = profileError(() => readProfileSettings(config, "multi", PATH));
  assert.match(multi.message, /saml_endpoint \(line 12\) spans several lines/);

  const missing = profileError(() => readProfileSettings(config, "dev2", PATH));
  assert.equal(
    missing.message,
    `Profile "dev2" not found in ${PATH}: no [profile dev2] section`,
  );
  assert.equal(missing.key, undefined);
  const noDefault = profileError(() =>
    readProfileSettings(config, "default", PATH)
  );
  assert.match(
    noDefault.message,
    /no \[default\] or \[profile default\] section/,
  );
  const noFile = profileError(() =>
    readProfileSettings(undefined, "dev", "/nowhere/config")
  );
  assert.equal(
    noFile.message,
    'Profile "dev" not found: /nowhere/config does not exist',
  );
});

Deno.test("parseAwsConfig() + readProfileSettings() stay cheap on a large file", () => {
  let text = "";
  for (let i = 0; i < 500; i++) {
    text +=
      `# profile ${i}\n[profile p${i}]\nsaml_provider = okta\nsaml_endpoint = https://x/${i}\nsaml_username = u${i}\ns3 =\n  a = 1\n\n`;
  }
  const start = performance.now();
  const settings = readProfileSettings(parse(text), "p499", PATH);
  const elapsed = performance.now() - start;
  assert.equal(settings.endpoint, "https://x/499");
  assert.ok(elapsed < 50, `${elapsed} ms for 4000 lines`);
});
