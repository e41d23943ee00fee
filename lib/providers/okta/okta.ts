/**
 * The Okta provider (`-p okta`): Classic and Identity Engine behind one
 * name. The org's pipeline (`/.well-known/okta-organization`) or, when it
 * does not say, the embed link's page picks the engine:
 * - Classic (`v1`): the `/api/v1/authn` state machine (classic.ts), then the
 *   embed link with the session token;
 * - Identity Engine (`idx`): the embed link's sign-in page, its stateToken,
 *   and the IDX remediations (idx.ts), as the hosted Sign-In Widget does.
 * Both end at the app's SAML page.
 *
 * @module
 */
import { LoginError } from "../../errors.ts";
import { type HttpResponse, isOk } from "../../http/http_session.ts";
import {
  describeForms,
  findSamlResponse,
  parseHtml,
} from "../../http/html_form.ts";
import type { LoginContext, Provider } from "../provider.ts";
import { OktaApi } from "./classic_api.ts";
import { oktaSessionToken } from "./classic.ts";
import { IdxClient } from "./idx_api.ts";
import { idxSignIn } from "./idx.ts";
import { detectPipeline } from "./pipeline.ts";
import { findStateToken } from "./sign_in_page.ts";

/**
 * The SAMLResponse of an app page, or why there is none; and the page's
 * stateToken if it is Okta's sign-in page.
 */
async function samlFromPage(
  res: HttpResponse,
): Promise<{ saml?: string; why: string; stateToken?: string }> {
  const stateToken = findStateToken(res.text);
  if (!isOk(res)) {
    return { why: `${res.url.host} answered HTTP ${res.status}`, stateToken };
  }
  const page = await parseHtml(res.text);
  const saml = findSamlResponse(page);
  if (saml) return { saml, why: "", stateToken };
  if (stateToken) {
    return {
      why: "Okta served its sign-in page instead of the app",
      stateToken,
    };
  }
  return {
    why: `the page has no SAMLResponse (found ${describeForms(page)}${
      page.title ? `, title "${page.title}"` : ""
    })`,
  };
}

async function requireSaml(res: HttpResponse): Promise<string> {
  const { saml, why } = await samlFromPage(res);
  if (!saml) {
    throw new LoginError(
      `Cannot get the SAML assertion from the Okta app at ${res.url.host}: ${why}`,
    );
  }
  return saml;
}

/** Classic: authn, then the embed link with the session token. */
async function classicLogin(ctx: LoginContext): Promise<string> {
  const api = new OktaApi(ctx.http, ctx.clock, ctx.logger, ctx.endpoint);
  const sessionToken = await oktaSessionToken(ctx, api);
  const url = new URL(ctx.endpoint);
  url.searchParams.set("sessionToken", sessionToken);
  const res = await ctx.http.request(url);
  const { saml, why, stateToken } = await samlFromPage(res);
  if (saml) return saml;
  if (stateToken) {
    throw new LoginError(
      `Cannot get the SAML assertion from the Okta app at ${res.url.host}: the Classic sign-in succeeded but the app asks for more (its Identity Engine policy); this org should be signed in to with Identity Engine`,
    );
  }
  throw new LoginError(
    `Cannot get the SAML assertion from the Okta app at ${res.url.host}: ${why}`,
  );
}

/** The Okta provider (`-p okta`). */
export const okta: Provider = {
  async login(ctx) {
    // Every sign-in from scratch needs the password: ask before any request,
    // so that without a terminal the login fails at once, and the person
    // types while nothing else waits.
    await ctx.password();
    const pipeline = await detectPipeline(ctx);
    if (pipeline === "v1") return await classicLogin(ctx);
    const page = await ctx.http.request(ctx.endpoint);
    const { saml, stateToken } = await samlFromPage(page);
    if (saml) return saml;
    if (stateToken) {
      ctx.logger.debug(
        "Okta: Identity Engine sign-in (stateToken on the page)",
      );
      const api = new IdxClient(ctx.http, ctx.logger, ctx.endpoint);
      return await requireSaml(await idxSignIn(ctx, api, stateToken));
    }
    if (pipeline === "idx") {
      throw new LoginError(
        `Cannot start the Okta Identity Engine sign-in at ${page.url.host}: the app's page has neither a SAMLResponse nor a stateToken (found ${
          describeForms(await parseHtml(page.text))
        })`,
      );
    }
    return await classicLogin(ctx);
  },
  async resume(ctx) {
    const res = await ctx.http.request(ctx.endpoint);
    const { saml, why } = await samlFromPage(res);
    if (!saml) {
      ctx.logger.debug(`The saved Okta session was not accepted: ${why}`);
    }
    return saml;
  },
};
