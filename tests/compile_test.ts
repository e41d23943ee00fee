/**
 * compile.sh builds a binary that embeds everything main.ts loads, lazy npm
 * imports included, and writes SHA256SUMS.
 *
 * `deno compile` cannot download its `denort` runtime here, so the test sets
 * DENORT_BIN to this very `deno`: compile then completes and prints the
 * embedded files, but the binary it writes does not run the program. That
 * only works for a Linux target on a Linux host (ELF into ELF); elsewhere the
 * test is ignored.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);
const rootPath = fileURLToPath(root);
const TARGET = "x86_64-unknown-linux-gnu";
const BINARY = `awsprocesscreds-saml-${TARGET}`;
/** What lib/deps.ts loads lazily; each must be in the binary. */
const REQUIRED_NPM = [
  "@aws-sdk/client-sts",
  "@smithy/fetch-http-handler",
  "linkedom",
  "@xmldom/xmldom",
];

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

const why = Deno.build.os !== "linux"
  ? "needs Linux (DENORT_BIN trick: ELF base binary)"
  : !(await succeeds("bash", [
      "-c",
      "command -v sha256sum >/dev/null || command -v shasum >/dev/null",
    ]))
  ? "needs bash and sha256sum or shasum"
  : undefined;

/** `name@version` of every npm specifier in `text`. */
function npmSpecifiers(text: string): Array<{ name: string; version: string }> {
  const found = new Map<string, { name: string; version: string }>();
  const re = /npm:\/?((?:@[\w.-]+\/)?[\w.-]+)@(\d[\w.+-]*)/g;
  for (const m of text.matchAll(re)) {
    found.set(`${m[1]}@${m[2]}`, { name: m[1], version: m[2] });
  }
  return [...found.values()];
}

/**
 * Local modules and npm packages in main.ts's module graph (deno info), as
 * far as they are loaded at run time: a module reached only through
 * `import type` is erased and not embedded.
 */
async function moduleGraph(): Promise<{ local: string[]; npm: string[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--frozen", "main.ts"],
    cwd: rootPath,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: Array<{
      specifier: string;
      dependencies?: Array<{ code?: { specifier: string } }>;
    }>;
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const reached = new Set<string>();
  const queue = [new URL("main.ts", root).href];
  while (queue.length) {
    const specifier = queue.pop()!;
    if (reached.has(specifier)) continue;
    reached.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.code) queue.push(dep.code.specifier);
    }
  }
  const local: string[] = [];
  const npm: string[] = [];
  for (const { specifier } of info.modules) {
    if (specifier.startsWith(root.href) && reached.has(specifier)) {
      local.push(specifier.slice(root.href.length));
    } else if (specifier.startsWith("npm:")) {
      npm.push(specifier);
    }
  }
  return { local, npm };
}

