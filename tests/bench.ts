// deno-lint-ignore-file no-console
/**
 * Benchmark (deno task bench): wall time and peak memory of
 *  - a bare `deno run` of an empty script (the floor),
 *  - a cache-hit invocation of main.ts,
 *  - a full Okta login (authn, SAML page, STS) against the local emulators,
 *  - 8 concurrent invocations on an empty cache against 1.
 * Medians of several runs; figures are printed, never asserted.
 */
import { PASSWORD, ROLE_DEV } from "./emulators/fixtures.ts";
import { baseEnv, mainTs } from "./support/cli.ts";
import { startStack } from "./support/stack.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 15);
const hasTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);

interface Sample {
  ms: number;
  rssKiB?: number;
}

async function timed(
  argv: string[],
  env: Record<string, string>,
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
  if (!out.success) {
    throw new Error(`${argv.join(" ")} failed: ${stderr.join("\n")}`);
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

const stack = await startStack();
try {
  const env = {
    ...(await baseEnv(stack.home)),
    ...stack.env,
    AWSPROCESSCREDS_PASSWORD: PASSWORD,
  };
  const deno = [Deno.execPath(), "run", "-A", "--cached-only"];
  const empty = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(empty, "");
  const args = [...stack.oktaArgs("alice@example.com"), "-a", ROLE_DEV];

  // Warm the module caches once.
  await timed([...deno, empty], env);
  await timed([...deno, mainTs, ...args], env);

  const bare: Sample[] = [];
  const hit: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(await timed([...deno, empty], env));
    hit.push(await timed([...deno, mainTs, ...args], env));
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
  report("full Okta login (--no-cache)", full);
  console.log(`cache hit / bare deno run: ${(hitMs / bareMs).toFixed(2)}x`);

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
  await Deno.remove(empty);
} finally {
  await stack.close();
}
