/**
 * Any form-based SAML IdP (`-p form`): Shibboleth IdP, Keycloak,
 * SimpleSAMLphp, PingFederate, LemonLDAP::NG, CAS-fronted IdPs, … `-e` is
 * the IdP-initiated SSO URL for `urn:amazon:webservices`; from there each
 * page is read as a browser would (pages.ts) until the SAML form appears:
 * sign-in forms get the user name and password, one-time-code forms a code
 * (lib/mfa/code_entry.ts), forms of hidden fields are posted as they stand.
 *
 * Rules: every form is posted to its action resolved against the URL of the
 * page actually served, over https; a form that carries the user name,
 * password or code goes only to the origin of the page that served it,
 * checked before the password is asked; a wrong password is never retried;
 * at most {@link MAX_PAGES} pages are read.
 *
 * @module
 */
import { LoginError, PasswordRejectedError } from "../../errors.ts";
import {
  describeForms,
  formAction,
  formFields,
  type HtmlForm,
  type HtmlPage,
  parseHtml,
} from "../../http/html_form.ts";
import {
  type HttpResponse,
  isOk,
  requireHttps,
  requireSameOrigin,
} from "../../http/http_session.ts";
import { enterCode } from "../../mfa/code_entry.ts";
import { questionOf } from "../../prompt/prompter.ts";
import { safeText } from "../../safe_text.ts";
import type { LoginContext, Provider } from "../provider.ts";
import { formErrorText } from "./error_text.ts";
import {
  autoSubmitFields,
  classifyPage,
  codeLabel,
  describeStep,
  FORM_SHAPES,
  type FormStep,
  loginFields,
} from "./pages.ts";

/** The most pages read in one login (redirects not counted). */
export const MAX_PAGES = 10;

/** Where a page was served, for messages: host and path, never the query. */
function where(url: URL): string {
  return `${url.host}${url.pathname}`;
}

/** The page title for messages: no control characters, at most 80 characters. */
function titleOf(page: HtmlPage): string {
  return safeText(page.title).slice(0, 80);
}

/** The state of one walk through the IdP's pages. */
interface Walk {
  ctx: LoginContext;
  /** False in resume(): only forms of hidden fields are posted. */
  interactive: boolean;
  /** A user name form was posted. */
  postedUsername: boolean;
  /**
   * The password, once asked and posted (it is never posted twice); kept to
   * keep it out of error texts.
   */
  password?: string;
}

async function walk(
  w: Walk,
  first: HttpResponse,
): Promise<string | undefined> {
  const { ctx } = w;
  let res = first;
  for (let n = 1;; n++) {
    const page = await parseHtml(res.text);
    const step = classifyPage(page);
    ctx.logger.debug(
      `Form IdP page ${n} at ${where(res.url)} (HTTP ${res.status}): ${
        describeStep(step)
      }`,
    );
    if (step.kind === "saml") {
      ctx.logger.secret(step.saml);
      return step.saml;
    }
    if (!w.interactive && (step.kind !== "auto" || !isOk(res))) {
      return undefined;
    }
    failIfRefused(w, step, page, res);
    if (!isOk(res)) {
      const text = formErrorText(page, w.password) || titleOf(page);
      throw new LoginError(
        `Login at ${res.url.host} failed: ${
          where(res.url)
        } answered HTTP ${res.status}${text ? `: ${text}` : ""}`,
      );
    }
    if (n >= MAX_PAGES) {
      throw new LoginError(
        `Login at ${res.url.host} failed: no SAML response after ${MAX_PAGES} pages (the last, ${
          where(res.url)
        }, had ${describeForms(page)})`,
      );
    }
    switch (step.kind) {
      case "login":
        res = await postLogin(w, step, res);
        break;
      case "username":
        res = await postUsername(w, step, res);
        break;
      case "code":
        res = await enterFormCode(w, page, step, res);
        break;
      case "auto":
        res = await postAuto(w, step.form, res);
        break;
      case "unknown": {
        const text = formErrorText(page, w.password);
        if (text) {
          throw new LoginError(`Login at ${res.url.host} failed: ${text}`);
        }
        throw new LoginError(
          `Cannot find a sign-in form at ${where(res.url)}${
            titleOf(page) ? ` (page "${titleOf(page)}")` : ""
          }: expected ${FORM_SHAPES}; found ${describeForms(page)}`,
        );
      }
    }
  }
}

