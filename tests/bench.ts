// deno-lint-ignore-file no-console
/**
 * Benchmark (deno task bench): wall time and peak memory of
 *  - a bare `deno run` of an empty script (the floor),
 *  - a cache-hit invocation of main.ts, with flags and with --profile,
 *  - a full Okta login (authn, SAML page, STS) against the local emulators,
 *  - an Okta Identity Engine password login against a Classic one, and the
 *    IDX requests each authenticator's login makes,
 *  - 8 concurrent invocations on an empty cache against 1,
 *  - a 1 GiB page and a gzip bomb: peak RSS and time to the error, beside a
 *    normal login.
 * Medians of several runs; figures are printed, never asserted.
 *
 * With `--latency [MS]` (default 100) it measures instead what a login costs
 * beyond the network: every emulator waits MS before each response, and for
 * an Okta password login, an Okta push login and an ADFS login it prints the
 * median wall time, the round trips (IdP requests + STS calls, counted at the
 * emulators), the TCP connections the emulators accepted, and
 *   overhead = wall - round trips x MS - push poll waits - bare `deno run`,
 * the bare `deno run` median being measured in the same run, interleaved.
 * Then one `-v` Okta password login with each stderr line timestamped.
 *
 *     deno task bench -- --latency 100
 */
import {
  PASSWORD,
  ROLE_DEV,
  SENT_CODE,
  TOTP_CODE,
} from "./emulators/fixtures.ts";
import { startOkta } from "./emulators/okta.ts";
import type { RunningServer } from "./emulators/server.ts";
import { type BombKind, startBodyBomb } from "./emulators/hostile.ts";
import { baseEnv, mainTs } from "./support/cli.ts";
import { type Stack, startStack } from "./support/stack.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 15);
const hasTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);

interface Sample {
  ms: number;
  rssKiB?: number;
}

