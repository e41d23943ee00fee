// deno-lint-ignore-file no-console
/**
 * The demo (deno task demo): starts the local Okta, ADFS and STS emulators,
 * runs one Okta and one ADFS login through main.ts exactly as credential_process
 * would, prints the credentials JSON, then shows a second call served from the
 * cache. Everything stays on 127.0.0.1; HOME is a temporary directory.
 */
import { PASSWORD, ROLE_DEV } from "./emulators/fixtures.ts";
import { baseEnv } from "./support/cli.ts";
import { startAdfs } from "./emulators/adfs.ts";
import { startOkta } from "./emulators/okta.ts";
import { startSts } from "./emulators/sts.ts";

const main = new URL("../main.ts", import.meta.url).href;
const okta = startOkta();
const adfs = startAdfs();
const sts = startSts();
const home = await Deno.makeTempDir({ prefix: "awsprocesscreds-demo-" });
const env = {
  ...(await baseEnv(home)),
  USERPROFILE: home,
  AWS_ENDPOINT_URL_STS: sts.url,
  AWSPROCESSCREDS_PASSWORD: PASSWORD,
};

async function call(label: string, args: string[]): Promise<void> {
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  const dec = new TextDecoder();
  console.log(`\n$ awsprocesscreds-saml ${args.join(" ")}`);
  console.log(`  (${label}: exit ${out.code}, ${ms.toFixed(0)} ms)`);
  const stderr = dec.decode(out.stderr).trim();
  if (stderr) console.log(stderr.replace(/^/gm, "  stderr| "));
  console.log(dec.decode(out.stdout).trim());
  if (!out.success) throw new Error(`${label} failed`);
}

try {
  console.log("Emulators on 127.0.0.1 (test CA, no traffic beyond loopback):");
  console.log(`  Okta ${okta.url}   ADFS ${adfs.url}   STS ${sts.url}`);
  console.log(`  HOME=${home}  (password from AWSPROCESSCREDS_PASSWORD)`);
  const oktaArgs = [
    "-e",
    okta.embedUrl,
    "-u",
    "alice@example.com",
    "-p",
    "okta",
    "-a",
    ROLE_DEV,
  ];
  const adfsArgs = [
    "-e",
    adfs.entryUrl,
    "-u",
    "EXAMPLE\\alice",
    "-p",
    "adfs",
    "-a",
    ROLE_DEV,
  ];
  await call("Okta login", oktaArgs);
  await call("ADFS login", adfsArgs);
  const before = okta.requests.length + sts.requests.length;
  await call("Okta again, from the cache", [...oktaArgs, "-v"]);
  console.log(
    `\nRequests sent by the cached call: ${
      okta.requests.length + sts.requests.length - before
    }`,
  );
} finally {
  await Promise.all([okta.close(), adfs.close(), sts.close()]);
  await Deno.remove(home, { recursive: true });
}
