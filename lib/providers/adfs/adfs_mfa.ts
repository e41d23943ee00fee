/**
 * ADFS second-factor pages: one-time codes, Azure MFA push and the method
 * choice page.
 *
 * Every second-factor page carries a form with the hidden `AuthMethod` and
 * `Context` inputs; the shape of the rest says what to do:
 * - a code input (`VerificationCode`, `Passcode`, `SecurityCode`,
 *   `security_code`, `OathCode`, `ChallengeQuestionAnswer`, …): ask for the
 *   code on the terminal and post the form back, at most three tries;
 * - no code input, `p#instructions` or an Azure MFA `AuthMethod`: a push;
 *   re-post the form every {@link PUSH_POLL_MS} until the SAML page comes, the
 *   IdP shows an error (denied), or `--mfa-timeout` runs out;
 * - an empty `AuthMethod` and a list of `div.idp` methods: the "choose how to
 *   sign in" page; choose with `--mfa` or a menu on the terminal.
 *
 * How `--mfa` maps to the AuthMethod values of the choice page
 * ({@link MFA_METHOD_RULES}), first method in page order that matches:
 * - push: `AzureMfaAuthentication`, `AzureMfaServerAuthentication`,
 *   `SilverfortAdfs`, or a label naming a push/notification/app approval;
 * - totp: `SymantecVipAdapter`, `VIPAuthenticationProvider*`,
 *   `SecurIDAuthentication`, `SecurIDv2Authentication`, `SafeNet-MFA`,
 *   `Defender AD FS Adapter`, or a label naming a code/OTP/token; when none
 *   of those is offered, `AzureMfaAuthentication` (Azure MFA in code mode);
 * - sms, call, email, yubikey: a method whose id or label names it (text
 *   message/SMS; phone call/voice; e-mail; YubiKey/security key); `call`
 *   also takes `AzureMfaServerAuthentication` (on-premises MFA Server calls).
 *
 * Everything said or asked goes through `ctx.prompter` (the terminal). Codes
 * and `Context` values never appear in a message or log line; `Context`
 * values are also registered as secrets with the logger. (Codes are not: a
 * six-digit code would mask every matching digit run, such as part of an
 * account ID, in the -v log.)
 *
 * @module
 */
import { adfsErrorText } from "./error_text.ts";
import { MfaError, NoTerminalError } from "../../errors.ts";
import {
  describeForms,
  findSamlResponse,
  formAction,
  formFields,
  type FormInput,
  type HtmlForm,
  type HtmlPage,
  parseHtml,
} from "../../http/html_form.ts";
import { type HttpResponse, requireHttps } from "../../http/http_session.ts";
import type { LoginContext, MfaKind } from "../provider.ts";

/** How often a pending push is re-posted. */
export const PUSH_POLL_MS = 2000;
/** Codes tried on one code page, the one from the environment included. */
export const MAX_CODE_TRIES = 3;

/** Parts of input names that mark a one-time-code input (lower case). */
const CODE_NAME_PARTS = [
  "verificationcode",
  "passcode",
  "securitycode",
  "security_code",
  "oathcode",
  "otpcode",
  "challengequestionanswer",
  "tokencode",
  "nextcode",
  "otp",
];
const NOT_TYPED = new Set([
  "hidden",
  "submit",
  "button",
  "image",
  "reset",
  "checkbox",
  "radio",
  "file",
]);
/** AuthMethod values that approve on the phone when no code input is shown. */
const PUSH_METHODS = /^(AzureMfa(Server)?Authentication|SilverfortAdfs)$/i;

/** One method of the choice page. */
export interface AdfsMethod {
  /** The AuthMethod value to post. */
  id: string;
  /** What the page calls it. */
  label: string;
}

/** Rules mapping an --mfa kind to methods, tried in order. */
export const MFA_METHOD_RULES: Record<MfaKind, RegExp[]> = {
  push: [
    /^(AzureMfa(Server)?Authentication|SilverfortAdfs)$/i,
    /push|notification|approv|authenticator app/i,
  ],
  totp: [
    /^(SymantecVipAdapter|VIPAuthenticationProvider.*|SecurID(v2)?Authentication|SafeNet-MFA|Defender AD FS Adapter)$/i,
    /\b(code|otp|totp|oath|token|securid|vip)\b|passcode/i,
    /^AzureMfaAuthentication$/i,
  ],
  sms: [/\bsms\b|text message/i],
  call: [/\bcall\b|voice|phone call/i, /^AzureMfaServerAuthentication$/i],
  email: [/e-?mail/i],
  yubikey: [/yubi|security key/i],
};

