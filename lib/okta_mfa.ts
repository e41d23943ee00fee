/**
 * Okta second factors: choosing one and driving it to SUCCESS.
 *
 * @module
 */
import { MfaError } from "./errors.ts";
import type { OktaApi, OktaTransaction } from "./okta_api.ts";
import type { LoginContext } from "./provider.ts";

/**
 * Completes an MFA_REQUIRED transaction; returns the next transaction
 * (normally SUCCESS).
 */
export function completeOktaMfa(
  _ctx: LoginContext,
  _api: OktaApi,
  tx: OktaTransaction,
): Promise<OktaTransaction> {
  const factors = (tx._embedded?.factors ?? []).map((f) => f.factorType);
  return Promise.reject(
    new MfaError(
      `Cannot complete Okta MFA: not supported yet (${factors.join(", ")})`,
    ),
  );
}
