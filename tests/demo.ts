// deno-lint-ignore-file no-console
/**
 * The demo (deno task demo): starts the local emulators (an Okta Classic org,
 * an Okta Identity Engine org, ADFS, a Shibboleth-style form IdP, STS), runs
 * one login with each through main.ts exactly as credential_process would,
 * prints the credentials JSON, then sets up profiles with `configure` and
 * shows a `--profile` call served from the cache. Everything stays on
 * 127.0.0.1; HOME is a temporary directory.
 */
import { PASSWORD, ROLE_DEV } from "./emulators/fixtures.ts";
import { baseEnv } from "./support/cli.ts";
import { startAdfs } from "./emulators/adfs.ts";
import { startFormIdp } from "./emulators/form_idp.ts";
import { startOkta } from "./emulators/okta.ts";
import { startSts } from "./emulators/sts.ts";

const main = new URL("../main.ts", import.meta.url).href;
const okta = startOkta();
const oie = startOkta({ pipeline: "idx" });
const adfs = startAdfs();
const form = startFormIdp();
const sts = startSts();
const home = await Deno.makeTempDir({ prefix: "awsprocesscreds-demo-" });
const env = {
  ...(await baseEnv(home)),
  USERPROFILE: home,
  AWS_ENDPOINT_URL_STS: sts.url,
  AWSPROCESSCREDS_PASSWORD: PASSWORD,
  AWS_CONFIG_FILE: `${home}/.aws/config`,
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
  console.log(`  Okta Classic ${okta.url}   Okta Identity Engine ${oie.url}`);
  console.log(`  ADFS ${adfs.url}   form IdP ${form.url}   STS ${sts.url}`);
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
  await call("Okta Classic login", oktaArgs);
  await call("Okta Identity Engine login", [
    "-e",
    oie.embedUrl,
    "-u",
    "alice@example.com",
    "-p",
    "okta",
    "-a",
    ROLE_DEV,
  ]);
  await call("ADFS login", adfsArgs);
  await call("Shibboleth-style form login", [
    "-e",
    form.urls.shibboleth,
    "-u",
    "alice",
    "-p",
    "form",
    "-a",
    ROLE_DEV,
  ]);
  await call("configure: one profile per granted role", [
    "configure",
    "-p",
    "okta",
    "-e",
    okta.embedUrl,
    "-u",
    "alice@example.com",
    "--all-roles",
    "--profile-prefix",
    "demo-",
  ]);
  console.log(`\n$ cat ${home}/.aws/config`);
  console.log(await Deno.readTextFile(`${home}/.aws/config`));
  const before = okta.requests.length + sts.requests.length;
  await call("a profile, from the cache", [
    "--profile",
    "demo-123456789012-dev",
    "-v",
  ]);
  console.log(
    `\nRequests sent by the cached call: ${
      okta.requests.length + sts.requests.length - before
    }`,
  );
} finally {
  await Promise.all([
    okta.close(),
    oie.close(),
    adfs.close(),
    form.close(),
    sts.close(),
  ]);
  await Deno.remove(home, { recursive: true });
}
