/**
 * ADFS second-factor pages: one-time codes, Azure MFA push and the method
 * choice page.
 *
 * @module
 */
import { MfaError } from "./errors.ts";
import type { HtmlPage } from "./html_form.ts";
import type { HttpResponse } from "./http_session.ts";
import type { LoginContext } from "./provider.ts";

/** Whether `page` is a second-factor page this module can drive. */
export function isAdfsMfaPage(page: HtmlPage): boolean {
  return page.forms.some((f) =>
    f.inputs.some((i) => i.name === "AuthMethod") &&
    f.inputs.some((i) => i.name === "Context")
  );
}

/**
 * Drives a second-factor page; returns the response that follows it (the
 * SAML page, normally).
 */
export function completeAdfsMfa(
  _ctx: LoginContext,
  _page: HtmlPage,
  res: HttpResponse,
): Promise<HttpResponse> {
  return Promise.reject(
    new MfaError(
      `Cannot complete the ADFS second factor at ${res.url.host}: not supported yet`,
    ),
  );
}
