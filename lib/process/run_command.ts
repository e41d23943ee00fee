/**
 * The one place that starts helper programs (dialog programs, `secret-tool`,
 * `security`, PowerShell). A {@link CommandRunner} is injected wherever one is
 * needed so tests can substitute fakes.
 *
 * Every child started by {@link denoCommandRunner} is tracked until it ends,
 * and is killed when the program exits:
 *
 * - on a normal end or `Deno.exit()` (the `unload` event);
 * - on SIGINT, SIGTERM or SIGHUP (Unix only; a listener is installed only while
 *   a child is alive, kills the children, then re-raises the signal so the
 *   program still dies of it).
 *
 * An uncaught exception or SIGKILL skips both; see the dialog backends for
 * what covers those cases.
 *
 * @module
 */

/** A program to start. */
export interface CommandSpec {
  /** The program: a name looked up on PATH (the child's PATH if `env` sets one) or a path. */
  program: string;
  /** Its arguments. Never put a secret here: argv is visible to every user. */
  args: readonly string[];
  /** Written to the child's stdin, which is then closed. Omitted: stdin is /dev/null. */
  stdin?: string | Uint8Array;
  /** Variables added to (or replacing) the inherited environment. */
  env?: Record<string, string>;
  /**
   * A window shown while something else happens: stdout and stderr go to
   * /dev/null and the child does not keep the program alive (it is killed at
   * exit like any other).
   */
  background?: boolean;
}

/** How a child ended and what it printed. */
export interface CommandResult {
  /** Exit status (128 + n when killed by signal n, as a shell reports it). */
  code: number;
  /** The signal that killed it, if any. */
  signal: Deno.Signal | null;
  /** Everything it wrote on stdout (empty for background children). */
  stdout: Uint8Array;
  /** Everything it wrote on stderr: kept for error messages, never forwarded. */
  stderr: Uint8Array;
}

/** A started child. */
export interface RunningCommand {
  /** Its process id. */
  readonly pid: number;
  /** Settles when it has ended (never rejects). */
  readonly result: Promise<CommandResult>;
  /** Asks it to end (SIGTERM; TerminateProcess on Windows). Harmless once it has ended. */
  kill(): void;
}

/** Starts programs. */
export interface CommandRunner {
  /**
   * Starts `spec`.
   *
   * @throws {Deno.errors.NotFound} when the program does not exist.
   */
  spawn(spec: CommandSpec): RunningCommand;
}

const live = new Set<Deno.ChildProcess>();
const EXIT_SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
let unloadInstalled = false;
let signalsInstalled = false;
const signalHandlers = new Map<Deno.Signal, () => void>();

function killQuietly(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already ended.
  }
}

/** Kills every child still alive. Called on exit; also usable directly. */
export function killAllChildren(): void {
  for (const child of live) killQuietly(child);
}

function installSignals(): void {
  if (signalsInstalled || Deno.build.os === "windows") return;
  signalsInstalled = true;
  for (const signal of EXIT_SIGNALS) {
    const handler = () => {
      killAllChildren();
      removeSignals();
      // Die of the signal as if nobody had listened.
      Deno.kill(Deno.pid, signal);
    };
    signalHandlers.set(signal, handler);
    try {
      Deno.addSignalListener(signal, handler);
    } catch {
      signalHandlers.delete(signal);
    }
  }
}

function removeSignals(): void {
  if (!signalsInstalled) return;
  signalsInstalled = false;
  for (const [signal, handler] of signalHandlers) {
    try {
      Deno.removeSignalListener(signal, handler);
    } catch {
      // Not installed.
    }
  }
  signalHandlers.clear();
}

function track(child: Deno.ChildProcess): void {
  if (!unloadInstalled) {
    unloadInstalled = true;
    globalThis.addEventListener("unload", killAllChildren);
  }
  live.add(child);
  installSignals();
}

function untrack(child: Deno.ChildProcess): void {
  live.delete(child);
  if (live.size === 0) removeSignals();
}

