/**
 * A private X desktop for dialog tests: Xvfb on a free display number, a
 * private D-Bus session bus (so GTK starts no stray bus of its own), and
 * xdotool to find windows, type and press keys.
 *
 * Recipe (Debian 12, root in a container, no window manager needed):
 * - `Xvfb -displayfd 1 -nolisten tcp -noreset -screen 0 1024x768x24`: Xvfb
 *   picks a free display and writes its number on stdout. `-noreset` matters:
 *   without it the server resets when its last client goes, and a dialog
 *   started at that moment fails with "cannot open display".
 * - `dbus-daemon --config-file=F --nofork --print-address=1`, where F listens
 *   in a temporary directory and has no service directories, so nothing is
 *   auto-started. Dialogs get DBUS_SESSION_BUS_ADDRESS, and NO_AT_BRIDGE=1 /
 *   GTK_A11Y=none so GTK starts no accessibility bus. Without a session bus,
 *   GTK autolaunches `dbus-launch` and `at-spi-bus-launcher` on the display,
 *   and those outlive the test.
 * - Typing: `xdotool windowfocus --sync ID` (or `windowactivate` under a
 *   window manager), then `xdotool type` and `xdotool key`. `type --window ID`
 *   alone does not work: it sends synthetic events, which GTK ignores.
 * - Screenshots: `import -window root` (ImageMagick), `-trim` to crop to the
 *   dialog (the root window is black).
 * - A window manager (metacity) is optional: with one, windows get title
 *   bars, which only matters for screenshots.
 *
 * @module
 */

/** What {@link startDesktop} may add. */
export interface DesktopOptions {
  /** Run a window manager (metacity) if installed, for title bars. */
  windowManager?: boolean;
}

/** A running private desktop. */
export interface Desktop {
  /** The display, e.g. ":3". */
  display: string;
  /** Environment for programs shown on it. */
  env: Record<string, string>;
  /** Whether a window manager runs. */
  windowManager: boolean;
  /** Waits for a visible window whose title contains `title`; returns its id. */
  waitForWindow(title: string, timeoutMs?: number): Promise<string>;
  /** Waits until no visible window with that title is left. */
  waitForNoWindow(title: string, timeoutMs?: number): Promise<void>;
  /** Ids of the visible windows whose title contains `title`. */
  windows(title: string): Promise<string[]>;
  /** Gives the window the keyboard focus. */
  focus(id: string): Promise<void>;
  /** Focuses the window and types `text`. */
  type(id: string, text: string): Promise<void>;
  /** Focuses the window and presses keys (xdotool names: Return, Escape, Down…). */
  key(id: string, ...keys: string[]): Promise<void>;
  /** Cancels the dialog: Escape. */
  cancel(id: string): Promise<void>;
  /** Writes a PNG of the screen, trimmed to what is drawn when `trim`. */
  screenshot(path: string, trim?: boolean): Promise<void>;
  /** Stops everything it started. */
  stop(): Promise<void>;
}

const NEEDED = ["Xvfb", "xdotool", "dbus-daemon", "zenity"];

function which(program: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const info = Deno.statSync(`${dir}/${program}`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111)) return true;
    } catch {
      // Not there.
    }
  }
  return false;
}

/** Whether `program` is on PATH. */
export function hasProgram(program: string): boolean {
  return which(program);
}

/** Why the desktop tests cannot run here, or `undefined` when they can. */
export function desktopSkipReason(): string | undefined {
  if (Deno.build.os !== "linux") return "desktop tests run on Linux only";
  const missing = NEEDED.filter((p) => !which(p));
  if (missing.length) {
    return `missing ${
      missing.join(", ")
    } (apt-get install xvfb xdotool dbus zenity)`;
  }
  return undefined;
}

async function readLine(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  timeoutMs: number,
  what: string,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (!text.includes("\n")) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`${what} did not start in time`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const chunk = await Promise.race([
      reader.read(),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), left);
      }),
    ]);
    clearTimeout(timer);
    if (chunk === null) throw new Error(`${what} did not start in time`);
    if (chunk.done) throw new Error(`${what} exited before it was ready`);
    text += decoder.decode(chunk.value, { stream: true });
  }
  return text.split("\n")[0].trim();
}

/** A background child whose output is drained and whose end is awaited on stop. */
interface Daemon {
  child: Deno.ChildProcess;
  firstLine: Promise<string>;
  done: Promise<void>;
}

