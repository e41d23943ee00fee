/**
 * Which engine an Okta org runs: Classic (`/api/v1/authn`) or Identity
 * Engine (IDX). Okta publishes it, unauthenticated, at
 * `/.well-known/okta-organization` (`"pipeline":"v1"` or `"idx"`); the
 * document is undocumented, so a missing or odd answer means "unknown" and
 * the sign-in page decides.
 *
 * @module
 */
import type { LoginContext } from "../provider.ts";

/** The org's engine, if Okta said. */
export type OktaPipeline = "v1" | "idx" | undefined;

/**
 * Asks the org which pipeline it runs; undefined when it does not say. A
 * network failure is thrown: the login could not go on anyway.
 */
export async function detectPipeline(ctx: LoginContext): Promise<OktaPipeline> {
  const url = new URL("/.well-known/okta-organization", ctx.endpoint);
  const res = await ctx.http.request(url, {
    headers: { accept: "application/json" },
  });
  let pipeline: unknown;
  try {
    pipeline = res.status === 200 ? JSON.parse(res.text)?.pipeline : undefined;
  } catch {
    pipeline = undefined;
  }
  ctx.logger.debug(
    `Okta pipeline at ${url.host}: ${
      pipeline === "v1" || pipeline === "idx"
        ? pipeline
        : `unknown (HTTP ${res.status}); the sign-in page decides`
    }`,
  );
  return pipeline === "v1" || pipeline === "idx" ? pipeline : undefined;
}
