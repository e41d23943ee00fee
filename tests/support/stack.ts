/**
 * The emulators a test needs, started together, plus a runner that points
 * main.ts at them.
 *
 * @module
 */
import {
  type AdfsEmulator,
  type AdfsOptions,
  startAdfs,
} from "../emulators/adfs.ts";
import {
  type OktaEmulator,
  type OktaOptions,
  startOkta,
} from "../emulators/okta.ts";
import {
  startSts,
  type StsEmulator,
  type StsOptions,
} from "../emulators/sts.ts";
import { type CliOptions, type CliResult, runCli, spawnCli } from "./cli.ts";

/** A running set of emulators and a temporary HOME. */
export interface Stack {
  okta: OktaEmulator;
  adfs: AdfsEmulator;
  sts: StsEmulator;
  home: string;
  /** Environment that points STS at the emulator. */
  env: Record<string, string>;
  /** Runs main.ts against the stack (HOME, CA, STS endpoint set). */
  run(args: string[], options?: Partial<CliOptions>): Promise<CliResult>;
  /** Starts main.ts without a terminal; the caller waits for or kills it. */
  spawn(
    args: string[],
    options?: Partial<CliOptions>,
  ): Promise<Deno.ChildProcess>;
  /** The Okta arguments for `user` (`-e … -u user -p okta`). */
  oktaArgs(user: string): string[];
  /** The ADFS arguments for `user`. */
  adfsArgs(user: string): string[];
  /** The cache directory below HOME. */
  cacheDir: string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What to start. */
export interface StackOptions {
  okta?: OktaOptions;
  adfs?: AdfsOptions;
  sts?: StsOptions;
  /**
   * Milliseconds every emulator waits before each response, standing in for
   * a network round trip; an emulator's own `latencyMs` option wins.
   */
  latencyMs?: number;
}

/** Starts the Okta, ADFS and STS emulators and makes a temporary HOME. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const { latencyMs } = options;
  const okta = startOkta({ latencyMs, ...options.okta });
  const adfs = startAdfs({ latencyMs, ...options.adfs });
  const sts = startSts({ latencyMs, ...options.sts });
  const home = await Deno.makeTempDir({ prefix: "apc-home-" });
  const env = { AWS_ENDPOINT_URL_STS: sts.url };
  const close = async () => {
    await Promise.all([okta.close(), adfs.close(), sts.close()]);
    await Deno.remove(home, { recursive: true }).catch(() => {});
  };
  return {
    okta,
    adfs,
    sts,
    home,
    env,
    cacheDir: `${home}/.aws/cli/process-creds-cache`,
    run: (args, runOptions = {}) =>
      runCli(args, {
        ...runOptions,
        home,
        env: { ...env, ...runOptions.env },
      }),
    spawn: (args, runOptions = {}) =>
      spawnCli(args, {
        ...runOptions,
        home,
        env: { ...env, ...runOptions.env },
      }),
    oktaArgs: (user) => ["-e", okta.embedUrl, "-u", user, "-p", "okta"],
    adfsArgs: (user) => ["-e", adfs.entryUrl, "-u", user, "-p", "adfs"],
    close,
    [Symbol.asyncDispose]: close,
  };
}