async function timed(
  argv: string[],
  env: Record<string, string>,
  expectFailure = false,
): Promise<Sample> {
  const wrapped = hasTime ? ["/usr/bin/time", "-f", "%M", ...argv] : argv;
  const started = performance.now();
  const out = await new Deno.Command(wrapped[0], {
    args: wrapped.slice(1),
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  const stderr = new TextDecoder().decode(out.stderr).trim().split("\n");
  if (out.success === expectFailure) {
    throw new Error(
      `${argv.join(" ")} ${out.success ? "succeeded" : "failed"}: ${
        stderr.join("\n")
      }`,
    );
  }
  return { ms, rssKiB: hasTime ? Number(stderr.at(-1)) : undefined };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function report(name: string, samples: Sample[]): number {
  const ms = median(samples.map((s) => s.ms));
  const rss = samples[0].rssKiB === undefined
    ? ""
    : `, peak RSS ${
      (median(samples.map((s) => s.rssKiB!)) / 1024).toFixed(1)
    } MiB`;
  console.log(
    `${name.padEnd(44)} median ${
      ms.toFixed(1)
    } ms over ${samples.length} runs${rss}`,
  );
  return ms;
}

/** The usage of the latency mode's flag, for errors. */
const USAGE = "usage: deno task bench [-- --latency [MS]]";

/** `--latency`, `--latency 100` or `--latency=100`; undefined without it. */
function parseLatency(args: string[]): number | undefined {
  const rest = args[0] === "--" ? args.slice(1) : args;
  if (rest.length === 0) return undefined;
  const [flag, value, ...extra] = rest;
  const eq = /^--latency=(.*)$/.exec(flag);
  const raw = eq ? eq[1] : flag === "--latency" ? value : null;
  if (raw === null || extra.length > 0 || (eq && value !== undefined)) {
    console.error(USAGE);
    Deno.exit(2);
  }
  const ms = raw === undefined ? 100 : Number(raw);
  if (!Number.isFinite(ms) || ms < 0) {
    console.error(`${USAGE}: MS must be a number of milliseconds >= 0`);
    Deno.exit(2);
  }
  return ms;
}

/**
 * An Okta Identity Engine password login against a Classic one (same
 * emulator code, both with AWSPROCESSCREDS_PASSWORD), side by side, and the
 * IDX requests each authenticator's login makes.
 */
async function identityEngine(
  deno: string[],
  env: Record<string, string>,
  stsUrl: string,
): Promise<void> {
  const oie = startOkta({ pipeline: "idx", idx: { refreshMs: 100 } });
  const classic = startOkta();
  try {
    const run = (embed: string, user: string, extra: string[] = []) =>
      timed([
        ...deno,
        mainTs,
        "-e",
        embed,
        "-u",
        user,
        "-p",
        "okta",
        "-a",
        ROLE_DEV,
        "--no-cache",
        ...extra,
      ], { ...env, AWS_ENDPOINT_URL_STS: stsUrl });
    await run(oie.embedUrl, "alice@example.com");
    const idx: Sample[] = [];
    const v1: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      idx.push(await run(oie.embedUrl, "alice@example.com"));
      v1.push(await run(classic.embedUrl, "alice@example.com"));
    }
    const idxMs = report("Okta Identity Engine password login", idx);
    const v1Ms = report("Okta Classic password login", v1);
    console.log(`Identity Engine / Classic: ${(idxMs / v1Ms).toFixed(2)}x`);
    console.log("IDX requests per login (introspect and remediation POSTs):");
    const cases: [string, string[], Record<string, string>][] = [
      ["alice@example.com", [], {}],
      ["push@example.com", ["--mfa", "push"], {}],
      ["totp@example.com", ["--mfa", "totp"], {
        AWSPROCESSCREDS_MFA_CODE: TOTP_CODE,
      }],
      ["google@example.com", ["--mfa", "totp"], {
        AWSPROCESSCREDS_MFA_CODE: TOTP_CODE,
      }],
      ["sms@example.com", ["--mfa", "sms"], {
        AWSPROCESSCREDS_MFA_CODE: SENT_CODE,
      }],
      ["voice@example.com", ["--mfa", "call"], {
        AWSPROCESSCREDS_MFA_CODE: SENT_CODE,
      }],
      ["email@example.com", ["--mfa", "email"], {
        AWSPROCESSCREDS_MFA_CODE: SENT_CODE,
      }],
    ];
    for (const [user, extra, extraEnv] of cases) {
      const before = oie.requests.length;
      const started = performance.now();
      await new Deno.Command(deno[0], {
        args: [
          ...deno.slice(1),
          mainTs,
          "-e",
          oie.embedUrl,
          "-u",
          user,
          "-p",
          "okta",
          "-a",
          ROLE_DEV,
          "--no-cache",
          ...extra,
        ],
        env: { ...env, AWS_ENDPOINT_URL_STS: stsUrl, ...extraEnv },
        clearEnv: true,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).output();
      const ms = performance.now() - started;
      const login = oie.idx.logins().at(-1)!;
      console.log(
        `  ${user.padEnd(22)} ${String(login.idxRequests).padStart(2)} IDX, ${
          oie.requests.length - before
        } requests to the org in all, ${ms.toFixed(0)} ms${
          login.succeeded ? "" : " (FAILED)"
        }`,
      );
    }
  } finally {
    await Promise.all([oie.close(), classic.close()]);
  }
}

/**
 * The test environment without the machine's own CA bundles: the emulators
 * need only the test CA (DENO_CERT), and parsing a system bundle of some 140
 * certificates on the first TLS connection (NODE_EXTRA_CA_CERTS here) would
 * be counted as the tool's overhead (about 25 ms, measured).
 */
async function benchEnv(home: string): Promise<Record<string, string>> {
  const env = await baseEnv(home);
  for (const name of ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR"]) {
    delete env[name];
  }
  return env;
}

/**
 * What every timed run shares: the environment (the stack's, with the
 * password), the deno command line, and an empty script to time bare Deno.
 */
async function benchRun(stack: Stack): Promise<{
  env: Record<string, string>;
  deno: string[];
  empty: string;
}> {
  const env = {
    ...(await benchEnv(stack.home)),
    ...stack.env,
    AWSPROCESSCREDS_PASSWORD: PASSWORD,
  };
  const deno = [Deno.execPath(), "run", "-A", "--cached-only"];
  const empty = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(empty, "");
  return { env, deno, empty };
}

async function defaultMode(): Promise<void> {
  const stack = await startStack();
  try {
    const { env, deno, empty } = await benchRun(stack);
    const args = [...stack.oktaArgs("alice@example.com"), "-a", ROLE_DEV];
    // The same settings as a profile (issue: reading the config file must
    // stay cheap on a cache hit); both share one cache entry.
    await Deno.mkdir(`${stack.home}/.aws`, { recursive: true });
    await Deno.writeTextFile(
      `${stack.home}/.aws/config`,
      `[profile bench]\nsaml_provider = okta\nsaml_endpoint = ${stack.okta.embedUrl}\nsaml_username = alice@example.com\nsaml_role_arn = ${ROLE_DEV}\n`,
    );
    const profile = ["--profile", "bench"];

    // Warm the module caches once.
    await timed([...deno, empty], env);
    await timed([...deno, mainTs, ...args], env);
    await timed([...deno, mainTs, ...profile], env);

    const bare: Sample[] = [];
    const hit: Sample[] = [];
    const profileHit: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      bare.push(await timed([...deno, empty], env));
      hit.push(await timed([...deno, mainTs, ...args], env));
      profileHit.push(await timed([...deno, mainTs, ...profile], env));
    }
    const full: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      full.push(await timed([...deno, mainTs, ...args, "--no-cache"], env));
    }
    console.log(
      `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
    );
    const bareMs = report("bare deno run of an empty script", bare);
    const hitMs = report("cache hit", hit);
    const profileMs = report("cache hit with --profile", profileHit);
    report("full Okta login (--no-cache)", full);
    console.log(`cache hit / bare deno run: ${(hitMs / bareMs).toFixed(2)}x`);
    console.log(
      `cache hit with --profile / with flags: ${
        (profileMs / hitMs).toFixed(2)
      }x`,
    );
    await identityEngine(deno, env, stack.sts.url);

    // 8 concurrent invocations on an empty cache, against 1.
    const cold = async (n: number) => {
      const home = await Deno.makeTempDir();
      const e = { ...env, HOME: home };
      const before = stack.okta.requests.length;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: n }, () => timed([...deno, mainTs, ...args], e)),
      );
      const ms = performance.now() - started;
      await Deno.remove(home, { recursive: true });
      return { ms, idpRequests: stack.okta.requests.length - before };
    };
    for (const n of [1, 8]) {
      const rounds = [];
      for (let i = 0; i < 5; i++) rounds.push(await cold(n));
      console.log(
        `${`${n} concurrent invocation(s), empty cache`.padEnd(44)} median ${
          median(rounds.map((r) => r.ms)).toFixed(1)
        } ms wall, ${rounds[0].idpRequests} IdP requests`,
      );
    }
    await hostileBodies(deno, env, stack, args);
    await Deno.remove(empty);
  } finally {
    await stack.close();
  }
}

/**
 * Peak RSS and time to the error for a 1 GiB page and a gzip bomb (1 GiB of
 * zeros, about 1 MiB on the wire), beside a normal Okta login in the same run
 * (issue: both must stay under 100 MiB above the normal login).
 */
async function hostileBodies(
  deno: string[],
  env: Record<string, string>,
  stack: Stack,
  loginArgs: string[],
): Promise<void> {
  const normal: Sample[] = [];
  for (let i = 0; i < 5; i++) {
    normal.push(
      await timed([...deno, mainTs, ...loginArgs, "--no-cache"], env),
    );
  }
  const normalMs = report("normal Okta login (beside the bombs)", normal);
  const normalRss = median(normal.map((s) => s.rssKiB ?? 0)) / 1024;
  for (const kind of ["huge", "gzip"] as BombKind[]) {
    await using bomb = await startBodyBomb(kind);
    const samples: Sample[] = [];
    for (let i = 0; i < 3; i++) {
      samples.push(
        await timed(
          [
            ...deno,
            mainTs,
            "-e",
            bomb.endpoint,
            "-u",
            "mallory@example.com",
            "-p",
            "adfs",
            "--no-cache",
          ],
          { ...env, AWS_ENDPOINT_URL_STS: stack.sts.url },
          true,
        ),
      );
    }
    const name = kind === "huge" ? "1 GiB page" : "gzip bomb (1 GiB inflated)";
    const ms = report(`${name}, to the error`, samples);
    const delta = median(samples.map((s) => s.rssKiB ?? 0)) / 1024 - normalRss;
    console.log(
      `  ${name}: peak RSS ${delta < 0 ? "-" : "+"}${
        Math.abs(delta).toFixed(1)
      } MiB against the normal login, time to the error ${
        (ms / normalMs).toFixed(2)
      }x its time`,
    );
  }
}

/** How long the client waits between two push polls (lib/mfa/push_wait.ts). */
const PUSH_POLL_MS = 2_000;

interface Scenario {
  name: string;
  args: string[];
  idp: RunningServer;
  runs: number;
  /** Push polls after the verify POST: each follows a PUSH_POLL_MS wait. */
  polls?: (requests: { method: string; path: string }[]) => number;
}

interface LoginSample {
  ms: number;
  idpRequests: number;
  stsCalls: number;
  idpConnections: number;
  stsConnections: number;
  waits: number;
}

function spread(values: number[]): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? `${lo}` : `${lo}-${hi}`;
}

async function latencyMode(delayMs: number): Promise<void> {
  // One WAITING answer (to the verify POST), then SUCCESS on the first poll.
  const stack = await startStack({
    latencyMs: delayMs,
    okta: { pushPolls: 1 },
  });
  try {
    const { env, deno, empty } = await benchRun(stack);
    const role = ["-a", ROLE_DEV, "--no-cache"];
    const pushRuns = Math.max(5, Math.ceil(RUNS / 3));
    const verify = /^\/api\/v1\/authn\/factors\/[^/]+\/verify$/;
    const scenarios: Scenario[] = [
      {
        name: "Okta password (alice)",
        args: [...stack.oktaArgs("alice@example.com"), ...role],
        idp: stack.okta,
        runs: RUNS,
      },
      {
        name: "Okta push (push, --mfa push)",
        args: [...stack.oktaArgs("push@example.com"), "--mfa", "push", ...role],
        idp: stack.okta,
        runs: pushRuns,
        polls: (requests) =>
          Math.max(
            0,
            requests.filter((r) => r.method === "POST" && verify.test(r.path))
              .length - 1,
          ),
      },
      {
        name: "ADFS password (EXAMPLE\\alice)",
        args: [...stack.adfsArgs("EXAMPLE\\alice"), ...role],
        idp: stack.adfs,
        runs: RUNS,
      },
    ];
    const login = async (scenario: Scenario): Promise<LoginSample> => {
      const { idp, sts } = { idp: scenario.idp, sts: stack.sts };
      const before = {
        idp: idp.requests.length,
        sts: sts.calls.length,
        idpConn: idp.connections(),
        stsConn: sts.connections(),
      };
      const { ms } = await timed([...deno, mainTs, ...scenario.args], env);
      const requests = idp.requests.slice(before.idp);
      return {
        ms,
        idpRequests: requests.length,
        stsCalls: sts.calls.length - before.sts,
        idpConnections: idp.connections() - before.idpConn,
        stsConnections: sts.connections() - before.stsConn,
        waits: (scenario.polls?.(requests) ?? 0) * PUSH_POLL_MS,
      };
    };

    // Warm the module caches (and V8's code cache) once.
    await timed([...deno, empty], env);
    for (const scenario of scenarios) await login(scenario);

    // Interleaved, so that a busy moment of the machine hits every row.
    const bare: Sample[] = [];
    const samples = new Map(scenarios.map((s) => [s, [] as LoginSample[]]));
    for (let i = 0; i < RUNS; i++) {
      bare.push(await timed([...deno, empty], env));
      for (const scenario of scenarios) {
        if (i < scenario.runs) {
          samples.get(scenario)!.push(await login(scenario));
        }
      }
    }

    const bareMs = median(bare.map((s) => s.ms));
    console.log(
      `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ` +
        `load average ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    );
    console.log(
      `latency ${delayMs} ms before every emulator response; ` +
        `bare deno run median ${bareMs.toFixed(1)} ms ` +
        `(${
          spread(bare.map((s) => Math.round(s.ms)))
        }) over ${bare.length} runs`,
    );
    console.log(
      "overhead = wall - round trips x latency - push waits - bare deno run\n",
    );
    const header = [
      "login".padEnd(30),
      "runs".padStart(4),
      "wall median".padStart(12),
      "wall min-max".padStart(13),
      "round trips".padStart(12),
      "IdP+STS".padStart(8),
      "conns".padStart(6),
      "waits".padStart(6),
      "overhead".padStart(9),
    ];
    console.log(header.join(" "));
    for (const scenario of scenarios) {
      const runs = samples.get(scenario)!;
      const wall = median(runs.map((r) => r.ms));
      const trips = runs.map((r) => r.idpRequests + r.stsCalls);
      const roundTrips = median(trips);
      const waits = median(runs.map((r) => r.waits));
      const overhead = wall - roundTrips * delayMs - waits - bareMs;
      console.log([
        scenario.name.padEnd(30),
        String(runs.length).padStart(4),
        `${wall.toFixed(1)} ms`.padStart(12),
        `${spread(runs.map((r) => Math.round(r.ms)))}`.padStart(13),
        spread(trips).padStart(12),
        `${spread(runs.map((r) => r.idpRequests))}+${
          spread(runs.map((r) => r.stsCalls))
        }`.padStart(8),
        `${spread(runs.map((r) => r.idpConnections))}+${
          spread(runs.map((r) => r.stsConnections))
        }`.padStart(6),
        `${waits}`.padStart(6),
        `${overhead.toFixed(1)} ms`.padStart(9),
      ].join(" "));
    }
    console.log(
      "\nconns: TCP connections the IdP and STS emulators accepted per login." +
        "\nwaits: the push login's deliberate sleeps, " +
        `${PUSH_POLL_MS} ms per poll after the verify POST (pushPolls 1).`,
    );

    // Where the time goes: one -v login, each stderr line timestamped.
    console.log("\nOne Okta password login with -v (ms since spawn):");
    const started = performance.now();
    const child = new Deno.Command(deno[0], {
      args: [...deno.slice(1), mainTs, ...scenarios[0].args, "-v"],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let pending = "";
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      const at = performance.now() - started;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        console.log(`${at.toFixed(0).padStart(6)}  ${line}`);
      }
    }
    const status = await child.status;
    console.log(
      `${
        (performance.now() - started).toFixed(0).padStart(6)
      }  (exit ${status.code})`,
    );
    await Deno.remove(empty);
  } finally {
    await stack.close();
  }
}

const latency = parseLatency(Deno.args);
if (latency === undefined) await defaultMode();
else await latencyMode(latency);
