import assert from "node:assert/strict";
import {
  CommandQuoteError,
  CommandSplitError,
  quoteCommand,
  shlexSplit,
  splitCommand,
  windowsSplit,
} from "../lib/config/shell_quote.ts";
import { hasExecutable } from "./support/cli.ts";

const POSIX = Deno.build.os !== "windows";
const HAS_PYTHON = POSIX && await hasExecutable("python3");

/** Runs python3 with `script`, JSON on stdin and stdout. */
async function python(script: string, input: unknown): Promise<unknown> {
  const child = new Deno.Command("python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(input)));
  await writer.close();
  const out = await child.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

// What botocore does with credential_process on POSIX (botocore/compat.py
// compat_shell_split): shlex.split(s). Errors come back as their message.
const SHLEX_SPLIT = `
import json, shlex, sys
out = []
for s in json.load(sys.stdin):
    try:
        out.append(shlex.split(s))
    except ValueError as e:
        out.append(str(e))
print(json.dumps(out))
`;

const awkward: string[][] = [
  ["/opt/my tools/deno", "run", "-A", "/home/a b/main.ts", "--profile", "dev"],
  ["/usr/bin/awsprocesscreds-saml", "--profile", "it's"],
  ['C:\\Program Files\\x "q"\\', "a\\b", "\\\\server\\share\\", "\\"],
  ["$HOME", "${HOME}", "$(id)", "`id`", "a$b", "$"],
  ["", "''", '""', "'", '"', "\\'", '\\"'],
  ["#not-a-comment", "a # b", ";", "&&", "|", ">", "<", "*", "?", "~", "~/x"],
  ["A=b", "--opt=value", "user@example.com", "%s", "a,b:c+d"],
  ["if", "then", "!", "{", "}"],
  ["tab\there", " lead", "trail ", "  "],
  ["ünïcødé", "日本語", "emoji 😀", "\u00a0nbsp"],
  [
    "-e",
    "https://adfs.example.com/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices",
  ],
  ["-u", "EXAMPLE\\alice"],
];

Deno.test({
  name:
    "quoteCommand() round-trips through Python's shlex.split (botocore on POSIX)",
  ignore: !HAS_PYTHON,
  fn: async () => {
    const quoted = awkward.map((argv) => quoteCommand(argv));
    assert.deepEqual(await python(SHLEX_SPLIT, quoted), awkward);
  },
});

Deno.test({
  name: "quoteCommand() round-trips through /bin/sh -c 'printf …'",
  ignore: !POSIX,
  fn: async () => {
    for (const argv of awkward) {
      const command = quoteCommand(["printf", "%s\\0", ...argv]);
      const out = await new Deno.Command("/bin/sh", {
        args: ["-c", command],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const words = new TextDecoder().decode(out.stdout).split("\0");
      assert.equal(words.pop(), "");
      assert.deepEqual(words, argv, command);
    }
  },
});

Deno.test({
  name:
    "quoteCommand() runs a program whose path has spaces, quotes, $ and backslashes, as botocore would",
  ignore: !HAS_PYTHON,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const odd = `${dir}/my tools 'q' "dq" $HOME \\x`;
      await Deno.mkdir(odd);
      const program = `${odd}/echo args.sh`;
      await Deno.writeTextFile(program, '#!/bin/sh\nprintf "%s\\0" "$@"\n');
      await Deno.chmod(program, 0o755);
      const argv = [program, "--profile", "it's $dev", "C:\\x\\"];
      const command = quoteCommand(argv);
      // botocore's ProcessProvider: Popen(compat_shell_split(value)), no shell.
      const viaBotocore = await python(
        `
import json, shlex, subprocess, sys
argv = shlex.split(json.load(sys.stdin))
out = subprocess.run(argv, stdout=subprocess.PIPE, check=True).stdout
print(json.dumps(out.decode().split("\\0")[:-1]))
`,
        command,
      );
      assert.deepEqual(viaBotocore, argv.slice(1));
      const viaShell = await new Deno.Command("/bin/sh", {
        args: ["-c", command],
        stdout: "piped",
      }).output();
      assert.deepEqual(
        new TextDecoder().decode(viaShell.stdout).split("\0").slice(0, -1),
        argv.slice(1),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("quoteCommand() leaves plain words bare and quotes the rest", () => {
  assert.equal(
    quoteCommand(["deno", "run", "-A", "/opt/x/main.ts", "--profile", "dev"]),
    "deno run -A /opt/x/main.ts --profile dev",
  );
  assert.equal(
    quoteCommand(["/a b/deno", "it's", ""]),
    `'/a b/deno' 'it'"'"'s' ''`,
  );
  // A shell would read these as an assignment or a keyword if first.
  assert.equal(quoteCommand(["A=b", "A=b"]), "'A=b' A=b");
  assert.equal(quoteCommand(["if", "if"]), "'if' if");
});

Deno.test("quoteCommand() refuses what cannot be one INI line or an argv word", () => {
  assert.throws(() => quoteCommand([]), CommandQuoteError);
  for (const bad of ["a\nb", "a\rb", "a\x00b", "\x1b[0m", "a\x7f"]) {
    assert.throws(() => quoteCommand(["x", bad]), CommandQuoteError);
    assert.throws(
      () => quoteCommand(["x", bad], { windows: true }),
      CommandQuoteError,
    );
  }
});

// Strings for comparing our shlexSplit with Python's, errors included.
const splitCorpus = [
  "",
  "   ",
  "a b\tc\r\nd",
  "a'b c'd",
  "''",
  "'' ''",
  'a""b',
  '"a\\"b"',
  '"a\\\\b"',
  '"a\\b"',
  '"a\\$b"',
  "a\\ b",
  "\\'",
  "'a\\'",
  "a'",
  '"a',
  "a\\",
  '"a\\',
  "# not a comment",
  "x#y",
  "\u00a0a\u00a0b",
  "a\x0bb",
  "profile   'my name'  ",
  'profile "a b" c',
];

Deno.test({
  name: "shlexSplit() splits exactly as Python's shlex.split",
  ignore: !HAS_PYTHON,
  fn: async () => {
    const ours = splitCorpus.map((s) => {
      try {
        return shlexSplit(s);
      } catch (error) {
        assert.ok(error instanceof CommandSplitError);
        return error.message;
      }
    });
    assert.deepEqual(ours, await python(SHLEX_SPLIT, splitCorpus));
  },
});

// botocore/compat.py _windows_shell_split, from its documented rules: only
// space and tab separate; only " quotes; backslashes are literal unless they
// lead up to a ", where 2n give n and toggle quoting, 2n+1 give n and a ".
Deno.test("windowsSplit() follows botocore's Windows rules", () => {
  const cases: [string, string[]][] = [
    ["", []],
    ["  a \t b  ", ["a", "b"]],
    ['"a b" c', ["a b", "c"]],
    ['a"b c"d', ["ab cd"]],
    ['""', [""]],
    ['a "" b', ["a", "", "b"]],
    ['"a""b"', ["ab"]],
    ["C:\\x\\y z\\", ["C:\\x\\y", "z\\"]],
    ['a\\"b', ['a"b']],
    ['a\\\\"b c"', ["a\\b c"]],
    ['a\\\\\\"b', ['a\\"b']],
    ["'a b'", ["'a", "b'"]],
    ["a\nb", ["a\nb"]],
    ["\\\\server\\share", ["\\\\server\\share"]],
    ['"trailing\\\\"', ["trailing\\"]],
  ];
  for (const [input, expected] of cases) {
    assert.deepEqual(windowsSplit(input), expected, input);
  }
  assert.throws(() => windowsSplit('"open'), CommandSplitError);
  assert.throws(() => windowsSplit('a\\\\"b'), CommandSplitError);
});

Deno.test("quoteCommand({ windows: true }) round-trips through botocore's Windows split", () => {
  for (const argv of awkward) {
    const command = quoteCommand(argv, { windows: true });
    assert.deepEqual(splitCommand(command, { windows: true }), argv, command);
  }
  assert.equal(
    quoteCommand(
      ["C:\\Program Files\\deno.exe", "run", "C:\\a b\\", 'say "hi"', ""],
      { windows: true },
    ),
    '"C:\\Program Files\\deno.exe" run "C:\\a b\\\\" "say \\"hi\\"" ""',
  );
  assert.equal(
    quoteCommand(["C:\\tools\\x.exe", "\\\\server\\share\\"], {
      windows: true,
    }),
    "C:\\tools\\x.exe \\\\server\\share\\",
  );
});

Deno.test("splitCommand() picks the rules", () => {
  assert.deepEqual(splitCommand("a\\b 'c d'"), ["ab", "c d"]);
  assert.deepEqual(splitCommand("a\\b 'c d'", { windows: true }), [
    "a\\b",
    "'c",
    "d'",
  ]);
});