/** Whether `page` is a second-factor page this module can drive. */
export function isAdfsMfaPage(page: HtmlPage): boolean {
  return page.forms.some((f) =>
    f.inputs.some((i) => i.name === "AuthMethod") &&
    f.inputs.some((i) => i.name === "Context")
  );
}

/** The code input of a form, if it has one. */
export function findCodeInput(form: HtmlForm): FormInput | undefined {
  return form.inputs.find((i) => {
    if (NOT_TYPED.has(i.type)) return false;
    const name = i.name.toLowerCase();
    return name === "code" || CODE_NAME_PARTS.some((p) => name.includes(p));
  });
}

/** What a second-factor page asks for. */
export type AdfsMfaStep =
  | { kind: "code"; form: HtmlForm; input: FormInput; authMethod: string }
  | { kind: "push"; form: HtmlForm; authMethod: string }
  | { kind: "choice"; form: HtmlForm; methods: AdfsMethod[] }
  | { kind: "failed"; authMethod: string; text: string }
  | { kind: "unknown"; authMethod: string };

function value(form: HtmlForm, name: string): string {
  return form.inputs.find((i) => i.name === name)?.value ?? "";
}

function mfaForms(page: HtmlPage): HtmlForm[] {
  return page.forms.filter((f) =>
    f.inputs.some((i) => i.name === "AuthMethod") &&
    f.inputs.some((i) => i.name === "Context")
  );
}

/** A CSS attribute selector for `id`, whatever characters it holds. */
function byId(id: string): string {
  return `[id="${id.replace(/["\\]/g, "\\$&")}"]`;
}

/** The methods a choice page offers, in page order. */
export function choiceMethods(page: HtmlPage): AdfsMethod[] {
  const ids = page.attributes("div.idp", "id").filter((id) => id !== "");
  if (ids.length === 0) {
    for (const onclick of page.attributes("[onclick]", "onclick")) {
      const m = /SelectOption\(\s*['"]([^'"]+)['"]/.exec(onclick);
      if (m && !ids.includes(m[1])) ids.push(m[1]);
    }
  }
  return [...new Set(ids)].map((id) => {
    const sel = byId(id);
    const label = page.text(`${sel} .largeTextNoWrap`) ||
      page.attributes(sel, "aria-label")[0]?.trim() || page.text(sel) || id;
    return { id, label };
  });
}

/** Classifies a second-factor page. */
export function classifyMfaPage(page: HtmlPage): AdfsMfaStep {
  const forms = mfaForms(page);
  for (const form of forms) {
    const input = findCodeInput(form);
    if (input) {
      return {
        kind: "code",
        form,
        input,
        authMethod: value(form, "AuthMethod"),
      };
    }
  }
  const form = forms.find((f) => value(f, "AuthMethod") !== "") ?? forms[0];
  const authMethod = form ? value(form, "AuthMethod") : "";
  const error = adfsErrorText(page);
  if (form && authMethod === "") {
    const methods = choiceMethods(page);
    if (methods.length > 0 && !error) return { kind: "choice", form, methods };
  }
  if (error) return { kind: "failed", authMethod, text: error };
  if (
    form && authMethod !== "" &&
    (page.has("#instructions") || page.has("#validEntropyNumber") ||
      PUSH_METHODS.test(authMethod))
  ) {
    return { kind: "push", form, authMethod };
  }
  return { kind: "unknown", authMethod };
}

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
  for (const form of mfaForms(page)) ctx.logger.secret(value(form, "Context"));
  ctx.logger.debug(
    `ADFS second factor: ${step.kind} page${
      "authMethod" in step && step.authMethod
        ? ` (AuthMethod ${step.authMethod})`
        : ""
    }`,
  );
  switch (step.kind) {
    case "code":
      return await enterCode(ctx, page, res, step.form, step.input);
    case "push":
      return await awaitPush(ctx, page, res, step.form);
    case "choice":
      return await chooseMethod(ctx, res, step.form, step.methods);
    case "failed":
      throw new MfaError(`ADFS second factor failed: ${step.text}`);
    case "unknown":
      throw new MfaError(
        `Cannot complete the ADFS second factor at ${res.url.host}: ${
          step.authMethod
            ? `AuthMethod ${step.authMethod} is not supported`
            : "unknown second-factor page"
        }; found ${describeForms(page)}`,
      );
  }
}

