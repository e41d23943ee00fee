/**
 * Okta Classic: the `/api/v1/authn` transaction as a state machine, from the
 * password to SUCCESS and its session token (second factors in
 * classic_mfa.ts).
 *
 * @module
 */
import { LoginError, PasswordRejectedError } from "../../errors.ts";
import type { LoginContext } from "../provider.ts";
import {
  type OktaApi,
  OktaApiError,
  type OktaTransaction,
} from "./classic_api.ts";
import { completeOktaMfa } from "./classic_mfa.ts";

/** Most state transitions one login may take before giving up. */
const MAX_STEPS = 20;

/** Walks the transaction states until SUCCESS; returns the session token. */
export async function oktaSessionToken(
  ctx: LoginContext,
  api: OktaApi,
): Promise<string> {
  const authn = new URL("/api/v1/authn", ctx.endpoint);
  const password = await ctx.password();
  let tx: OktaTransaction;
  try {
    tx = await api.post(authn, {
      username: ctx.username,
      password,
      options: {
        warnBeforePasswordExpired: true,
        multiOptionalFactorEnroll: false,
      },
    }, `sign in to Okta as ${ctx.username}`);
  } catch (error) {
    if (error instanceof OktaApiError && error.errorCode === "E0000004") {
      throw new PasswordRejectedError(error.message);
    }
    throw error;
  }
  for (let step = 0; step < MAX_STEPS; step++) {
    switch (tx.status) {
      case "SUCCESS":
        if (!tx.sessionToken) {
          throw new LoginError(
            "Cannot finish the Okta sign-in: SUCCESS came without a session token",
          );
        }
        return tx.sessionToken;
      case "MFA_REQUIRED":
      case "MFA_CHALLENGE":
        tx = await completeOktaMfa(ctx, api, tx);
        break;
      case "PASSWORD_WARN": {
        const skip = tx._links?.skip?.href;
        if (!skip) {
          throw new LoginError(
            "Cannot continue past Okta's password warning: no skip link",
          );
        }
        await ctx.prompter.say(
          "Okta: your password expires soon; change it in the browser.",
        );
        ctx.logger.warn("Okta says the password expires soon");
        tx = await api.post(
          skip,
          { stateToken: tx.stateToken },
          "skip Okta's password warning",
        );
        break;
      }
      case "LOCKED_OUT":
        throw new LoginError(
          `Okta sign-in failed: the account ${ctx.username} is locked out (LOCKED_OUT); unlock it in the browser or ask your administrator`,
        );
      case "PASSWORD_EXPIRED":
        throw new LoginError(
          `Okta sign-in failed: the password of ${ctx.username} has expired (PASSWORD_EXPIRED); change it in the browser, then try again`,
        );
      case "MFA_ENROLL":
      case "MFA_ENROLL_ACTIVATE":
        throw new LoginError(
          `Okta sign-in failed: ${ctx.username} must enrol a second factor first (${tx.status}); enrol one in the browser, then try again`,
        );
      default:
        throw new LoginError(
          `Okta sign-in failed: unexpected transaction status ${tx.status}`,
        );
    }
  }
  throw new LoginError(
    `Okta sign-in failed: no SUCCESS after ${MAX_STEPS} steps`,
  );
}
