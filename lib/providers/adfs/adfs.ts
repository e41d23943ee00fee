/**
 * ADFS forms sign-in: the ADFS 3.0+/2016/2019 `loginForm` and the ADFS 2.0
 * WebForms page, then second-factor pages, until the SAML form appears.
 * Forms are posted relative to the page actually served.
 *
 * @module
 */
import { LoginError, PasswordRejectedError } from "../../errors.ts";
import {
  describeForms,
  findSamlResponse,
  formAction,
  parseHtml,
} from "../../http/html_form.ts";
import {
  type HttpResponse,
  isOk,
  requireHttps,
  requireSameOrigin,
} from "../../http/http_session.ts";
import type { LoginContext, Provider } from "../provider.ts";
import {
  adfsErrorText,
  findLoginForm,
  isAdfsMfaPage,
  LOGIN_FORM_SHAPES,
  loginFields,
} from "./pages.ts";
import { completeAdfsMfa } from "./second_factor.ts";

const MAX_STEPS = 12;

async function walk(
  ctx: LoginContext,
  first: HttpResponse,
  interactive: boolean,
): Promise<string | undefined> {
  let res = first;
  let postedPassword = false;
  for (let step = 0; step < MAX_STEPS; step++) {
    const page = await parseHtml(res.text);
    const saml = findSamlResponse(page);
    if (saml) return saml;
    if (!isOk(res)) {
      const text = adfsErrorText(page) || page.title;
      throw new LoginError(
        `ADFS login failed: ${res.url.host} answered HTTP ${res.status}${
          text ? `: ${text}` : ""
        }`,
      );
    }
    const login = findLoginForm(page);
    if (login) {
      if (!interactive) return undefined;
      if (postedPassword) {
        const text = adfsErrorText(page);
        throw new PasswordRejectedError(
          `ADFS login failed: ${
            text || "the sign-in page came back without an error text"
          }`,
        );
      }
      const action = formAction(login.form, res.url);
      requireHttps(action, "post the ADFS sign-in form");
      requireSameOrigin(action, res.url, "post the ADFS sign-in form");
      const password = await ctx.password();
      ctx.logger.debug(
        `Posting the ADFS sign-in form ${
          login.form.id || login.form.name || ""
        } (${login.userField})`,
      );
      res = await ctx.http.request(action, {
        method: "POST",
        askedBy: res.url,
        form: loginFields(login, ctx.username, password),
      });
      postedPassword = true;
      continue;
    }
    if (isAdfsMfaPage(page)) {
      if (!interactive) return undefined;
      res = await completeAdfsMfa(ctx, page, res);
      continue;
    }
    const text = adfsErrorText(page);
    if (text) throw new LoginError(`ADFS login failed: ${text}`);
    if (!interactive) return undefined;
    throw new LoginError(
      `Cannot find the ADFS sign-in form at ${res.url.host}: expected ${LOGIN_FORM_SHAPES}; found ${
        describeForms(page)
      }`,
    );
  }
  throw new LoginError(
    `ADFS login failed: no SAML form after ${MAX_STEPS} pages`,
  );
}

/** The ADFS provider (`-p adfs`). */
export const adfs: Provider = {
  async login(ctx) {
    const res = await ctx.http.request(ctx.endpoint);
    const saml = await walk(ctx, res, true);
    if (!saml) throw new LoginError("ADFS login failed: no SAML response");
    return saml;
  },
  async resume(ctx) {
    const res = await ctx.http.request(ctx.endpoint);
    const saml = await walk(ctx, res, false).catch(() => undefined);
    if (!saml) ctx.logger.debug("The saved ADFS session was not accepted");
    return saml;
  },
};
