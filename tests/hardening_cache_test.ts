/**
 * End to end: the credential cache never costs the login and never writes
 * where it should not. A cache entry or directory that cannot be written, a
 * cache directory that cannot be trusted, a hostile lock file, and a missing
 * HOME each give credentials on stdout, exit 0 and one warning on stderr.
 *
 * Each test runs main.ts as the AWS CLI does (no terminal, stdout and stderr
 * pipes) against the hostile IdP (tests/emulators/hostile.ts, in its benign
 * ADFS form) and the STS emulator. The disk-full and HOME cases need root
 * and a private mount namespace (`unshare -m`): a tmpfs of 16 KiB over the
 * cache directory, a throwaway directory bound over /root, a user id with no
 * passwd entry. They skip themselves elsewhere.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cacheKey } from "../lib/cache/file_cache.ts";
import { PASSWORD, ROLE_DEV } from "./emulators/fixtures.ts";
import {
  HOSTILE_USER,
  type HostileIdp,
  startHostile,
} from "./emulators/hostile.ts";
import { startSts, type StsEmulator } from "./emulators/sts.ts";
import {
  baseEnv,
  type CliResult,
  E2E_SUPPORTED,
  e2eTest,
  hasExecutable,
  mainTs,
  parseCredentials,
  runCli,
} from "./support/cli.ts";

const CACHE = ".aws/cli/process-creds-cache";

/** Why the namespace tests cannot run here, or "" when they can. */
async function namespaceSupport(): Promise<string> {
  if (!E2E_SUPPORTED) return "needs Linux, setsid and python3";
  if (Deno.uid() !== 0) return "needs root (mount in a private namespace)";
  for (const tool of ["unshare", "setpriv", "mount"]) {
    if (!(await hasExecutable(tool))) return `needs ${tool}`;
  }
  const probe = await new Deno.Command("unshare", {
    args: [
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      "mount -t tmpfs -o size=16k tmpfs /mnt",
    ],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => undefined);
  return probe?.success
    ? ""
    : "cannot mount in a private namespace (unshare -m)";
}

const NAMESPACE_SKIP = await namespaceSupport();

/** A Deno.test that needs root and a private mount namespace. */
function namespaceTest(name: string, fn: () => Promise<void>): void {
  // A skipped test says why in its name.
  Deno.test({
    name: NAMESPACE_SKIP ? `${name} (skipped: ${NAMESPACE_SKIP})` : name,
    ignore: NAMESPACE_SKIP !== "",
    fn,
  });
}

/** The hostile IdP (a plain ADFS login) and STS. */
interface World extends AsyncDisposable {
  idp: HostileIdp;
  sts: StsEmulator;
  /** The cache key of `-a ROLE_DEV` against this IdP. */
  key: string;
  /** A fresh HOME (removed at the end). */
  home(): Promise<string>;
  /** Logs in with `-a ROLE_DEV`, the password from the environment. */
  login(
    home: string,
    options?: {
      env?: Record<string, string>;
      command?: string[];
      cwd?: string;
    },
  ): Promise<CliResult>;
}

function world(): World {
  const idp = startHostile({
    kind: "adfs",
    // An IdP session cookie, so an entry written would hold it.
    setCookies: ["MSISAuth=s3ss10n; Path=/; Secure"],
  });
  const sts = startSts();
  const homes: string[] = [];
  return {
    idp,
    sts,
    key: cacheKey({
      provider: "adfs",
      endpoint: new URL(idp.endpoint).href,
      username: HOSTILE_USER,
      roleArn: ROLE_DEV,
    }),
    async home() {
      const home = await Deno.makeTempDir({ prefix: "apc-hardc-" });
      homes.push(home);
      return home;
    },
    login: (home, options = {}) =>
      runCli([...idp.args(), "-a", ROLE_DEV], {
        home,
        env: {
          AWS_ENDPOINT_URL_STS: sts.url,
          AWSPROCESSCREDS_PASSWORD: PASSWORD,
          ...options.env,
        },
        command: options.command,
        cwd: options.cwd,
      }),
    async [Symbol.asyncDispose]() {
      await Promise.all([idp.close(), sts.close()]);
      for (const home of homes) {
        // A test may have left a directory owned by someone else or 0777.
        await Deno.remove(home, { recursive: true }).catch(() => {});
      }
    },
  };
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

/** Exit 0, the credentials alone on stdout, and stderr exactly `warnings` (substrings, one per line). */
function assertLoggedIn(r: CliResult, warnings: string[]): void {
  assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(parseCredentials(r.stdout).AccessKeyId, /^ASIA/);
  const got = lines(r.stderr);
  assert.equal(got.length, warnings.length, `stderr: ${r.stderr}`);
  for (const [i, warning] of warnings.entries()) {
    assert.ok(got[i].includes(warning), `want ${warning}\nstderr: ${r.stderr}`);
  }
  assert.ok(!r.stderr.includes(PASSWORD));
}

/**
 * Exit 0, the credentials alone on stdout, and exactly one stderr line with
 * `warning`, ending with `ending` (other lines: see the ignored
 * exact-one-line tests).
 */
function assertWarnedOnce(r: CliResult, warning: string, ending: string) {
  assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(parseCredentials(r.stdout).AccessKeyId, /^ASIA/);
  const matching = lines(r.stderr).filter((l) => l.includes(warning));
  assert.equal(matching.length, 1, `want ${warning}\nstderr: ${r.stderr}`);
  assert.ok(matching[0].endsWith(ending), r.stderr);
  assert.ok(!r.stderr.includes(PASSWORD));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const item of Deno.readDir(dir)) out.push(item.name);
  return out.sort();
}

// --- 1. a cache write that fails ------------------------------------------

/**
 * Logs in with `<key>.json` made a directory, which no rename can replace;
 * returns the run and the entry's path.
 */
async function entryIsADirectory(): Promise<{ r: CliResult; entry: string }> {
  await using w = world();
  const home = await w.home();
  const dir = `${home}/${CACHE}`;
  const entry = `${dir}/${w.key}.json`;
  await Deno.mkdir(entry, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir, 0o700);
  const r = await w.login(home);
  assert.ok((await Deno.lstat(entry)).isDirectory);
  // No temporary file is left behind.
  assert.deepEqual(
    (await names(dir)).filter((n) => n.endsWith(".tmp")),
    [],
  );
  return { r, entry };
}

e2eTest(
  "cache: an entry that cannot be replaced (a directory) costs only the cache",
  async () => {
    const { r, entry } = await entryIsADirectory();
    assertWarnedOnce(
      r,
      `Cannot write the cache entry ${entry}: `,
      "; the new credentials are printed but not cached",
    );
  },
);

e2eTest(
  "cache: an entry that cannot be replaced (a directory) gives exactly one warning line",
  async () => {
    const { r, entry } = await entryIsADirectory();
    assertLoggedIn(r, [`Cannot write the cache entry ${entry}: `]);
  },
);

/** Logs in with ~/.aws a regular file; returns the run and HOME. */
async function awsIsAFile(): Promise<{ r: CliResult; home: string }> {
  await using w = world();
  const home = await w.home();
  await Deno.writeTextFile(`${home}/.aws`, "not a directory\n");
  const r = await w.login(home);
  assert.equal(await Deno.readTextFile(`${home}/.aws`), "not a directory\n");
  return { r, home };
}

e2eTest(
  "cache: a cache directory that cannot be created (~/.aws is a file) costs only the cache",
  async () => {
    const { r, home } = await awsIsAFile();
    assertWarnedOnce(
      r,
      `Cannot create the cache directory ${home}/${CACHE}: `,
      "; continuing without the cache",
    );
  },
);

e2eTest(
  "cache: a cache directory that cannot be created (~/.aws is a file) gives exactly one warning line",
  async () => {
    const { r, home } = await awsIsAFile();
    assertLoggedIn(r, [`Cannot create the cache directory ${home}/${CACHE}: `]);
  },
);

namespaceTest(
  "cache: a full disk (16 KiB tmpfs over the cache directory) costs only the cache",
  async () => {
    await using w = world();
    const home = await w.home();
    const dir = `${home}/${CACHE}`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    // The tmpfs exists only in the child's mount namespace; it is filled
    // before main.ts starts.
    const script =
      'mount -t tmpfs -o size=16k,mode=0700 tmpfs "$1" && { head -c 65536 /dev/zero > "$1/filler" 2>/dev/null; shift; exec "$@"; }';
    const r = await w.login(home, {
      command: [
        "unshare",
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
        dir,
        Deno.execPath(),
        "run",
        "-A",
        "--cached-only",
        mainTs,
      ],
    });
    assertLoggedIn(r, [
      `Cannot write the cache entry ${dir}/${w.key}.json: `,
    ]);
    assert.match(r.stderr, /No space left on device/);
    assert.ok(
      r.stderr.trimEnd().endsWith(
        "; the new credentials are printed but not cached",
      ),
      r.stderr,
    );
    // The real directory below the tmpfs was never written.
    assert.deepEqual(await names(dir), []);
  },
);

// --- 2. a cache directory that cannot be trusted --------------------------

e2eTest(
  "cache: a cache directory that is a symlink, another user's, or 0777 is not used",
  async () => {
    await using w = world();
    const key = w.key;
    const cases: {
      what: string;
      problem: string;
      setUp(dir: string, home: string): Promise<void>;
    }[] = [
      {
        what: "a symbolic link",
        problem: "it is a symbolic link",
        async setUp(dir, home) {
          await Deno.mkdir(`${home}/elsewhere`, { mode: 0o700 });
          await Deno.mkdir(`${home}/.aws/cli`, { recursive: true });
          await Deno.symlink(`${home}/elsewhere`, dir);
        },
      },
      ...(Deno.uid() === 0
        ? [{
          what: "owned by nobody",
          problem: "it is owned by another user",
          async setUp(dir: string) {
            await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
            await Deno.chown(dir, 65534, 65534);
          },
        }]
        : []),
      {
        what: "mode 0777",
        problem: "others can write to it (mode 777",
        async setUp(dir) {
          await Deno.mkdir(dir, { recursive: true });
          await Deno.chmod(dir, 0o777);
        },
      },
    ];
    const homes = await Promise.all(cases.map(() => w.home()));
    await Promise.all(
      cases.map((c, i) => c.setUp(`${homes[i]}/${CACHE}`, homes[i])),
    );
    const results = await Promise.all(homes.map((home) => w.login(home)));
    // Nothing was written behind the link.
    assert.ok(
      !(await exists(`${homes[0]}/elsewhere/${key}.json`)),
      "an entry was written behind the symlink",
    );
    assert.deepEqual(await names(`${homes[0]}/elsewhere`), []);
    for (const [i, r] of results.entries()) {
      const dir = `${homes[i]}/${CACHE}`;
      const what = cases[i].what;
      // Neither an entry nor a lock file was written.
      assert.deepEqual(await names(dir), [], what);
      assertLoggedIn(r, [
        `Cannot use the cache directory ${dir}: ${cases[i].problem}`,
      ]);
      assert.ok(
        r.stderr.trimEnd().endsWith("; continuing without the cache"),
        `${what}: ${r.stderr}`,
      );
    }
  },
);

// --- 14. the lock file ----------------------------------------------------

e2eTest(
  "cache: a lock file that is a symlink out of the cache directory is never followed",
  async () => {
    await using w = world();
    const home = await w.home();
    const dir = `${home}/${CACHE}`;
    const lock = `${dir}/${w.key}.lock`;
    const target = `${home}/outside/created-through-the-lock`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.mkdir(`${home}/outside`, { mode: 0o700 });
    await Deno.symlink(target, lock);
    const r = await w.login(home);
    assert.ok(!(await exists(target)), "the lock's target was created");
    assert.deepEqual(await names(`${home}/outside`), []);
    assertLoggedIn(r, [`Cannot open the lock file ${lock}: `]);
    assert.match(
      r.stderr,
      /it is a symbolic link; continuing without the cache\n$/,
    );
    assert.ok((await Deno.lstat(lock)).isSymlink);
  },
);

// --- 3. HOME unset or empty -----------------------------------------------

/**
 * The argv prefix that runs main.ts in a private mount namespace where the
 * Deno cache is reachable at `denoAlias` (the real one may sit below a
 * /root that is hidden or closed), optionally with `rootHome` bound over
 * /root, then `prefix` (setpriv, env -u HOME) before deno.
 */
function inNamespace(
  denoDir: string,
  denoAlias: string,
  rootHome: string | undefined,
  prefix: string[],
  main: string = mainTs,
): string[] {
  const script = `mount --bind "$1" "$2" && ${
    rootHome ? 'mount --bind "$3" /root && ' : ""
  }shift 3 && exec "$@"`;
  return [
    "unshare",
    "-m",
    "--propagation",
    "private",
    "sh",
    "-c",
    script,
    "sh",
    denoDir,
    denoAlias,
    rootHome ?? "-",
    ...prefix,
    Deno.execPath(),
    "run",
    "-A",
    "--cached-only",
    main,
  ];
}

/**
 * A copy of the program (main.ts, lib/, deno.json, deno.lock) and of the
 * test CA that any user can read, in `dir`: the checkout itself may sit below
 * a directory only its owner can enter (a fresh clone in a mktemp -d, say).
 */
async function readableCopy(
  dir: string,
): Promise<{ main: string; ca: string }> {
  const root = new URL("../", import.meta.url).pathname;
  for (
    const part of [
      "main.ts",
      "lib",
      "deno.json",
      "deno.lock",
      "tests/fixtures/tls/ca.pem",
    ]
  ) {
    const out = await new Deno.Command("cp", {
      args: ["-r", `${root}${part}`, `${dir}/`],
    }).output();
    assert.ok(out.success, `cannot copy ${part}`);
  }
  const out = await new Deno.Command("chmod", { args: ["-R", "a+rX", dir] })
    .output();
  assert.ok(out.success, "cannot make the copy readable");
  return { main: `${dir}/main.ts`, ca: `${dir}/ca.pem` };
}

namespaceTest(
  "HOME unset or empty: the password database's home, never the working directory",
  async () => {
    await using w = world();
    const key = w.key;
    const denoDir = (await baseEnv("/")).DENO_DIR;
    const scratch = await w.home();
    const alias = `${scratch}/deno-dir`;
    await Deno.mkdir(alias);
    // A stand-in for /root (the passwd home of uid 0), one per run, and an
    // empty working directory anyone may write to.
    const runs = ["empty", "unset"] as const;
    const setUp = await Promise.all(runs.map(async (how) => {
      const rootHome = await w.home();
      const cwd = await w.home();
      await Deno.chmod(cwd, 0o777);
      return { how, rootHome, cwd };
    }));
    const results = await Promise.all(
      setUp.map(({ how, rootHome, cwd }) =>
        w.login(rootHome, {
          env: { DENO_DIR: alias, ...(how === "empty" ? { HOME: "" } : {}) },
          cwd,
          command: inNamespace(
            denoDir,
            alias,
            rootHome,
            how === "unset" ? ["env", "-u", "HOME"] : [],
          ),
        })
      ),
    );
    for (const [i, r] of results.entries()) {
      const { how, rootHome, cwd } = setUp[i];
      assert.deepEqual(
        await names(cwd),
        [],
        `HOME ${how}: the cwd was written`,
      );
      assertLoggedIn(r, []);
      assert.ok(
        await exists(`${rootHome}/${CACHE}/${key}.json`),
        `HOME ${how}: no cache entry in the passwd home`,
      );
    }
    // The real /root was hidden from the child throughout.
    assert.ok(!(await exists(`/root/${CACHE}/${key}.json`)));
  },
);

namespaceTest(
  "no home at all (HOME unset, no passwd entry): no cache, one warning, exit 0",
  async () => {
    const uid = 4242;
    const passwd = await Deno.readTextFile("/etc/passwd");
    assert.ok(
      !passwd.split("\n").some((l) => l.split(":")[2] === String(uid)),
      `uid ${uid} has a passwd entry here`,
    );
    await using w = world();
    const denoDir = (await baseEnv("/")).DENO_DIR;
    const scratch = await w.home();
    await Deno.chmod(scratch, 0o755);
    const alias = `${scratch}/deno-dir`;
    await Deno.mkdir(alias);
    const cwd = await w.home();
    await Deno.chmod(cwd, 0o777);
    const unused = await w.home();
    const program = await w.home();
    const { main, ca } = await readableCopy(program);
    const r = await w.login(unused, {
      env: { DENO_DIR: alias, DENO_CERT: ca },
      cwd,
      command: inNamespace(denoDir, alias, undefined, [
        "setpriv",
        `--reuid=${uid}`,
        `--regid=${uid}`,
        "--clear-groups",
        "env",
        "-u",
        "HOME",
      ], main),
    });
    assert.deepEqual(await names(cwd), [], "the cwd was written");
    assert.deepEqual(await names(unused), []);
    assertLoggedIn(r, [
      "No home directory (HOME is not set and the password database has none for this user); continuing without the cache",
    ]);
  },
);