function daemon(
  program: string,
  args: string[],
  env: Record<string, string>,
  what: string,
): Daemon {
  const child = new Deno.Command(program, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  const firstLine = readLine(reader, 10_000, what);
  const drain = async () => {
    try {
      await firstLine;
    } catch {
      // Reported by whoever awaits firstLine.
    }
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch {
      // Killed.
    }
  };
  const done = Promise.all([
    drain(),
    child.stderr.pipeTo(new WritableStream()).catch(() => {}),
    child.status,
  ]).then(() => {});
  return { child, firstLine, done };
}

/** A session bus config that listens in `dir` and starts no services. */
export function busConfig(dir: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

async function run(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 10_000,
): Promise<{ code: number; stdout: string }> {
  const child = new Deno.Command(args[0], {
    args: args.slice(1),
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Ended.
    }
  }, timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts Xvfb, a private session bus and (optionally) a window manager. */
export async function startDesktop(
  options: DesktopOptions = {},
): Promise<Desktop> {
  const dir = await Deno.makeTempDir({ prefix: "desktop-" });
  const daemons: Daemon[] = [];
  const stopAll = async () => {
    for (const d of daemons.reverse()) {
      try {
        d.child.kill("SIGTERM");
      } catch {
        // Ended.
      }
      await d.done;
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const xvfb = daemon(
      "Xvfb",
      [
        "-displayfd",
        "1",
        "-nolisten",
        "tcp",
        "-noreset",
        "-screen",
        "0",
        "1024x768x24",
      ],
      {},
      "Xvfb",
    );
    daemons.push(xvfb);
    const display = `:${await xvfb.firstLine}`;
    await Deno.writeTextFile(`${dir}/bus.conf`, busConfig(dir));
    const bus = daemon(
      "dbus-daemon",
      [`--config-file=${dir}/bus.conf`, "--nofork", "--print-address=1"],
      {},
      "dbus-daemon",
    );
    daemons.push(bus);
    const address = await bus.firstLine;
    const runtime = `${dir}/run`;
    await Deno.mkdir(runtime, { mode: 0o700 });
    const env: Record<string, string> = {
      DISPLAY: display,
      DBUS_SESSION_BUS_ADDRESS: address,
      NO_AT_BRIDGE: "1",
      GTK_A11Y: "none",
      XDG_RUNTIME_DIR: runtime,
    };
    let windowManager = false;
    if (options.windowManager && which("metacity")) {
      const wm = new Deno.Command("metacity", {
        args: ["--replace"],
        env,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      daemons.push({
        child: wm,
        firstLine: Promise.resolve(""),
        done: wm.status.then(() => {}),
      });
      windowManager = true;
      await sleep(800);
    }

    const windows = async (title: string) => {
      const { stdout } = await run([
        "xdotool",
        "search",
        "--onlyvisible",
        "--name",
        escapeRegex(title),
      ], env);
      return stdout.split("\n").map((s) => s.trim()).filter(Boolean);
    };
    const focus = async (id: string) => {
      await run(
        windowManager
          ? ["xdotool", "windowactivate", "--sync", id]
          : ["xdotool", "windowfocus", "--sync", id],
        env,
        5_000,
      );
    };
    return {
      display,
      env,
      windowManager,
      windows,
      async waitForWindow(title, timeoutMs = 15_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const ids = await windows(title);
          if (ids.length) {
            // Let GTK finish mapping before keys are sent.
            await sleep(250);
            return ids[ids.length - 1];
          }
          if (Date.now() > deadline) {
            throw new Error(`No window titled "${title}" appeared`);
          }
          await sleep(100);
        }
      },
      async waitForNoWindow(title, timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs;
        while ((await windows(title)).length) {
          if (Date.now() > deadline) {
            throw new Error(`The window titled "${title}" did not go away`);
          }
          await sleep(100);
        }
      },
      focus,
      async type(id, text) {
        await focus(id);
        await run(["xdotool", "type", "--delay", "15", text], env);
      },
      async key(id, ...keys) {
        await focus(id);
        for (const key of keys) {
          await run(["xdotool", "key", "--clearmodifiers", key], env);
          await sleep(60);
        }
      },
      async cancel(id) {
        await focus(id);
        await run(["xdotool", "key", "Escape"], env);
      },
      async screenshot(path, trim = false) {
        const args = ["import", "-window", "root"];
        if (trim) args.push("-trim", "+repage");
        const { code } = await run([...args, `png:${path}`], env, 20_000);
        if (code !== 0) throw new Error(`import exited with status ${code}`);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** One scripted reply of a fake program. */
export interface FakeReply {
  /** Exit status (default 0). */
  code?: number;
  /** Written to stdout. */
  stdout?: string;
  /** Written to stderr. */
  stderr?: string;
  /** Stay up (as `sleep`) until killed, like an open window. */
  block?: boolean;
}

/** What one call of a fake program received. */
export interface FakeCall {
  argv: string[];
  stdin: string;
  pid: number;
}

/** Shell scripts standing in for osascript, PowerShell, security… */
export interface FakePrograms {
  /** The directory holding them: put it first on PATH. */
  dir: string;
  /** Environment for the code under test: PATH and FAKE_DIR. */
  env: Record<string, string>;
  /** Queues the reply to the next call (replies are used in order). */
  reply(reply: FakeReply): Promise<void>;
  /** The calls so far, in order. */
  calls(): Promise<FakeCall[]>;
  /** Waits until call `n` (1-based) has recorded its pid. */
  waitForCall(n: number, timeoutMs?: number): Promise<FakeCall>;
  /** Removes the directory. */
  remove(): Promise<void>;
}

const FAKE_SCRIPT = `#!/bin/sh
# A fake program: records argv, stdin and pid, then replays a scripted reply.
d="$FAKE_DIR"
n=1
# mkdir is atomic: concurrent calls get distinct numbers.
until mkdir "$d/call.$n" 2>/dev/null; do n=$((n + 1)); done
for a in "$@"; do printf '%s\\0' "$a"; done > "$d/call.$n/argv"
cat > "$d/call.$n/stdin"
echo $$ > "$d/call.$n/pid"
if [ -f "$d/reply.$n.block" ]; then exec sleep 60; fi
[ -f "$d/reply.$n.err" ] && cat "$d/reply.$n.err" >&2
[ -f "$d/reply.$n.out" ] && cat "$d/reply.$n.out"
exit "$(cat "$d/reply.$n.code" 2>/dev/null || echo 0)"
`;

/** Creates fake programs named `names` in a temporary directory. */
export async function fakePrograms(names: string[]): Promise<FakePrograms> {
  const dir = await Deno.makeTempDir({ prefix: "fakes-" });
  const data = `${dir}/data`;
  await Deno.mkdir(data);
  for (const name of names) {
    await Deno.writeTextFile(`${dir}/${name}`, FAKE_SCRIPT, { mode: 0o755 });
    await Deno.chmod(`${dir}/${name}`, 0o755);
  }
  let replies = 0;
  const read = (path: string) => Deno.readTextFile(path).catch(() => undefined);
  const calls = async (): Promise<FakeCall[]> => {
    const out: FakeCall[] = [];
    for (let n = 1;; n++) {
      const pid = await read(`${data}/call.${n}/pid`);
      if (pid === undefined) break;
      const argv = ((await read(`${data}/call.${n}/argv`)) ?? "").split("\0");
      argv.pop();
      out.push({
        argv,
        stdin: (await read(`${data}/call.${n}/stdin`)) ?? "",
        pid: Number(pid),
      });
    }
    return out;
  };
  return {
    dir,
    env: { PATH: `${dir}:${Deno.env.get("PATH") ?? ""}`, FAKE_DIR: data },
    async reply(reply) {
      replies++;
      const n = replies;
      await Deno.writeTextFile(
        `${data}/reply.${n}.code`,
        String(reply.code ?? 0),
      );
      if (reply.stdout !== undefined) {
        await Deno.writeTextFile(`${data}/reply.${n}.out`, reply.stdout);
      }
      if (reply.stderr !== undefined) {
        await Deno.writeTextFile(`${data}/reply.${n}.err`, reply.stderr);
      }
      if (reply.block) await Deno.writeTextFile(`${data}/reply.${n}.block`, "");
    },
    calls,
    async waitForCall(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pid = await read(`${data}/call.${n}/pid`);
        if (pid) return (await calls())[n - 1];
        if (Date.now() > deadline) throw new Error(`No call ${n} of the fake`);
        await sleep(20);
      }
    },
    async remove() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Whether process `pid` has ended (gone, or a zombie nobody reaped yet). */
export function processGone(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Waits until process `pid` has ended. */
export async function waitForProcessGone(
  pid: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!processGone(pid)) {
    if (Date.now() > deadline) throw new Error(`Process ${pid} is still alive`);
    await sleep(20);
  }
}

/** Every live process: pid, parent pid, command name and argv (Linux /proc). */
export function processes(): {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
}[] {
  const out = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const close = stat.lastIndexOf(")");
      const rest = stat.slice(close + 2).split(" ");
      if (rest[0] === "Z") continue;
      const argv = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`)
        .split("\0");
      if (argv.at(-1) === "") argv.pop();
      out.push({
        pid: Number(entry.name),
        ppid: Number(rest[1]),
        comm: stat.slice(stat.indexOf("(") + 1, close),
        argv,
      });
    } catch {
      // Ended while being read.
    }
  }
  return out;
}

/** The live descendants of `root` (default: this process). */
export function descendants(root: number = Deno.pid): ReturnType<
  typeof processes
> {
  const all = processes();
  const found: ReturnType<typeof processes> = [];
  const parents = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/** The environment of process `pid` (Linux /proc), or `undefined` if unreadable. */
export function processEnvironment(
  pid: number,
): Record<string, string> | undefined {
  try {
    const out: Record<string, string> = {};
    for (
      const entry of Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0")
    ) {
      const eq = entry.indexOf("=");
      if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Live processes named `comm` whose DISPLAY is `display`: the dialogs shown on
 * one private desktop, whoever their parent is now (a dialog that outlived its
 * program has been re-parented).
 */
export function processesOnDisplay(
  comm: string,
  display: string,
): ReturnType<typeof processes> {
  return processes().filter((p) =>
    p.comm === comm && processEnvironment(p.pid)?.DISPLAY === display
  );
}

/** One process seen by {@link watchProcesses}. */
export interface ProcessSighting {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
  /** Whether it is a root (its argv has the marker) rather than a descendant. */
  root: boolean;
}

/** A running /proc sampler. */
export interface ProcessWatch {
  /** Samples once more, stops, and returns every distinct (pid, argv) seen. */
  stop(): Promise<ProcessSighting[]>;
}

/**
 * Samples /proc every `intervalMs` until stopped: the processes below this one
 * whose argv contains `marker` (the program under test, e.g. main.ts's path),
 * and every descendant of those (walking the parent pids in /proc/PID/stat).
 * Each distinct pid and argv is kept once, so a process that exec()s (setpriv
 * → zenity) shows up under both command lines. Processes that live for less
 * than one interval can be missed.
 */
export function watchProcesses(
  marker: string,
  intervalMs = 15,
): ProcessWatch {
  const seen = new Map<string, ProcessSighting>();
  const sample = () => {
    const all = processes();
    const below = new Set([Deno.pid]);
    const roots = new Set<number>();
    let grew = true;
    while (grew) {
      grew = false;
      for (const p of all) {
        if (below.has(p.pid)) continue;
        if (below.has(p.ppid)) {
          below.add(p.pid);
          grew = true;
          if (p.argv.includes(marker) || roots.has(p.ppid)) {
            // Roots, and everything under a root.
            roots.add(p.pid);
          }
        }
      }
    }
    for (const p of all) {
      if (!roots.has(p.pid)) continue;
      const key = `${p.pid}\0${p.argv.join("\0")}`;
      if (!seen.has(key)) {
        seen.set(key, { ...p, root: p.argv.includes(marker) });
      }
    }
  };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      sample();
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      sample();
      return [...seen.values()];
    },
  };
}

/** A dialog on screen: its window and its process. */
export interface DialogWindow {
  /** The X window id. */
  id: string;
  /** The dialog program's process id. */
  pid: number;
}

/**
 * Waits for a process named `comm` (default zenity) on the desktop's display,
 * not in `shown`, to show a window titled `title`; adds its pid to `shown`.
 * X reuses window ids from one client to the next, so a new dialog is told
 * from the previous one by its process (`xdotool search --pid`).
 */
export async function waitForNewDialog(
  desktop: Desktop,
  title: string,
  shown: Set<number>,
  options: { comm?: string; timeoutMs?: number } = {},
): Promise<DialogWindow> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    for (
      const p of processesOnDisplay(options.comm ?? "zenity", desktop.display)
    ) {
      if (shown.has(p.pid)) continue;
      const { stdout } = await run([
        "xdotool",
        "search",
        "--all",
        "--onlyvisible",
        "--pid",
        String(p.pid),
        "--name",
        escapeRegex(title),
      ], desktop.env);
      const ids = stdout.split("\n").map((s) => s.trim()).filter(Boolean);
      if (ids.length) {
        shown.add(p.pid);
        // Let GTK finish mapping before keys are sent.
        await sleep(250);
        return { id: ids[0], pid: p.pid };
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`No new dialog titled "${title}" appeared`);
    }
    await sleep(100);
  }
}

/** The title of window `id`, as the X server has it. */
export async function windowTitle(
  desktop: Desktop,
  id: string,
): Promise<string> {
  const { stdout } = await run(["xdotool", "getwindowname", id], desktop.env);
  return stdout.replace(/\n$/, "");
}

/**
 * The processes in `seen` whose argv contains one of `secrets`, described with
 * the secrets masked (safe to print); empty when none. Each string of
 * `publicText` is blanked out first (for instance an AWS account id that
 * happens to contain a test code).
 */
export function secretsInArgv(
  seen: readonly { pid: number; comm: string; argv: string[] }[],
  secrets: readonly string[],
  publicText: readonly string[] = [],
): string[] {
  const found: string[] = [];
  for (const p of seen) {
    let argv = p.argv;
    for (const text of publicText) {
      argv = argv.map((a) => a.split(text).join("<PUBLIC>"));
    }
    const hits = secrets.filter((s) => s !== "" && argv.join(" ").includes(s));
    if (!hits.length) continue;
    let masked = argv;
    for (const secret of hits) {
      masked = masked.map((a) => a.split(secret).join("<SECRET>"));
    }
    found.push(`${p.comm} (${p.pid}): ${JSON.stringify(masked)}`);
  }
  return found;
}
