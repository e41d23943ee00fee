import assert from "node:assert/strict";
import { AwsConfigError } from "../lib/config/aws_config.ts";
import {
  ConfigFileError,
  configFilePath,
  readConfigFile,
  writeConfigFile,
} from "../lib/config/config_file.ts";

const POSIX = Deno.build.os !== "windows";

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function mode(path: string): Promise<number> {
  return (await Deno.lstat(path)).mode! & 0o777;
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) out.push(entry.name);
  return out.sort();
}

Deno.test("readConfigFile() gives undefined for no file or a directory, and the exact text otherwise", async () => {
  await withTempDir(async (dir) => {
    assert.equal(readConfigFile(`${dir}/config`), undefined);
    assert.equal(readConfigFile(`${dir}/missing/config`), undefined);
    assert.equal(readConfigFile(dir), undefined);
    const text = "\ufeff[default]\r\nregion = é\r\n";
    await Deno.writeTextFile(`${dir}/config`, text);
    // The BOM is kept so that the parser refuses it as botocore does.
    assert.equal(readConfigFile(`${dir}/config`), text);
    // A real U+FFFD is text like any other.
    await Deno.writeTextFile(`${dir}/config`, "[a]\nk = \ufffd\n");
    assert.equal(readConfigFile(`${dir}/config`), "[a]\nk = \ufffd\n");
  });
});

Deno.test("readConfigFile() refuses bytes that are not UTF-8, naming the file", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(
      `${dir}/config`,
      new Uint8Array([0x5b, 0x61, 0x5d, 0x0a, 0xff, 0xfe]),
    );
    assert.throws(
      () => readConfigFile(`${dir}/config`),
      (error: unknown) =>
        error instanceof AwsConfigError &&
        error.message.includes(`${dir}/config`) &&
        /not valid UTF-8/.test(error.message),
    );
  });
});

Deno.test({
  name:
    "writeConfigFile() creates a new file 0600 in a new 0700 directory, without backup",
  ignore: !POSIX,
  fn: async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/home/.aws/config`;
      const result = await writeConfigFile(path, "[default]\n");
      assert.deepEqual(result, { changed: true });
      assert.equal(await Deno.readTextFile(path), "[default]\n");
      assert.equal(await mode(path), 0o600);
      assert.equal(await mode(`${dir}/home/.aws`), 0o700);
      assert.deepEqual(await names(`${dir}/home/.aws`), ["config"]);
    });
  },
});

Deno.test({
  name:
    "writeConfigFile() keeps the file's mode and saves the previous content as config.bak with that mode",
  ignore: !POSIX,
  fn: async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/config`;
      await Deno.writeTextFile(path, "old\n");
      await Deno.chmod(path, 0o640);
      // A stale, more readable backup is replaced and tightened.
      await Deno.writeTextFile(`${path}.bak`, "stale\n");
      await Deno.chmod(`${path}.bak`, 0o666);
      const result = await writeConfigFile(path, "new\n");
      assert.deepEqual(result, { changed: true, backupPath: `${path}.bak` });
      assert.equal(await Deno.readTextFile(path), "new\n");
      assert.equal(await Deno.readTextFile(`${path}.bak`), "old\n");
      assert.equal(await mode(path), 0o640);
      assert.equal(await mode(`${path}.bak`), 0o640);

      await Deno.chmod(path, 0o600);
      await writeConfigFile(path, "newer\n");
      assert.equal(await Deno.readTextFile(`${path}.bak`), "new\n");
      assert.equal(await mode(path), 0o600);
      assert.equal(await mode(`${path}.bak`), 0o600);
      assert.deepEqual(await names(dir), ["config", "config.bak"]);
    });
  },
});

Deno.test("writeConfigFile() writes nothing when the content is the same", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/config`;
    await Deno.writeTextFile(path, "same\r\n");
    assert.deepEqual(await writeConfigFile(path, "same\r\n"), {
      changed: false,
    });
    assert.deepEqual(await names(dir), ["config"]);
  });
});

Deno.test("writeConfigFile() keeps bytes exactly (CRLF, BOM, no final newline)", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/config`;
    const text = "\ufeff[a]\r\nk = ü\rj = 1";
    await writeConfigFile(path, text);
    assert.deepEqual(
      await Deno.readFile(path),
      new TextEncoder().encode(text),
    );
    assert.equal(readConfigFile(path), text);
  });
});