/** A sign-in or user name page that comes back after its post is a refusal. */
function failIfRefused(
  w: Walk,
  step: FormStep,
  page: HtmlPage,
  res: HttpResponse,
): void {
  const again = (step.kind === "login" && w.password !== undefined) ||
    (step.kind === "username" && w.postedUsername);
  if (!again) return;
  const text = formErrorText(page, w.password);
  throw new (step.kind === "login" ? PasswordRejectedError : LoginError)(
    `Login at ${res.url.host} failed: ${
      text ||
      `the ${
        step.kind === "login" ? "sign-in" : "user name"
      } page came back without an error text`
    }`,
  );
}

/** Checks where a form carrying the user's data goes; returns the action. */
function secretAction(form: HtmlForm, res: HttpResponse, what: string): URL {
  const action = formAction(form, res.url);
  requireHttps(action, what);
  requireSameOrigin(action, res.url, what);
  if (form.method !== "post") {
    throw new LoginError(
      `Refusing to ${what} at ${res.url.host}: the form uses GET, which would put it in a URL`,
    );
  }
  return action;
}

async function postLogin(
  w: Walk,
  step: Extract<FormStep, { kind: "login" }>,
  res: HttpResponse,
): Promise<HttpResponse> {
  const { ctx } = w;
  const action = secretAction(step.form, res, "post the sign-in form");
  const password = await ctx.password();
  w.password = password;
  ctx.logger.debug(
    `Posting the ${describeStep(step)} to ${where(action)}`,
  );
  return await ctx.http.request(action, {
    method: "POST",
    askedBy: res.url,
    form: loginFields(step.form, step.user, ctx.username, {
      input: step.password,
      value: password,
    }),
  });
}

async function postUsername(
  w: Walk,
  step: Extract<FormStep, { kind: "username" }>,
  res: HttpResponse,
): Promise<HttpResponse> {
  const { ctx } = w;
  const form = step.form;
  const action = secretAction(form, res, "post the user name form");
  ctx.logger.debug(`Posting the ${describeStep(step)} to ${where(action)}`);
  w.postedUsername = true;
  return await ctx.http.request(action, {
    method: "POST",
    askedBy: res.url,
    form: loginFields(form, step.user, ctx.username),
  });
}

async function postAuto(
  w: Walk,
  form: HtmlForm,
  res: HttpResponse,
): Promise<HttpResponse> {
  const action = formAction(form, res.url);
  requireHttps(action, "submit the form of hidden fields");
  const fields = autoSubmitFields(form);
  w.ctx.logger.debug(
    `Submitting the form of hidden fields to ${where(action)} (${
      [...new Set(fields.keys())].join(", ")
    })`,
  );
  if (form.method === "get") {
    const url = new URL(action);
    url.search = fields.toString();
    return await w.ctx.http.request(url);
  }
  return await w.ctx.http.request(action, { method: "POST", form: fields });
}

async function enterFormCode(
  w: Walk,
  firstPage: HtmlPage,
  step: Extract<FormStep, { kind: "code" }>,
  firstRes: HttpResponse,
): Promise<HttpResponse> {
  const { ctx } = w;
  let res = firstRes;
  let form = step.form;
  let input = step.code;
  const label = codeLabel(firstPage, input);
  return await enterCode<HttpResponse>(ctx, {
    idp: res.url.host,
    what: questionOf(label),
    label,
    hidden: input.type === "password",
    async submit(code) {
      const action = secretAction(form, res, "post the one-time-code form");
      const fields = formFields(form);
      fields.set(input.name, code);
      ctx.logger.debug(
        `Posting the one-time-code form (${input.name}) to ${where(action)}`,
      );
      const next = await ctx.http.request(action, {
        method: "POST",
        askedBy: res.url,
        form: fields,
      });
      const page = await parseHtml(next.text);
      const again = classifyPage(page);
      if (again.kind !== "code" || again.code.name !== input.name) {
        return { accepted: next };
      }
      res = next;
      form = again.form;
      input = again.code;
      return {
        rejected: formErrorText(page, w.password) ||
          "The code was not accepted.",
      };
    },
  });
}

/** The form-based IdP provider (`-p form`). */
export const form: Provider = {
  async login(ctx) {
    const res = await ctx.http.request(ctx.endpoint);
    const saml = await walk(
      { ctx, interactive: true, postedUsername: false },
      res,
    );
    if (!saml) {
      throw new LoginError(
        `Login at ${ctx.endpoint.host} failed: no SAML response`,
      );
    }
    return saml;
  },
  async resume(ctx) {
    try {
      const res = await ctx.http.request(ctx.endpoint);
      const saml = await walk(
        { ctx, interactive: false, postedUsername: false },
        res,
      );
      if (!saml) ctx.logger.debug("The saved IdP session was not accepted");
      return saml;
    } catch (error) {
      if (!(error instanceof LoginError)) throw error;
      ctx.logger.debug(`The saved IdP session was not used: ${error.message}`);
      return undefined;
    }
  },
};
