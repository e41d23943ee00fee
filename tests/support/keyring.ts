/**
 * A private Secret Service for keychain tests: gnome-keyring on a private
 * D-Bus session bus, with its keyrings in a temporary directory.
 *
 * Recipe that works as root in a container (no logind session, no
 * XDG_RUNTIME_DIR, no desktop):
 * - HOME, XDG_DATA_HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME and XDG_RUNTIME_DIR
 *   (mode 0700) all point into a fresh temporary directory, so the "login"
 *   keyring is created there and nothing of the real user is touched;
 * - a session bus from a config that listens in that directory and has no
 *   service directories, so nothing is auto-started (the packaged
 *   org.freedesktop.secrets service file would otherwise start a second,
 *   locked, gnome-keyring-daemon);
 * - `gnome-keyring-daemon --foreground --unlock --components=secrets` with the
 *   keyring password on stdin: it creates the login keyring unlocked (or
 *   unlocks it) and owns org.freedesktop.secrets on the bus;
 * - wait until `dbus-send … NameHasOwner string:org.freedesktop.secrets`
 *   says true, then `secret-tool` works.
 *
 * gnome-keyring warns that it cannot lock memory without CAP_IPC_LOCK; that
 * is harmless here. {@link runInKeyring} does the same with
 * `dbus-run-session`, for running a whole program (main.ts) inside a session.
 *
 * @module
 */
import { busConfig, hasProgram } from "./desktop.ts";

/** The keyring's own password: a fixed test value, not a secret. */
export const KEYRING_PASSWORD = "test-keyring-password";

const NEEDED = [
  "dbus-daemon",
  "dbus-run-session",
  "dbus-send",
  "gnome-keyring-daemon",
  "secret-tool",
];

/** Why the keyring tests cannot run here, or `undefined` when they can. */
export function keyringSkipReason(): string | undefined {
  if (Deno.build.os !== "linux") return "keyring tests run on Linux only";
  const missing = NEEDED.filter((p) => !hasProgram(p));
  if (missing.length) {
    return `missing ${
      missing.join(", ")
    } (apt-get install dbus gnome-keyring libsecret-tools)`;
  }
  return undefined;
}

/** A running private Secret Service. */
export interface Keyring {
  /** Environment that reaches it (HOME, XDG_*, DBUS_SESSION_BUS_ADDRESS). */
  env: Record<string, string>;
  /** The temporary directory holding everything. */
  dir: string;
  /** The gnome-keyring-daemon process id. */
  pid: number;
  /** Stops the daemon and the bus and removes the directory. */
  stop(): Promise<void>;
}

async function prepare(): Promise<{
  dir: string;
  env: Record<string, string>;
  config: string;
}> {
  const dir = await Deno.makeTempDir({ prefix: "keyring-" });
  const env: Record<string, string> = {
    HOME: dir,
    XDG_DATA_HOME: `${dir}/data`,
    XDG_CONFIG_HOME: `${dir}/config`,
    XDG_CACHE_HOME: `${dir}/cache`,
    XDG_RUNTIME_DIR: `${dir}/run`,
  };
  for (const sub of ["data", "config", "cache"]) {
    await Deno.mkdir(`${dir}/${sub}`);
  }
  await Deno.mkdir(`${dir}/run`, { mode: 0o700 });
  await Deno.chmod(`${dir}/run`, 0o700);
  const config = `${dir}/bus.conf`;
  await Deno.writeTextFile(config, busConfig(`${dir}/run`));
  return { dir, env, config };
}

const WAIT_FOR_SECRETS =
  "i=0; until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do i=$((i+1)); [ $i -gt 200 ] && exit 98; sleep 0.05; done";

