/**
 * Runs the whole program in this process: lib/cli.ts with the emulators, a
 * scripted prompter and buffers for stdout and stderr. Fast and independent
 * of the OS (no pty, no subprocess), so most behaviour is tested this way;
 * the pty tests keep what only a real terminal shows.
 *
 * @module
 */
import { cli } from "../../lib/cli.ts";
import type { Clock } from "../../lib/clock.ts";
import { systemClock } from "../../lib/clock.ts";
import { caFile } from "../emulators/server.ts";
import {
  type ScriptedPrompter,
  scriptedPrompter,
} from "./scripted_prompter.ts";
import { tlsFetch } from "./tls_fetch.ts";

const stsClient = Deno.createHttpClient({
  caCerts: [Deno.readTextFileSync(caFile)],
});

/** How to run. */
export interface InProcessOptions {
  /** HOME (the cache lives below it). */
  home: string;
  /** Environment (AWS_ENDPOINT_URL_STS and the rest). */
  env?: Record<string, string>;
  /** Answers to prompts; `null` (default): nothing can ask. */
  answers?: string[] | null;
  /** The clock (default: the real one). */
  clock?: Clock;
  /** The fetch for the IdP (default: trusts the test CA). */
  fetch?: typeof fetch;
}

/** What a run printed, and how it ended. */
export interface InProcessResult {
  /** The exit code. */
  code: number;
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr. */
  stderr: string;
  /** The prompter, with its transcript. */
  prompter: ScriptedPrompter;
}

/** Runs `argv` through lib/cli.ts in this process. */
export async function runInProcess(
  argv: string[],
  options: InProcessOptions,
): Promise<InProcessResult> {
  let stdout = "";
  let stderr = "";
  const prompter = scriptedPrompter(
    options.answers === undefined ? null : options.answers,
  );
  const code = await cli(argv, {
    env: { ...options.env },
    stdout: (text) => stdout += text,
    stderr: (text) => stderr += text,
    fetch: options.fetch ?? tlsFetch,
    clock: options.clock ?? systemClock,
    terminal: prompter,
    home: options.home,
    stsRequestInit: () => ({ client: stsClient } as RequestInit),
  });
  return { code, stdout, stderr, prompter };
}
