/**
 * Starts the Okta, ADFS and STS emulators on 127.0.0.1 and keeps them running
 * until interrupted, for smoke tests of a built binary (release workflow) or
 * manual tries:
 *
 *     deno run -A tests/serve_emulators.ts [--env-file PATH]
 *
 * Prints KEY=VALUE lines (endpoints, the test CA, the test account) to
 * stdout. With --env-file they are also written to PATH, atomically, once
 * every emulator listens; the file is removed again on shutdown. Values are
 * not quoted: read the file line by line (`export "$line"` in bash), not with
 * `source`, since a Windows CA path has backslashes and the password spaces.
 *
 * Stops on SIGINT or SIGTERM (Unix) and on Ctrl-C or Ctrl-Break (Windows).
 * Needs nothing but Deno: no python, openssl or setsid.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { startAdfs } from "./emulators/adfs.ts";
import { PASSWORD, ROLE_DEV } from "./emulators/fixtures.ts";
import { startOkta } from "./emulators/okta.ts";
import { startSts } from "./emulators/sts.ts";

const USAGE = `Usage: deno run -A tests/serve_emulators.ts [--env-file PATH]

Starts the Okta, ADFS and STS emulators on 127.0.0.1 and prints their
settings as KEY=VALUE lines (also written to PATH with --env-file). Runs until
interrupted.`;

const encoder = new TextEncoder();
function write(stream: { writeSync(p: Uint8Array): number }, text: string) {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += stream.writeSync(bytes.subarray(written));
  }
}

let args;
try {
  args = parseArgs({
    args: Deno.args,
    strict: true,
    allowPositionals: false,
    options: {
      "env-file": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (error) {
  write(
    Deno.stderr,
    `serve_emulators: ${(error as Error).message}\n${USAGE}\n`,
  );
  Deno.exit(2);
}
if (args.help) {
  write(Deno.stdout, `${USAGE}\n`);
  Deno.exit(0);
}

/** The test CA as a native path (backslashes on Windows). */
const caFile = fileURLToPath(new URL("./fixtures/tls/ca.pem", import.meta.url));

const okta = startOkta();
const adfs = startAdfs();
const sts = startSts();

const settings: Record<string, string> = {
  OKTA_ENDPOINT: okta.embedUrl,
  ADFS_ENDPOINT: adfs.entryUrl,
  AWS_ENDPOINT_URL_STS: sts.url,
  CA_FILE: caFile,
  DENO_CERT: caFile,
  NO_PROXY: "127.0.0.1,localhost",
  TEST_USERNAME: "alice@example.com",
  TEST_PASSWORD: PASSWORD,
  TEST_ROLE_ARN: ROLE_DEV,
};
const lines = Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join(
  "",
);

const envFile = args["env-file"];
if (envFile) {
  // Write then rename, so a poller never reads half a file.
  const tmp = `${envFile}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, lines);
  await Deno.rename(tmp, envFile);
}
write(Deno.stdout, lines);
write(
  Deno.stderr,
  `serve_emulators: listening${
    envFile ? `, settings in ${envFile}` : ""
  }; stop with Ctrl-C\n`,
);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  write(Deno.stderr, `serve_emulators: ${signal}, stopping\n`);
  if (envFile) await Deno.remove(envFile).catch(() => {});
  await Promise.allSettled([okta.close(), adfs.close(), sts.close()]);
  Deno.exit(0);
}

const signals: Deno.Signal[] = Deno.build.os === "windows"
  ? ["SIGINT", "SIGBREAK"]
  : ["SIGINT", "SIGTERM", "SIGHUP"];
for (const signal of signals) {
  Deno.addSignalListener(signal, () => void stop(signal));
}