async function post(
  ctx: LoginContext,
  form: HtmlForm,
  pageUrl: URL,
  fields: URLSearchParams,
): Promise<HttpResponse> {
  const action = formAction(form, pageUrl);
  requireHttps(action, "post the ADFS second-factor form");
  return await ctx.http.request(action, { method: "POST", form: fields });
}

/** The prompt for a code input: its placeholder, the instructions, or its name. */
function codeLabel(page: HtmlPage, input: FormInput): string {
  const selector = input.id
    ? byId(input.id)
    : `[name="${input.name.replace(/["\\]/g, "\\$&")}"]`;
  const placeholder = page.attributes(selector, "placeholder")[0]?.trim();
  if (placeholder) return `${placeholder.replace(/[:.\s]+$/, "")}: `;
  const instructions = page.text("#instructions");
  if (instructions) return `${instructions.replace(/[:.\s]+$/, "")}: `;
  const words = input.name.replace(/_/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}: `;
}

async function askCode(
  ctx: LoginContext,
  label: string,
  secret: boolean,
  refused: string,
): Promise<string> {
  try {
    const code = secret
      ? await ctx.prompter.secret(label)
      : await ctx.prompter.line(label);
    return code.trim();
  } catch (error) {
    if (error instanceof NoTerminalError) {
      if (refused) {
        throw new MfaError(
          `ADFS second factor failed: ${refused} (the code from AWSPROCESSCREDS_MFA_CODE was refused and no terminal is available to ask for another)`,
        );
      }
      throw error.withHint(
        "Set AWSPROCESSCREDS_MFA_CODE to supply the code, or run the command once from a terminal so the credentials are cached",
      );
    }
    throw error;
  }
}

async function enterCode(
  ctx: LoginContext,
  firstPage: HtmlPage,
  firstRes: HttpResponse,
  firstForm: HtmlForm,
  firstInput: FormInput,
): Promise<HttpResponse> {
  let page = firstPage;
  let res = firstRes;
  let form = firstForm;
  let input = firstInput;
  const envCode = ctx.takeEnvCode()?.trim();
  let refused = "";
  for (let attempt = 1;; attempt++) {
    let code: string;
    if (attempt === 1 && envCode) {
      ctx.logger.debug("Using the code from AWSPROCESSCREDS_MFA_CODE");
      code = envCode;
    } else {
      code = await askCode(
        ctx,
        codeLabel(page, input),
        input.type === "password",
        attempt === 2 && envCode ? refused : "",
      );
    }
    if (code === "") {
      if (attempt >= MAX_CODE_TRIES) {
        throw new MfaError("ADFS second factor failed: no code was entered");
      }
      await ctx.prompter.say("No code entered.");
      continue;
    }
    const fields = formFields(form);
    fields.set(input.name, code);
    ctx.logger.debug(`Posting the ADFS code form (${input.name})`);
    const next = await post(ctx, form, res.url, fields);
    const nextPage = await parseHtml(next.text);
    if (findSamlResponse(nextPage)) return next;
    const step = classifyMfaPage(nextPage);
    if (
      step.kind !== "code" || step.input.name !== input.name ||
      step.authMethod !== value(form, "AuthMethod")
    ) {
      return next; // a further step (or an error page): adfs.ts goes on
    }
    refused = adfsErrorText(nextPage) || "The code was not accepted.";
    if (attempt >= MAX_CODE_TRIES) {
      throw new MfaError(
        `ADFS second factor failed: ${refused} (${MAX_CODE_TRIES} codes refused)`,
      );
    }
    await ctx.prompter.say(refused);
    page = nextPage;
    res = next;
    form = step.form;
    input = step.input;
  }
}

async function awaitPush(
  ctx: LoginContext,
  firstPage: HtmlPage,
  firstRes: HttpResponse,
  firstForm: HtmlForm,
): Promise<HttpResponse> {
  const timeoutMs = ctx.mfaTimeoutMs;
  const deadline = ctx.clock.now().getTime() + timeoutMs;
  let page = firstPage;
  let res = firstRes;
  let form = firstForm;
  await ctx.prompter.say("Approve the sign-in on your phone");
  let shownNumber = "";
  for (;;) {
    const number = page.text("#validEntropyNumber");
    if (number && number !== shownNumber) {
      await ctx.prompter.say(`Enter ${number} in the Authenticator app`);
      shownNumber = number;
    }
    ctx.logger.debug("Polling the ADFS push page");
    const next = await post(ctx, form, res.url, formFields(form));
    const nextPage = await parseHtml(next.text);
    if (findSamlResponse(nextPage)) return next;
    const step = classifyMfaPage(nextPage);
    if (step.kind === "failed") {
      throw new MfaError(`ADFS second factor failed: ${step.text}`);
    }
    if (step.kind !== "push") return next; // something else: adfs.ts decides
    for (const f of mfaForms(nextPage)) ctx.logger.secret(value(f, "Context"));
    const left = deadline - ctx.clock.now().getTime();
    if (left <= 0) {
      const seconds = Math.round(timeoutMs / 1000);
      throw new MfaError(
        `ADFS second factor timed out: the sign-in was not approved on the phone within ${seconds} s (raise --mfa-timeout, now ${seconds}, to wait longer)`,
      );
    }
    await ctx.clock.sleep(Math.min(PUSH_POLL_MS, left));
    page = nextPage;
    res = next;
    form = step.form;
  }
}

/** The methods that match an --mfa kind, best rule first. */
export function methodsFor(kind: MfaKind, methods: AdfsMethod[]): AdfsMethod[] {
  for (const rule of MFA_METHOD_RULES[kind]) {
    const found = methods.filter((m) => rule.test(m.id) || rule.test(m.label));
    if (found.length) return found;
  }
  return [];
}

function listMethods(methods: AdfsMethod[]): string {
  return methods.map((m) => {
    const kinds = (Object.keys(MFA_METHOD_RULES) as MfaKind[]).filter((k) =>
      methodsFor(k, methods).includes(m)
    );
    return `${m.label}${kinds.length ? ` (--mfa ${kinds.join("|")})` : ""}`;
  }).join(", ");
}

async function pickMethod(
  ctx: LoginContext,
  methods: AdfsMethod[],
): Promise<AdfsMethod> {
  if (ctx.mfa) {
    const found = methodsFor(ctx.mfa, methods);
    if (found.length === 0) {
      throw new MfaError(
        `ADFS offers no second factor matching --mfa ${ctx.mfa}; it offers: ${
          listMethods(methods)
        }`,
      );
    }
    return found[0];
  }
  if (methods.length === 1) return methods[0];
  try {
    const index = await ctx.prompter.choose(
      "Choose how to sign in:",
      methods.map((m) => m.label),
    );
    return methods[index];
  } catch (error) {
    if (error instanceof NoTerminalError) {
      const reason = error.reason;
      const kinds = (Object.keys(MFA_METHOD_RULES) as MfaKind[]).filter((k) =>
        methodsFor(k, methods).length > 0
      );
      throw new MfaError(
        `Cannot choose the ADFS second factor: ${reason}. ADFS offers: ${
          listMethods(methods)
        }. ${
          kinds.length
            ? `Pass ${
              kinds.map((k) => `--mfa ${k}`).join(" or ")
            } to choose without a terminal`
            : "Run the command from a terminal to choose"
        }`,
      );
    }
    throw error;
  }
}

async function chooseMethod(
  ctx: LoginContext,
  res: HttpResponse,
  form: HtmlForm,
  methods: AdfsMethod[],
): Promise<HttpResponse> {
  const method = await pickMethod(ctx, methods);
  ctx.logger.debug(`Choosing the ADFS method ${method.id}`);
  const fields = formFields(form);
  fields.set("AuthMethod", method.id);
  const next = await post(ctx, form, res.url, fields);
  const nextPage = await parseHtml(next.text);
  if (findSamlResponse(nextPage)) return next;
  const step = classifyMfaPage(nextPage);
  if (step.kind === "choice" || (step.kind === "failed" && !step.authMethod)) {
    throw new MfaError(
      `ADFS refused the second factor ${method.label}${
        step.kind === "failed" ? `: ${step.text}` : ""
      }`,
    );
  }
  return next;
}
