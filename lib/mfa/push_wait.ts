/**
 * Waiting for a push approval: the same loop for every IdP. The provider
 * says how to poll and what each answer means; this file shows the prompt
 * and the number to tap, paces the polls and keeps the deadline.
 *
 * @module
 */
import { MfaError } from "../errors.ts";
import type { MfaContext } from "./mfa_context.ts";

/** How long to wait between polls when the IdP does not say. */
export const PUSH_POLL_MS = 2_000;

/** What one answer of the IdP says about the push. */
export interface PushState<T> {
  /** Set when the push was approved: what the login goes on with. */
  done?: T;
  /** The number the person must pick on the device, if the IdP asks. */
  number?: string | number;
  /** How long the IdP asks to wait before the next poll, in ms. */
  refreshMs?: number;
}

/** One push, as a provider describes it. */
export interface PushWait<T> {
  /** The IdP's name for messages ("Okta", "ADFS"). */
  idp: string;
  /** Shown once, while waiting ("Approve the Okta Verify push on your device"). */
  approve: string;
  /** The line that shows the number ("Tap 42 on your device"). */
  numberText(number: string): string;
  /** The answer to the request that sent the push. */
  first: PushState<T>;
  /** Asks the IdP again; throws (e.g. MfaError) when the push was refused. */
  poll(): Promise<PushState<T>>;
  /** Epoch ms after which the wait ends (default: now + --mfa-timeout). */
  deadline?: number;
  /** The error for a wait that ran out (default: a generic timeout). */
  timedOut?(): MfaError;
}

/** A push number must be a small integer: anything else is refused. */
const NUMBER = /^\d{1,3}$/;

/**
 * Polls until the push is approved and returns what the provider said then.
 * Every wait is the IdP's `refreshMs` (or {@link PUSH_POLL_MS}), including the
 * one before the first poll; no poll is sent after the deadline.
 *
 * @throws {MfaError} when the deadline passes, the IdP sends a number that is
 *   not a small integer, or the provider's poll throws.
 */
export async function awaitPush<T>(
  ctx: MfaContext,
  wait: PushWait<T>,
): Promise<T> {
  const deadline = wait.deadline ??
    ctx.clock.now().getTime() + ctx.mfaTimeoutMs;
  let state = wait.first;
  let told = false;
  let shown: string | undefined;
  let hide: (() => void) | undefined;
  try {
    for (let poll = 1;; poll++) {
      if (state.done !== undefined) return state.done;
      if (!told) {
        told = true;
        await ctx.prompter.say(wait.approve);
      }
      if (state.number !== undefined && String(state.number) !== shown) {
        shown = String(state.number);
        if (!NUMBER.test(shown)) {
          throw new MfaError(
            `Cannot complete ${wait.idp} MFA: the push number from ${wait.idp} is not a small number`,
          );
        }
        hide?.();
        hide = await ctx.prompter.notice(wait.numberText(shown));
      }
      const interval = state.refreshMs && state.refreshMs > 0
        ? state.refreshMs
        : PUSH_POLL_MS;
      const left = deadline - ctx.clock.now().getTime();
      if (left < interval) {
        if (left > 0) await ctx.clock.sleep(left);
        throw wait.timedOut?.() ?? timeoutError(ctx, wait.idp);
      }
      await ctx.clock.sleep(interval);
      ctx.logger.debug(`${wait.idp} MFA: polling the push (${poll})`);
      state = await wait.poll();
    }
  } finally {
    hide?.();
  }
}

/** "… was not approved within N s" with the --mfa-timeout advice. */
export function timeoutError(ctx: MfaContext, idp: string): MfaError {
  const seconds = Math.round(ctx.mfaTimeoutMs / 100) / 10;
  return new MfaError(
    `${idp} MFA failed: the push timed out: it was not approved within ${seconds} s. Approve it sooner, or wait longer with --mfa-timeout SECONDS`,
  );
}
