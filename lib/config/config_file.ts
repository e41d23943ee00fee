/**
 * Reading and writing the AWS config file itself.
 *
 * Reading is botocore's: a missing file (or a directory, as
 * `os.path.isfile` says) is no file at all; the bytes must be UTF-8 (Python
 * opens it with the locale's encoding, UTF-8 on Linux and macOS, and botocore
 * turns a UnicodeDecodeError into ConfigParseError). A byte order mark is
 * kept in the text so the parser can refuse it as botocore does.
 *
 * Writing is atomic: the new text goes to a temporary file in the same
 * directory (created 0600 by `Deno.makeTempFile`), is flushed, given the
 * mode of the file it replaces (0600 for a new file), and renamed over it. The
 * previous content is first saved the same way to `PATH.bak`, with the
 * config's mode. A symbolic link at PATH is followed: its target is replaced
 * and the link stays. No temporary file outlives the call.
 *
 * @module
 */
import { CliError } from "../errors.ts";
import { AwsConfigError } from "./aws_config.ts";

/** The config file could not be read or written. */
export class ConfigFileError extends CliError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "ConfigFileError";
  }
}

/** What `writeConfigFile` did. */
export interface WriteResult {
  /** False when the file already held exactly this text (nothing written). */
  changed: boolean;
  /** Where the previous content was saved, when there was one. */
  backupPath?: string;
}

const isWindows = Deno.build.os === "windows";

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads the config file's text, or undefined when there is no file (or it is
 * a directory). Synchronous: on the cache-hit path a first async read costs
 * about 0.4 ms more.
 *
 * @throws {AwsConfigError} when the bytes are not UTF-8.
 * @throws {ConfigFileError} when the file exists but cannot be read.
 */
export function readConfigFile(path: string): string | undefined {
  let text: string;
  try {
    // Lossy UTF-8 that keeps a BOM; a strict TextDecoder costs about 0.2 ms
    // on first use, so it runs only when a U+FFFD shows up.
    text = Deno.readTextFileSync(path);
    if (!text.includes("\ufffd")) return text;
    const bytes = Deno.readFileSync(path);
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      bytes,
    );
  } catch (error) {
    if (
      error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.IsADirectory
    ) {
      return undefined;
    }
    if (error instanceof TypeError) {
      throw new AwsConfigError(
        path,
        undefined,
        "the file is not valid UTF-8, which botocore cannot read",
      );
    }
    throw new ConfigFileError(`Cannot read ${path}: ${reason(error)}`, {
      cause: error,
    });
  }
}

/**
 * The config file botocore reads: `AWS_CONFIG_FILE` when set (even empty),
 * else `~/.aws/config`, with `$NAME`/`${NAME}` expanded from `env` and then a
 * leading `~` or `~/` replaced by `HOME` (botocore/configloader.py
 * `raw_config_parse`: `os.path.expandvars`, then `os.path.expanduser`; unknown
 * variables stay as written). Where Python would ask the password database
 * (no `HOME`, or `~user`), this uses `USERPROFILE` for `~` and leaves `~user`
 * as written. Windows' `%NAME%` is not expanded.
 */
export function configFilePath(
  env: Record<string, string | undefined>,
): string {
  let path = env.AWS_CONFIG_FILE ?? "~/.aws/config";
  if (path.includes("$")) {
    path = path.replace(
      /\$([A-Za-z0-9_]+|\{[^}]*\})/g,
      (match, name: string) => {
        const value = env[name.startsWith("{") ? name.slice(1, -1) : name];
        return value ?? match;
      },
    );
  }
  if (path === "~" || path.startsWith("~/")) {
    const home = env.HOME ?? env.USERPROFILE;
    if (home !== undefined) {
      path = home.replace(/\/+$/, "") + path.slice(1) || "/";
    }
  }
  return path;
}

/** Splits "dir/name" into the directory ("." when none) and the name. */
function splitPath(path: string): [string, string] {
  const i = Math.max(
    path.lastIndexOf("/"),
    isWindows ? path.lastIndexOf("\\") : -1,
  );
  if (i < 0) return [".", path];
  return [i === 0 ? "/" : path.slice(0, i), path.slice(i + 1)];
}

async function writeAllTo(file: Deno.FsFile, bytes: Uint8Array) {
  let written = 0;
  while (written < bytes.length) {
    written += await file.write(bytes.subarray(written));
  }
}

/**
 * Replaces `target` with `bytes` atomically: a temporary file next to it,
 * flushed, chmod `mode`, renamed over it. The temporary file is removed if
 * anything fails.
 */
async function replaceAtomically(
  target: string,
  bytes: Uint8Array,
  mode: number,
): Promise<void> {
  const [dir, name] = splitPath(target);
  const temp = await Deno.makeTempFile({
    dir,
    prefix: `.${name}.`,
    suffix: ".tmp",
  });
  try {
    const file = await Deno.open(temp, { write: true, truncate: true });
    try {
      await writeAllTo(file, bytes);
      await file.sync();
    } finally {
      file.close();
    }
    if (!isWindows) await Deno.chmod(temp, mode);
    await Deno.rename(temp, target);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

async function statOrUndefined(
  path: string,
): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Writes the config file atomically, keeping its mode (a new file is 0600 in
 * a directory created 0700), after saving the previous content to
 * `path + ".bak"` with the same mode. Writes nothing when the file already
 * holds `text`.
 *
 * @throws {ConfigFileError} when the file or its backup cannot be written;
 * the config file is then unchanged.
 */
export async function writeConfigFile(
  path: string,
  text: string,
): Promise<WriteResult> {
  const bytes = new TextEncoder().encode(text);
  const backupPath = `${path}.bak`;
  try {
    const info = await statOrUndefined(path);
    if (info && !info.isFile) throw new Error("it is not a regular file");
    // Follow a symbolic link so that the link survives the rename.
    const target = info && (await Deno.lstat(path)).isSymlink
      ? await Deno.realPath(path)
      : path;
    if (!info) {
      const [dir] = splitPath(path);
      try {
        await Deno.lstat(dir);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
        await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
        if (!isWindows) await Deno.chmod(dir, 0o700);
      }
    }
    const mode = info?.mode != null ? info.mode & 0o777 : 0o600;
    if (info) {
      const previous = await Deno.readFile(target);
      if (sameBytes(previous, bytes)) return { changed: false };
      await replaceAtomically(backupPath, previous, mode);
      await replaceAtomically(target, bytes, mode);
      return { changed: true, backupPath };
    }
    await replaceAtomically(target, bytes, mode);
    return { changed: true };
  } catch (error) {
    throw new ConfigFileError(`Cannot write ${path}: ${reason(error)}`, {
      cause: error,
    });
  }
}