Deno.test({
  name:
    "writeConfigFile() leaves the config untouched and no temporary file when it fails",
  ignore: !POSIX,
  fn: async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/config`;
      await Deno.writeTextFile(path, "old\n");
      // The backup cannot be written: config.bak is a non-empty directory.
      await Deno.mkdir(`${path}.bak`);
      await Deno.writeTextFile(`${path}.bak/x`, "");
      await assert.rejects(
        () => writeConfigFile(path, "new\n"),
        (error: unknown) =>
          error instanceof ConfigFileError &&
          error.message.startsWith(`Cannot write ${path}: `),
      );
      assert.equal(await Deno.readTextFile(path), "old\n");
      assert.deepEqual(await names(dir), ["config", "config.bak"]);

      // The config's directory is a file.
      await assert.rejects(
        () => writeConfigFile(`${path}.bak/x/config`, "new\n"),
        ConfigFileError,
      );
      assert.deepEqual(await names(`${path}.bak`), ["x"]);
      // A directory is not a config file to replace.
      await assert.rejects(
        () => writeConfigFile(`${path}.bak`, "new\n"),
        ConfigFileError,
      );
      assert.deepEqual(await names(dir), ["config", "config.bak"]);
    });
  },
});

Deno.test("writeConfigFile() replaces atomically: a reader sees the old or the new file, never a mix", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/config`;
    const a = `[a]\n${"a = 1\n".repeat(200_000)}`;
    const b = `[b]\n${"b = 2\n".repeat(150_000)}`;
    await writeConfigFile(path, a);
    let writing = true;
    const writer = (async () => {
      try {
        for (let i = 0; i < 10; i++) await writeConfigFile(path, i % 2 ? a : b);
      } finally {
        writing = false;
      }
    })();
    let reads = 0;
    while (writing) {
      const text = await Deno.readTextFile(path);
      assert.ok(text === a || text === b, `partial read of ${text.length}`);
      reads++;
    }
    await writer;
    assert.ok(reads > 0);
    assert.deepEqual(await names(dir), ["config", "config.bak"]);
  });
});

Deno.test({
  name: "writeConfigFile() follows a symbolic link and keeps it",
  ignore: !POSIX,
  fn: async () => {
    await withTempDir(async (dir) => {
      await Deno.mkdir(`${dir}/dotfiles`);
      await Deno.writeTextFile(`${dir}/dotfiles/aws-config`, "old\n");
      await Deno.chmod(`${dir}/dotfiles/aws-config`, 0o600);
      await Deno.mkdir(`${dir}/.aws`);
      await Deno.symlink(`${dir}/dotfiles/aws-config`, `${dir}/.aws/config`);
      await writeConfigFile(`${dir}/.aws/config`, "new\n");
      assert.ok((await Deno.lstat(`${dir}/.aws/config`)).isSymlink);
      assert.equal(
        await Deno.readTextFile(`${dir}/dotfiles/aws-config`),
        "new\n",
      );
      assert.equal(await Deno.readTextFile(`${dir}/.aws/config.bak`), "old\n");
      assert.equal(await mode(`${dir}/.aws/config.bak`), 0o600);
      assert.deepEqual(await names(`${dir}/dotfiles`), ["aws-config"]);
    });
  },
});

Deno.test("configFilePath() follows botocore: AWS_CONFIG_FILE, $VARS, then ~", () => {
  assert.equal(configFilePath({ HOME: "/home/a" }), "/home/a/.aws/config");
  assert.equal(configFilePath({ HOME: "/home/a/" }), "/home/a/.aws/config");
  assert.equal(
    configFilePath({ HOME: "/h", AWS_CONFIG_FILE: "/etc/aws" }),
    "/etc/aws",
  );
  assert.equal(
    configFilePath({
      HOME: "/h",
      X: "x y",
      AWS_CONFIG_FILE: "~/$X/${X}/$NOPE/${}/c",
    }),
    "/h/x y/x y/$NOPE/${}/c",
  );
  // expandvars runs first, so a variable may bring the ~.
  assert.equal(
    configFilePath({ HOME: "/h", D: "~/d", AWS_CONFIG_FILE: "$D/config" }),
    "/h/d/config",
  );
  assert.equal(
    configFilePath({ HOME: "/h", AWS_CONFIG_FILE: "~bob/c" }),
    "~bob/c",
  );
  assert.equal(configFilePath({ HOME: "/h", AWS_CONFIG_FILE: "" }), "");
  assert.equal(
    configFilePath({ USERPROFILE: "C:\\Users\\a" }),
    "C:\\Users\\a/.aws/config",
  );
  assert.equal(configFilePath({}), "~/.aws/config");
});