async function waitForSecrets(env: Record<string, string>): Promise<void> {
  const out = await new Deno.Command("sh", {
    args: ["-c", WAIT_FOR_SECRETS],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  if (out.code !== 0) {
    throw new Error("gnome-keyring-daemon did not appear on the session bus");
  }
}

/** Starts gnome-keyring on a private bus; `stop()` ends both. */
export async function startKeyring(): Promise<Keyring> {
  const { dir, env, config } = await prepare();
  const children: Deno.ChildProcess[] = [];
  const waits: Promise<unknown>[] = [];
  const stop = async () => {
    for (const child of children.reverse()) {
      try {
        child.kill("SIGTERM");
      } catch {
        // Ended.
      }
    }
    await Promise.all(waits);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const bus = new Deno.Command("dbus-daemon", {
      args: [`--config-file=${config}`, "--nofork", "--print-address=1"],
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    children.push(bus);
    const reader = bus.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error("dbus-daemon exited before it was ready");
      text += new TextDecoder().decode(chunk.value);
    }
    waits.push((async () => {
      try {
        while (!(await reader.read()).done) { /* drain */ }
      } catch {
        // Killed.
      }
      await bus.status;
    })());
    env.DBUS_SESSION_BUS_ADDRESS = text.split("\n")[0].trim();

    const daemon = new Deno.Command("gnome-keyring-daemon", {
      args: ["--foreground", "--unlock", "--components=secrets"],
      env,
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    children.push(daemon);
    waits.push(daemon.status);
    const writer = daemon.stdin.getWriter();
    await writer.write(new TextEncoder().encode(KEYRING_PASSWORD));
    await writer.close();
    await waitForSecrets(env);
    return { env, dir, pid: daemon.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What a command run inside a keyring session did. */
export interface KeyringRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command` inside its own `dbus-run-session` with an unlocked
 * gnome-keyring, in a fresh temporary HOME; the session (bus, daemon,
 * directory) ends with the command.
 *
 * The shell step inside the session is:
 *     printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets
 * (the daemon forks, and exits when the session bus goes away), then a wait
 * for org.freedesktop.secrets, then `exec` of the command.
 *
 * @param options.env Added to the session's environment (may override HOME).
 * @param options.stdin Given to the command on stdin.
 */
export async function runInKeyring(
  command: string[],
  options: { env?: Record<string, string>; stdin?: string; cwd?: string } = {},
): Promise<KeyringRun> {
  const { dir, env, config } = await prepare();
  try {
    const script = [
      'printf %s "$KEYRING_UNLOCK" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || exit 97',
      "unset KEYRING_UNLOCK",
      WAIT_FOR_SECRETS,
      'exec "$@"',
    ].join("\n");
    const child = new Deno.Command("dbus-run-session", {
      args: [
        `--config-file=${config}`,
        "--",
        "sh",
        "-c",
        script,
        "sh",
        ...command,
      ],
      env: { ...env, KEYRING_UNLOCK: KEYRING_PASSWORD, ...options.env },
      cwd: options.cwd,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
    }
    const out = await child.output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A program on PATH that records each call's argv, then runs the real one. */
export interface RecordingShim {
  /** Environment for the code under test: PATH with the shim first. */
  env: Record<string, string>;
  /** The argv (without the program name) of every call so far, in order. */
  calls(): Promise<string[][]>;
  /** Removes the shim. */
  remove(): Promise<void>;
}

function pathOf(program: string): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      if (Deno.statSync(`${dir}/${program}`).isFile) return `${dir}/${program}`;
    } catch {
      // Not there.
    }
  }
  throw new Error(`${program} is not on PATH`);
}

/**
 * Puts a shim named `program` first on PATH that writes its argv to a file and
 * then `exec`s the real program with the same arguments, stdin and
 * environment. Calls of a helper such as `secret-tool` last milliseconds, too
 * short for a /proc sampler to be sure to see them; the shim sees every one.
 * Only argv is recorded (never stdin).
 */
export async function recordingShim(program: string): Promise<RecordingShim> {
  const real = pathOf(program);
  const dir = await Deno.makeTempDir({ prefix: "shim-" });
  const log = `${dir}/calls`;
  await Deno.mkdir(log);
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = `#!/bin/sh
n=1
until mkdir ${quote(log)}/$n 2>/dev/null; do n=$((n + 1)); done
for a in "$@"; do printf '%s\\0' "$a"; done > ${quote(log)}/$n/argv
exec ${quote(real)} "$@"
`;
  await Deno.writeTextFile(`${dir}/${program}`, script);
  await Deno.chmod(`${dir}/${program}`, 0o755);
  return {
    env: { PATH: `${dir}:${Deno.env.get("PATH") ?? ""}` },
    async calls() {
      const out: string[][] = [];
      for (let n = 1;; n++) {
        let text: string;
        try {
          text = await Deno.readTextFile(`${log}/${n}/argv`);
        } catch {
          // mkdir done but argv not yet written: a call still starting.
          try {
            await Deno.stat(`${log}/${n}`);
          } catch {
            break;
          }
          text = "";
        }
        const argv = text.split("\0");
        argv.pop();
        out.push(argv);
      }
      return out;
    },
    async remove() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
