/**
 * ADFS second-factor pages, driven with the shared machinery in lib/mfa/:
 * a code page posts the code back (at most three tries), a push page is
 * re-posted until the SAML page comes, the IdP shows an error (denied) or
 * `--mfa-timeout` runs out, and the "choose how to sign in" page is answered
 * by `--mfa` (see methods.ts) or a menu.
 *
 * Codes and `Context` values never appear in a message or log line; the
 * `Context` values are registered as secrets with the logger. (Codes are not:
 * a six-digit code would mask every matching digit run, such as part of an
 * account ID, in the -v log.)
 *
 * @module
 */
import { MfaError } from "../../errors.ts";
import {
  describeForms,
  findSamlResponse,
  formAction,
  formFields,
  type HtmlForm,
  type HtmlPage,
  parseHtml,
} from "../../http/html_form.ts";
import { type HttpResponse, requireHttps } from "../../http/http_session.ts";
import { enterCode } from "../../mfa/code_entry.ts";
import { chooseMethod } from "../../mfa/method_choice.ts";
import { awaitPush, type PushState } from "../../mfa/push_wait.ts";
import { questionOf } from "../../prompt/prompter.ts";
import type { LoginContext } from "../provider.ts";
import { kindsFor } from "./methods.ts";
import {
  adfsErrorText,
  type AdfsMethod,
  type AdfsMfaStep,
  classifyMfaPage,
  codeLabel,
  inputValue,
  mfaForms,
} from "./pages.ts";

/**
 * Drives a second-factor page; returns the response that follows it (the
 * SAML page, normally; or the page of the method chosen on a choice page).
 */
export async function completeAdfsMfa(
  ctx: LoginContext,
  page: HtmlPage,
  res: HttpResponse,
): Promise<HttpResponse> {
  const step = classifyMfaPage(page);
  registerContexts(ctx, page);
  ctx.logger.debug(
    `ADFS second factor: ${step.kind} page${
      "authMethod" in step && step.authMethod
        ? ` (AuthMethod ${step.authMethod})`
        : ""
    }`,
  );
  switch (step.kind) {
    case "code":
      return await enterAdfsCode(ctx, page, res, step);
    case "push":
      return await awaitAdfsPush(ctx, page, res, step.form);
    case "choice":
      return await chooseAdfsMethod(ctx, res, step.form, step.methods);
    case "failed":
      throw new MfaError(`ADFS MFA failed: ${step.text}`);
    case "unknown":
      throw new MfaError(
        `Cannot complete ADFS MFA at ${res.url.host}: ${
          step.authMethod
            ? `AuthMethod ${step.authMethod} is not supported`
            : "unknown second-factor page"
        }; found ${describeForms(page)}`,
      );
  }
}

function registerContexts(ctx: LoginContext, page: HtmlPage): void {
  for (const form of mfaForms(page)) {
    ctx.logger.secret(inputValue(form, "Context"));
  }
}

async function post(
  ctx: LoginContext,
  form: HtmlForm,
  pageUrl: URL,
  fields: URLSearchParams,
): Promise<{ res: HttpResponse; page: HtmlPage }> {
  const action = formAction(form, pageUrl);
  requireHttps(action, "post the ADFS second-factor form");
  const res = await ctx.http.request(action, {
    method: "POST",
    form: fields,
    askedBy: pageUrl,
  });
  const page = await parseHtml(res.text);
  registerContexts(ctx, page);
  return { res, page };
}

async function enterAdfsCode(
  ctx: LoginContext,
  firstPage: HtmlPage,
  firstRes: HttpResponse,
  step: Extract<AdfsMfaStep, { kind: "code" }>,
): Promise<HttpResponse> {
  let res = firstRes;
  let form = step.form;
  let input = step.input;
  const label = codeLabel(firstPage, input);
  return await enterCode<HttpResponse>(ctx, {
    idp: "ADFS",
    what: questionOf(label),
    label,
    hidden: input.type === "password",
    async submit(code) {
      const fields = formFields(form);
      fields.set(input.name, code);
      ctx.logger.debug(`Posting the ADFS code form (${input.name})`);
      const next = await post(ctx, form, res.url, fields);
      if (findSamlResponse(next.page)) return { accepted: next.res };
      const again = classifyMfaPage(next.page);
      if (
        again.kind !== "code" || again.input.name !== input.name ||
        again.authMethod !== inputValue(form, "AuthMethod")
      ) {
        return { accepted: next.res }; // a further step (or an error page)
      }
      res = next.res;
      form = again.form;
      input = again.input;
      return {
        rejected: adfsErrorText(next.page) || "The code was not accepted.",
      };
    },
  });
}

async function awaitAdfsPush(
  ctx: LoginContext,
  firstPage: HtmlPage,
  firstRes: HttpResponse,
  firstForm: HtmlForm,
): Promise<HttpResponse> {
  let res = firstRes;
  let form = firstForm;
  const state = (page: HtmlPage): PushState<HttpResponse> => {
    const number = page.text("#validEntropyNumber");
    return number ? { number } : {};
  };
  return await awaitPush(ctx, {
    idp: "ADFS",
    approve: "Approve the sign-in on your phone",
    numberText: (n) => `Enter ${n} in the Authenticator app`,
    first: state(firstPage),
    timedOut() {
      const seconds = Math.round(ctx.mfaTimeoutMs / 1000);
      return new MfaError(
        `ADFS MFA timed out: the sign-in was not approved on the phone within ${seconds} s (raise --mfa-timeout, now ${seconds}, to wait longer)`,
      );
    },
    async poll() {
      ctx.logger.debug("Polling the ADFS push page");
      const next = await post(ctx, form, res.url, formFields(form));
      if (findSamlResponse(next.page)) return { done: next.res };
      const step = classifyMfaPage(next.page);
      if (step.kind === "failed") {
        throw new MfaError(`ADFS MFA failed: ${step.text}`);
      }
      if (step.kind !== "push") return { done: next.res }; // adfs.ts decides
      res = next.res;
      form = step.form;
      return state(next.page);
    },
  });
}

async function chooseAdfsMethod(
  ctx: LoginContext,
  res: HttpResponse,
  form: HtmlForm,
  offered: AdfsMethod[],
): Promise<HttpResponse> {
  // kindsFor is methodsFor read the other way, so `--mfa kind` picks what
  // methodsFor(kind) finds, in page order.
  const method = await chooseMethod(ctx, {
    idp: "ADFS",
    methods: offered.map((m) => ({
      label: m.label,
      kinds: kindsFor(m, offered),
      value: m,
    })),
  });
  ctx.logger.debug(`Choosing the ADFS method ${method.id}`);
  const fields = formFields(form);
  fields.set("AuthMethod", method.id);
  const next = await post(ctx, form, res.url, fields);
  if (findSamlResponse(next.page)) return next.res;
  const step = classifyMfaPage(next.page);
  if (step.kind === "choice" || (step.kind === "failed" && !step.authMethod)) {
    throw new MfaError(
      `ADFS refused the second factor ${method.label}${
        step.kind === "failed" ? `: ${step.text}` : ""
      }`,
    );
  }
  return next.res;
}