async function sha256Hex(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await Deno.readFile(path),
  );
  return [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test({
  name: `compile.sh ${TARGET} embeds main.ts, lib/ and every lazy npm import`,
  ignore: why !== undefined,
  async fn() {
    const dist = await Deno.makeTempDir({ prefix: "apc-dist-" });
    try {
      const env = Deno.env.toObject();
      // A tag build elsewhere must not turn this into a tag check.
      delete env.GITHUB_REF_NAME;
      delete env.GITHUB_REF_TYPE;
      const child = new Deno.Command("bash", {
        args: [fileURLToPath(new URL("compile.sh", root)), TARGET],
        cwd: rootPath,
        env: {
          ...env,
          DENO: Deno.execPath(),
          DENORT_BIN: Deno.execPath(),
          DIST_DIR: dist,
          NO_COLOR: "1",
        },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      const out = await child.output();
      clearTimeout(timer);
      const log = new TextDecoder().decode(out.stdout) +
        new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, `compile.sh failed:\n${log}`);

      // The embedded-files tree deno compile printed.
      const start = log.indexOf("Embedded Files");
      assert.ok(start >= 0, `no "Embedded Files" in the output:\n${log}`);
      const end = log.indexOf("Files:", start + "Embedded Files".length);
      const tree = log.slice(start, end < 0 ? undefined : end);

      assert.match(tree, /[─ ]main\.ts \(/, `main.ts missing:\n${tree}`);
      assert.match(tree, /[─┬ ]lib(\/| \()/, `lib/ missing:\n${tree}`);
      assert.doesNotMatch(tree, /[─ ]tests\//, `tests/ embedded:\n${tree}`);

      const binary = `${dist}/${BINARY}`;
      const bytes = await Deno.readFile(binary);
      const baseSize = (await Deno.stat(Deno.execPath())).size;
      // The appended payload; a little of the base too, for safety.
      const payload = new TextDecoder("latin1").decode(
        bytes.subarray(Math.max(0, baseSize - 65536)),
      );

      const graph = await moduleGraph();
      const depsTs = await Deno.readTextFile(new URL("lib/deps.ts", root));
      const npm = npmSpecifiers(`${graph.npm.join("\n")}\n${depsTs}`);
      for (const name of REQUIRED_NPM) {
        assert.ok(
          npm.some((p) => p.name === name),
          `lib/deps.ts no longer names ${name}; update REQUIRED_NPM`,
        );
      }
      for (const { name, version } of npm) {
        const [scopeOrName, rest] = name.startsWith("@")
          ? name.split("/")
          : [name, undefined];
        const leaf = rest ?? scopeOrName;
        assert.ok(
          tree.includes(scopeOrName) &&
            new RegExp(`[─ /]${leaf.replaceAll(".", "\\.")}/`).test(tree),
          `npm package ${name} is not in the embedded files:\n${tree}`,
        );
        // The npm snapshot in the payload names the exact version.
        assert.ok(
          payload.includes(`${name}@${version}`),
          `${name}@${version} is not in the binary's npm snapshot`,
        );
      }
      for (const file of graph.local) {
        const base = file.slice(file.lastIndexOf("/") + 1);
        assert.ok(
          payload.includes(`"${base}"`),
          `${file} (in main.ts's module graph) is not in the binary`,
        );
      }
      assert.ok(graph.local.includes("main.ts"));
      assert.ok(graph.local.some((f) => f.startsWith("lib/")));
      // Modules loaded on demand through lib/lazy.ts are out of the graph's
      // sight: compile.sh --includes lib/, so each must be in the payload.
      for (
        const lazy of [
          "login.ts",
          "okta.ts",
          "idx.ts",
          "adfs.ts",
          "form.ts",
          "configure.ts",
          "dialog_prompter.ts",
          "zenity.ts",
          "keychain.ts",
          "secret_tool.ts",
          "aws_config.ts",
        ]
      ) {
        assert.ok(payload.includes(`"${lazy}"`), `${lazy} is not embedded`);
        assert.ok(!graph.local.some((f) => f.endsWith(`/${lazy}`)), lazy);
      }

      // Nothing unexpected embedded (today ~13 MiB over the base binary).
      const extra = bytes.length - baseSize;
      assert.ok(
        extra < 24 * 1024 * 1024,
        `payload ${extra} bytes: more than 24 MiB over the base binary`,
      );

      const sums = (await Deno.readTextFile(`${dist}/SHA256SUMS`)).trimEnd()
        .split("\n");
      assert.equal(sums.length, 1, sums.join("\n"));
      assert.equal(sums[0], `${await sha256Hex(binary)}  ${BINARY}`);
    } finally {
      await Deno.remove(dist, { recursive: true });
    }
  },
});

Deno.test({
  name: "compile.sh refuses an unknown target and a too old Deno",
  ignore: Deno.build.os === "windows" || !(await succeeds("bash", ["-c", ":"])),
  async fn() {
    const script = fileURLToPath(new URL("compile.sh", root));
    const run = async (args: string[], env: Record<string, string> = {}) => {
      const out = await new Deno.Command("bash", {
        args: [script, ...args],
        env: {
          DENO: Deno.execPath(),
          GITHUB_REF_NAME: "",
          GITHUB_REF_TYPE: "",
          ...env,
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
    };
    const unknown = await run(["x86_64-unknown-plan9"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown target 'x86_64-unknown-plan9'/);

    const dir = await Deno.makeTempDir({ prefix: "apc-olddeno-" });
    try {
      const fake = `${dir}/deno`;
      await Deno.writeTextFile(
        fake,
        "#!/bin/sh\necho 'deno 2.8.9 (stable, release, x86_64-unknown-linux-gnu)'\n",
        { mode: 0o755 },
      );
      const old = await run([TARGET], { DENO: fake });
      assert.equal(old.code, 1);
      assert.match(old.stderr, /Deno 2\.8\.9 is too old/);

      const missing = await run([TARGET], { DENO: `${dir}/nope` });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Deno not found/);

      const tag = await run([TARGET], {
        GITHUB_REF_NAME: "v0.0.0-not-this",
        GITHUB_REF_TYPE: "tag",
      });
      assert.equal(tag.code, 1);
      assert.match(tag.stderr, /tag v0\.0\.0-not-this does not match/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