async function readAll(
  stream: ReadableStream<Uint8Array> | null,
): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch {
    // The child was killed mid-write: keep what came.
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

async function writeAll(
  stream: WritableStream<Uint8Array>,
  data: string | Uint8Array,
): Promise<void> {
  const writer = stream.getWriter();
  try {
    await writer.write(
      typeof data === "string" ? new TextEncoder().encode(data) : data,
    );
    await writer.close();
  } catch {
    // The child ended without reading its input; its status tells why.
  } finally {
    writer.releaseLock();
  }
}

/**
 * On Unix without a session bus to inherit, GLib and libdbus children
 * (secret-tool, zenity, kdialog) with DISPLAY set would autolaunch one, and
 * its dbus-daemon, gnome-keyring-daemon and at-spi daemons would outlive
 * this program. Telling them there is no bus makes secret-tool fail at once
 * (the tool then asks) while dialogs still show.
 */
function noBusAutolaunch(): Record<string, string> {
  if (Deno.build.os === "windows" || Deno.build.os === "darwin") return {};
  if (Deno.env.get("DBUS_SESSION_BUS_ADDRESS")) return {};
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  if (runtime) {
    try {
      if (Deno.statSync(`${runtime}/bus`).isSocket) return {};
    } catch {
      // no bus socket there
    }
  }
  return { DBUS_SESSION_BUS_ADDRESS: "disabled:" };
}

/** The real runner, over `Deno.Command`. */
export const denoCommandRunner: CommandRunner = {
  spawn(spec) {
    const background = spec.background === true;
    const child = new Deno.Command(spec.program, {
      args: [...spec.args],
      stdin: spec.stdin === undefined ? "null" : "piped",
      stdout: background ? "null" : "piped",
      stderr: background ? "null" : "piped",
      env: { ...noBusAutolaunch(), ...spec.env },
    }).spawn();
    track(child);
    if (background) child.unref();
    const input = spec.stdin === undefined
      ? Promise.resolve()
      : writeAll(child.stdin, spec.stdin);
    const result = (async (): Promise<CommandResult> => {
      const [stdout, stderr, status] = await Promise.all([
        background ? Promise.resolve(new Uint8Array()) : readAll(child.stdout),
        background ? Promise.resolve(new Uint8Array()) : readAll(child.stderr),
        child.status,
        input,
      ]);
      untrack(child);
      return {
        code: status.code,
        signal: status.signal,
        stdout,
        stderr,
      };
    })();
    return {
      pid: child.pid,
      result,
      kill: () => killQuietly(child),
    };
  },
};

/**
 * Starts `spec` and waits for it, killing it after `timeoutMs` if given.
 *
 * @returns the result, and whether the timeout killed it.
 * @throws {Deno.errors.NotFound} when the program does not exist.
 */
export async function runCommand(
  runner: CommandRunner,
  spec: CommandSpec,
  timeoutMs?: number,
): Promise<CommandResult & { timedOut: boolean }> {
  return await waitFor(runner.spawn(spec), timeoutMs);
}

/**
 * Waits for a started command, killing it after `timeoutMs` if given.
 *
 * @returns the result, and whether the timeout killed it.
 */
export async function waitFor(
  running: RunningCommand,
  timeoutMs?: number,
): Promise<CommandResult & { timedOut: boolean }> {
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      timedOut = true;
      running.kill();
    }, timeoutMs);
  }
  try {
    return { ...(await running.result), timedOut };
  } finally {
    clearTimeout(timer);
  }
}

/** The first non-empty line of a child's stderr, for an error message. */
export function firstLine(bytes: Uint8Array, maxLength = 200): string {
  const text = new TextDecoder().decode(bytes);
  const line =
    text.split(/\r?\n/).map((l) => l.trim()).find((l) =>
      l !== "" && !l.startsWith("#< CLIXML")
    ) ?? "";
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line;
}

/**
 * Whether `program` is an executable file in one of the PATH directories
 * (with PATHEXT extensions on Windows). Reads the file system.
 */
export function onPath(
  program: string,
  env: Readonly<Record<string, string | undefined>>,
  os: typeof Deno.build.os = Deno.build.os,
): boolean {
  const windows = os === "windows";
  const dirs = (env.PATH ?? env.Path ?? "").split(windows ? ";" : ":")
    .filter((dir) => dir !== "");
  const extensions = windows && !/\.[a-z0-9]+$/i.test(program)
    ? (env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean)
    : [""];
  for (const dir of dirs) {
    for (const ext of extensions) {
      const path = `${dir}${windows ? "\\" : "/"}${program}${ext}`;
      try {
        const info = Deno.statSync(path);
        if (!info.isFile) continue;
        if (windows || info.mode === null || (info.mode & 0o111) !== 0) {
          return true;
        }
      } catch {
        // Not there.
      }
    }
  }
  return false;
}

/**
 * "PROGRAM exited with status N (first stderr line)" for a helper that ended
 * badly; `redact` cleans the stderr line first.
 */
export function exitedWith(
  program: string,
  result: CommandResult,
  redact: (detail: string) => string = (detail) => detail,
): string {
  const detail = redact(firstLine(result.stderr));
  return `${program} exited with status ${result.code}${
    detail ? ` (${detail})` : ""
  }`;
}
