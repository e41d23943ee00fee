/**
 * Okta: the Classic authentication API as a state machine, then the AWS app
 * embed link turns the session token into the SAML page.
 *
 * @module
 */
import { LoginError } from "../../errors.ts";
import type { HttpResponse } from "../../http/http_session.ts";
import {
  describeForms,
  findSamlResponse,
  parseHtml,
} from "../../http/html_form.ts";
import { OktaApi } from "./classic_api.ts";
import { oktaSessionToken } from "./classic.ts";
import type { LoginContext, Provider } from "../provider.ts";

async function samlFromPage(
  res: HttpResponse,
): Promise<{ saml?: string; why: string }> {
  if (res.status < 200 || res.status > 299) {
    return { why: `${res.url.host} answered HTTP ${res.status}` };
  }
  const page = await parseHtml(res.text);
  const saml = findSamlResponse(page);
  if (saml) return { saml, why: "" };
  if (/stateToken/.test(res.text)) {
    return {
      why:
        "the app asks for more sign-in steps in the browser (app-level MFA is not supported)",
    };
  }
  return {
    why: `the page has no SAMLResponse (found ${describeForms(page)}${
      page.title ? `, title "${page.title}"` : ""
    })`,
  };
}

function appUrl(ctx: LoginContext, sessionToken?: string): URL {
  const url = new URL(ctx.endpoint);
  if (sessionToken) url.searchParams.set("sessionToken", sessionToken);
  return url;
}

/** The Okta provider (`-p okta`). */
export const okta: Provider = {
  async login(ctx) {
    const api = new OktaApi(ctx.http, ctx.clock, ctx.logger, ctx.endpoint);
    const sessionToken = await oktaSessionToken(ctx, api);
    const res = await ctx.http.request(appUrl(ctx, sessionToken));
    const { saml, why } = await samlFromPage(res);
    if (!saml) {
      throw new LoginError(
        `Cannot get the SAML assertion from the Okta app at ${res.url.host}: ${why}`,
      );
    }
    return saml;
  },
  async resume(ctx) {
    const res = await ctx.http.request(appUrl(ctx));
    const { saml, why } = await samlFromPage(res);
    if (!saml) {
      ctx.logger.debug(`The saved Okta session was not accepted: ${why}`);
    }
    return saml;
  },
};
