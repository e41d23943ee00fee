/**
 * Runs main.ts as the AWS CLI does: stdin not a terminal, stdout and stderr
 * pipes, and either a pseudo-terminal answering prompts (python3 pty) or no
 * controlling terminal at all (setsid).
 *
 * @module
 */
import { caFile } from "../emulators/server.ts";

const root = new URL("../../", import.meta.url);
/** Absolute path of main.ts. */
export const mainTs: string = new URL("main.ts", root).pathname;
const ptyRun = new URL("pty_run.py", import.meta.url).pathname;

let denoDir: string | undefined;
async function getDenoDir(): Promise<string> {
  if (denoDir) return denoDir;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  denoDir = JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
  return denoDir!;
}

/** One prompt to answer: when `expect` appears on the terminal, type `send`. */
export interface TtyStep {
  expect: string;
  send: string;
  /** Seconds to wait before answering. */
  delay?: number;
}

/** How to run the program. */
export interface CliOptions {
  /** The HOME of the run (the cache lives below it). */
  home: string;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Prompt answers: run under a pty. Omitted: no terminal at all. */
  tty?: TtyStep[];
  /** Overall limit in seconds (default 60). */
  timeout?: number;
  /** Working directory (default: this process's). */
  cwd?: string;
  /** Replace `deno run … main.ts` with this argv prefix. */
  command?: string[];
}

/** What the run printed and how it ended. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Everything written to the terminal. */
  tty: string;
  /** Prompts never seen. */
  unanswered: string[];
  ms: number;
}

/**
 * Variables a test run inherits from the machine: how it trusts TLS and
 * reaches the network (a TLS-inspecting proxy needs its CA), so a child
 * Deno that must fetch a module still can. Emulator traffic stays on
 * loopback through NO_PROXY.
 */
const PASSED_THROUGH = [
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "DENO_TLS_CA_STORE",
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
];

/** The environment a test run gets: loopback only, the test CA trusted. */
export async function baseEnv(home: string): Promise<Record<string, string>> {
  const inherited: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = Deno.env.get(name);
    if (value) inherited[name] = value;
  }
  const noProxy = [
    "127.0.0.1",
    "localhost",
    ...(Deno.env.get("NO_PROXY") ?? Deno.env.get("no_proxy") ?? "").split(",")
      .map((h) => h.trim()).filter(Boolean),
  ].join(",");
  return {
    ...inherited,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    DENO_DIR: await getDenoDir(),
    DENO_CERT: caFile,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
    AWS_CONFIG_FILE: `${home}/.aws/config`,
    AWS_SHARED_CREDENTIALS_FILE: `${home}/.aws/credentials`,
    NO_COLOR: "1",
    TERM: "dumb",
  };
}

/** Runs main.ts with `args`. */
export async function runCli(
  args: string[],
  options: CliOptions,
): Promise<CliResult> {
  const env = { ...(await baseEnv(options.home)), ...options.env };
  const argv = [
    ...(options.command ??
      [Deno.execPath(), "run", "-A", "--cached-only", mainTs]),
    ...args,
  ];
  const started = performance.now();
  if (options.tty) {
    const spec = {
      argv,
      env,
      cwd: options.cwd,
      timeout: options.timeout ?? 60,
      steps: options.tty,
    };
    const out = await new Deno.Command("python3", {
      args: [ptyRun, JSON.stringify(spec)],
      stdout: "piped",
      stderr: "inherit",
      stdin: "null",
    }).output();
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    return {
      code: r.code,
      stdout: r.stdout,
      stderr: r.stderr,
      tty: r.tty,
      unanswered: r.unanswered,
      ms: performance.now() - started,
    };
  }
  const child = new Deno.Command("setsid", {
    args: ["-w", ...argv],
    env,
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(
    () => child.kill("SIGKILL"),
    (options.timeout ?? 60) * 1000,
  );
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    tty: "",
    unanswered: [],
    ms: performance.now() - started,
  };
}

/**
 * Starts main.ts without a terminal and returns the child, for tests that
 * kill it mid-login.
 */
export async function spawnCli(
  args: string[],
  options: CliOptions,
): Promise<Deno.ChildProcess> {
  const env = { ...(await baseEnv(options.home)), ...options.env };
  return new Deno.Command("setsid", {
    args: [
      "-w",
      Deno.execPath(),
      "run",
      "-A",
      "--cached-only",
      mainTs,
      ...args,
    ],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Parses the credential_process JSON, asserting it is the whole stdout. */
export function parseCredentials(stdout: string): {
  Version: number;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
} {
  const lines = stdout.split("\n").filter((l) => l !== "");
  if (lines.length !== 1) {
    throw new Error(
      `stdout is not exactly one line: ${JSON.stringify(stdout)}`,
    );
  }
  return JSON.parse(lines[0]);
}

/**
 * Whether this machine can run main.ts the way the harness needs: a POSIX
 * pty from python3 and util-linux `setsid` (Linux). Elsewhere (macOS,
 * Windows) the end-to-end tests skip themselves; CI runs them on Linux.
 */
export const E2E_SUPPORTED: boolean = Deno.build.os === "linux" &&
  await hasExecutable("setsid") && await hasExecutable("python3");

/** Whether `name` is on PATH. */
export async function hasExecutable(name: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Deno.test for end-to-end tests: skipped where {@link E2E_SUPPORTED} is false. */
export function e2eTest(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
): void {
  Deno.test({ name, ignore: !E2E_SUPPORTED, fn });
}
