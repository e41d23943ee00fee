/**
 * Asking for a one-time code and sending it until the IdP accepts one: the
 * same rules for every IdP and every code factor.
 *
 * - AWSPROCESSCREDS_MFA_CODE, when set, is the first code tried.
 * - At most {@link CODE_TRIES} codes are sent in all; each refusal is shown
 *   (the IdP's own words) and the code is asked again.
 * - An empty answer sends no code and uses up no try: it asks the IdP to send
 *   the code again where the factor can (SMS, call, email), and otherwise
 *   just asks again. After {@link MAX_EMPTY_ANSWERS} empty answers the login
 *   stops.
 *
 * @module
 */
import { MfaError, NoTerminalError } from "../errors.ts";
import type { MfaContext } from "./mfa_context.ts";

/** Codes sent per factor, the one from the environment included. */
export const CODE_TRIES = 3;
/** Empty answers accepted per factor before giving up. */
export const MAX_EMPTY_ANSWERS = 5;

/** What the IdP made of a code: the next step, or its refusal. */
export type CodeVerdict<T> = { accepted: T } | { rejected: string };

/** One code factor, as a provider describes it. */
export interface CodeEntry<T> {
  /** The IdP's name for messages ("Okta", "ADFS"). */
  idp: string;
  /** What the code is ("Okta Verify code", "SMS code"). */
  what: string;
  /** The prompt ("SMS code (Enter to resend): "). */
  label: string;
  /** Ask without showing what is typed. */
  hidden?: boolean;
  /** Sends one code; says whether the IdP took it. */
  submit(code: string): Promise<CodeVerdict<T>>;
  /** Sends the code again; when given, an empty answer calls it. */
  resend?(): Promise<void>;
}

/**
 * Gets a code accepted and returns what the IdP answered to it.
 *
 * @throws {MfaError} after {@link CODE_TRIES} refusals or too many empty
 *   answers, or when the code from the environment was refused and nothing
 *   can ask for another.
 * @throws {NoTerminalError} when no code is in the environment and nothing
 *   can ask for one.
 */
export async function enterCode<T>(
  ctx: MfaContext,
  entry: CodeEntry<T>,
): Promise<T> {
  let envCode = ctx.takeEnvCode()?.trim() || undefined;
  let empty = 0;
  let lastRefusal = "";
  for (let attempt = 1; attempt <= CODE_TRIES; attempt++) {
    let code: string;
    if (envCode) {
      code = envCode;
      envCode = undefined;
      ctx.logger.debug(
        `${entry.idp} MFA: using the code from AWSPROCESSCREDS_MFA_CODE`,
      );
    } else {
      for (;;) {
        code = (await ask(ctx, entry, lastRefusal)).trim();
        if (code) break;
        if (++empty > MAX_EMPTY_ANSWERS) {
          throw new MfaError(
            `Cannot complete ${entry.idp} MFA: no ${entry.what} was entered`,
          );
        }
        if (entry.resend) await entry.resend();
        else await ctx.prompter.say("Please enter the code.");
      }
    }
    const verdict = await entry.submit(code);
    if ("accepted" in verdict) return verdict.accepted;
    lastRefusal = verdict.rejected;
    ctx.logger.debug(
      `${entry.idp} MFA: the ${entry.what} was not accepted, try ${attempt} of ${CODE_TRIES}`,
    );
    if (attempt < CODE_TRIES) await ctx.prompter.say(lastRefusal);
  }
  throw new MfaError(
    `${entry.idp} MFA failed: the ${entry.what} was not accepted ${CODE_TRIES} times (last: ${lastRefusal})`,
  );
}

async function ask<T>(
  ctx: MfaContext,
  entry: CodeEntry<T>,
  lastRefusal: string,
): Promise<string> {
  try {
    return entry.hidden
      ? await ctx.prompter.secret(entry.label)
      : await ctx.prompter.line(entry.label);
  } catch (error) {
    if (!(error instanceof NoTerminalError)) throw error;
    if (lastRefusal) {
      throw new MfaError(
        `${entry.idp} MFA failed: the ${entry.what} from AWSPROCESSCREDS_MFA_CODE was not accepted (${lastRefusal}), and ${error.reason} to ask for another`,
      );
    }
    throw error.withHint(
      "Set AWSPROCESSCREDS_MFA_CODE to supply one code, or run the command once from a terminal so the credentials are cached",
    );
  }
}
