/**
 * Okta Identity Engine sign-in, as the hosted Sign-In Widget does it: the
 * stateToken from the sign-in page is introspected, then each state's
 * remediations are answered (identify, password, second factor, keep me
 * signed in) until `success`, whose href leads to the app's SAML page. No
 * client_id, no /api/v1/authn, no /oauth2 call.
 *
 * Driven by remediation names and the `href` each carries; the newest
 * stateHandle travels in every body (it is an immutable field of every
 * form); a wrong password is reported with Okta's own message and never
 * retried. Second factors use the shared machinery in lib/mfa/.
 *
 * @module
 */
import { LoginError, MfaError, PasswordRejectedError } from "../../errors.ts";
import type { HttpResponse } from "../../http/http_session.ts";
import { enterCode } from "../../mfa/code_entry.ts";
import { chooseMethod, type MfaMethod } from "../../mfa/method_choice.ts";
import { awaitPush, type PushState } from "../../mfa/push_wait.ts";
import type { LoginContext } from "../provider.ts";
import {
  errorMessages,
  errorText,
  type IdxClient,
  type IdxState,
  type IonField,
  type IonInput,
  type Remediation,
  remediation,
  remediations,
} from "./idx_api.ts";
import {
  CANNOT,
  choicesOf,
  describeMethod,
  type IdxChoice,
  type IdxMethod,
  related,
} from "./idx_authenticators.ts";

/** Most states one sign-in may pass through. */
export const MAX_IDX_STEPS = 25;

/** What a command line cannot do, by remediation name. */
const UNSUPPORTED: Record<string, string> = {
  "launch-authenticator": CANNOT.fastpass,
  "device-challenge-poll": CANNOT.fastpass,
  "redirect-idp":
    "Okta sends this sign-in to another identity provider (redirect-idp), which needs a browser",
  "select-authenticator-enroll":
    "Okta asks to set up a new authenticator first (select-authenticator-enroll); do that once in the browser",
  "enroll-authenticator":
    "Okta asks to set up a new authenticator first (enroll-authenticator); do that once in the browser",
  "enroll-poll":
    "Okta asks to set up a new authenticator first (enroll-poll); do that once in the browser",
  "reenroll-authenticator":
    "the password has expired (reenroll-authenticator); change it in the browser",
  "consent": "Okta asks for consent (consent); give it once in the browser",
  "device-assurance-grace-period":
    "Okta asks about this device's compliance (device assurance); sign in once in the browser",
};

/** The fields of a remediation by name, nested forms included. */
function field(form: Remediation, name: string): IonField | undefined {
  return form.value?.find((f) => f.name === name);
}

function hasNested(f: IonField | undefined, name: string): boolean {
  return !!f?.form?.value?.some((n) => n.name === name);
}

/** Okta's keys for a password it did not accept. */
const WRONG_PASSWORD = new Set(["errors.E0000004", "incorrectPassword"]);

/**
 * Throws when a state reports errors at the top level (never retried): a
 * PasswordRejectedError for Okta's wrong-password keys, else a LoginError.
 */
function failOnErrors(state: IdxState, what: string): void {
  const top = (state.messages?.value ?? []).filter((m) =>
    (m?.class ?? "ERROR") === "ERROR" && m.message
  );
  if (top.length) {
    const wrongPassword = top.some((m) =>
      WRONG_PASSWORD.has(m.i18n?.key ?? "")
    );
    throw new (wrongPassword ? PasswordRejectedError : LoginError)(
      `Okta sign-in failed ${what}: ${top.map((m) => m.message).join(" ")}`,
    );
  }
}

/** Signs in from `stateToken`; returns the SAML page's response. */
export async function idxSignIn(
  ctx: LoginContext,
  api: IdxClient,
  stateToken: string,
): Promise<HttpResponse> {
  ctx.logger.secret(stateToken);
  let state = await api.introspect(stateToken);
  failOnErrors(state, "at the start (introspect)");
  let passwordSent = false;
  for (let step = 0; step < MAX_IDX_STEPS; step++) {
    const success = state.success ?? remediation(state, "success-redirect");
    if (success?.href) return await finish(ctx, success.href);
    if (state.failure) {
      throw new LoginError(
        `Okta sign-in failed: ${errorText(state) || state.failure.name}`,
      );
    }
    const names = remediations(state).map((r) => r.name);
    const form = (name: string) => remediation(state, name);
    let next: IdxState;
    const identify = form("identify");
    const challenge = form("challenge-authenticator");
    const poll = form("challenge-poll");
    const select = form("select-authenticator-authenticate");
    const verification = form("authenticator-verification-data");
    if (identify) {
      if (field(identify, "captchaVerify") || state.captcha) {
        throw new LoginError(
          "Okta sign-in cannot continue: Okta asks for a CAPTCHA, which needs a browser; sign in once in the browser, then try again",
        );
      }
      const withPassword = hasNested(
        field(identify, "credentials"),
        "passcode",
      );
      next = await doIdentify(ctx, api, identify, withPassword);
      passwordSent ||= withPassword;
      failOnErrors(next, `for ${ctx.username}`);
    } else if (challenge && isPasswordChallenge(state, challenge)) {
      next = await api.submit(
        challenge,
        { credentials: { passcode: await ctx.password() } },
        "send the password to Okta",
      );
      passwordSent = true;
      failOnErrors(next, `for ${ctx.username}`);
    } else if (challenge) {
      next = await answerCode(ctx, api, state, challenge);
    } else if (poll) {
      next = await waitForPush(ctx, api, state);
    } else if (select) {
      next = await selectAuthenticator(ctx, api, state, select, passwordSent);
      failOnErrors(next, "after choosing an authenticator");
    } else if (verification) {
      next = await chooseVerification(ctx, api, state, verification);
      failOnErrors(next, "after choosing a method");
    } else if (form("keep-me-signed-in")) {
      next = await api.submit(
        form("keep-me-signed-in")!,
        {},
        "answer Okta's keep-me-signed-in question",
      );
    } else if (form("skip")) {
      ctx.logger.debug("Okta IDX: taking the offered skip");
      next = await api.submit(form("skip")!, {}, "skip an optional step");
    } else {
      failOnErrors(state, "");
      const known = names.find((n) => Object.hasOwn(UNSUPPORTED, n));
      if (known) {
        throw new LoginError(
          `Okta sign-in cannot continue: ${UNSUPPORTED[known]}`,
        );
      }
      throw new LoginError(
        names.length
          ? `Okta sign-in cannot continue: Okta asks for ${
            names.join(", ")
          }, which this tool does not know how to answer`
          : "Okta sign-in cannot continue: Okta answered without a next step",
      );
    }
    state = next;
  }
  throw new LoginError(
    `Okta sign-in failed: no success after ${MAX_IDX_STEPS} steps`,
  );
}

async function doIdentify(
  ctx: LoginContext,
  api: IdxClient,
  identify: Remediation,
  withPassword: boolean,
): Promise<IdxState> {
  const input: IonInput = { identifier: ctx.username };
  if (withPassword) {
    input.credentials = { passcode: await ctx.password() };
  }
  return await api.submit(
    identify,
    input,
    `sign in to Okta as ${ctx.username}`,
  );
}

/** The authenticator a challenge is for. */
function challengeTarget(state: IdxState, form: Remediation) {
  return related(state, form.relatesTo) ??
    state.currentAuthenticatorEnrollment?.value ??
    state.currentAuthenticator?.value;
}

function isPasswordChallenge(state: IdxState, form: Remediation): boolean {
  const target = challengeTarget(state, form);
  return target?.key === "okta_password" || target?.type === "password";
}

/** The current authenticator of a challenge, as a method. */
function currentMethod(state: IdxState, form: Remediation): IdxMethod {
  const target = challengeTarget(state, form);
  const methodType = target?.methods?.[0]?.type;
  return describeMethod(target?.key ?? "", methodType, target);
}

/** challenge-authenticator for a code: enter codes until Okta takes one. */
async function answerCode(
  ctx: LoginContext,
  api: IdxClient,
  first: IdxState,
  firstForm: Remediation,
): Promise<IdxState> {
  let state = first;
  let form = firstForm;
  const method = currentMethod(state, form);
  const codeField =
    field(form, "credentials")?.form?.value?.find((f) =>
      f.name !== "questionKey"
    )?.name ?? "passcode";
  const resendForm = () =>
    (state.currentAuthenticatorEnrollment?.value?.resend ??
      state.currentAuthenticator?.value?.resend ??
      remediation(state, "resend")) as
        | Remediation
        | undefined;
  const what = method.code?.name ?? "code";
  return await enterCode<IdxState>(ctx, {
    idp: "Okta",
    what,
    label: method.code?.prompt ?? "Code: ",
    resend: method.code?.sent
      ? async () => {
        const resend = resendForm();
        if (!resend) {
          await ctx.prompter.say("Okta offers no way to send the code again.");
          return;
        }
        state = await api.submit(resend, {}, `send the ${what} again`);
        form = remediation(state, "challenge-authenticator") ?? form;
        await ctx.prompter.say(method.code!.sent!(true));
      }
      : undefined,
    async submit(code) {
      ctx.logger.secret(code);
      const next = await api.submit(
        form,
        { credentials: { [codeField]: code } },
        `verify the ${what}`,
      );
      const again = remediation(next, "challenge-authenticator");
      const rejected = errorText(next);
      if (again && rejected) {
        state = next;
        form = again;
        return { rejected };
      }
      failOnErrors(next, `after the ${what}`);
      return { accepted: next };
    },
  });
}

function pushState(state: IdxState): PushState<IdxState> {
  const poll = remediation(state, "challenge-poll");
  if (!poll) {
    const errors = errorText(state);
    if (errors) throw new MfaError(`Okta MFA failed: ${errors}`);
    return { done: state };
  }
  const number = state.currentAuthenticator?.value?.contextualData
    ?.correctAnswer;
  return {
    refreshMs: typeof poll.refresh === "number" ? poll.refresh : undefined,
    number: typeof number === "string" || typeof number === "number"
      ? number
      : undefined,
  };
}

/** challenge-poll: wait for the push, polling no faster than Okta asks. */
async function waitForPush(
  ctx: LoginContext,
  api: IdxClient,
  first: IdxState,
): Promise<IdxState> {
  let state = first;
  return await awaitPush(ctx, {
    idp: "Okta",
    approve: "Approve the Okta Verify push on your device",
    numberText: (n) => `Tap ${n} on your device`,
    first: pushState(state),
    async poll() {
      const poll = remediation(state, "challenge-poll")!;
      state = await api.submit(poll, {}, "check the Okta Verify push");
      return pushState(state);
    },
  });
}

function methodsOf(choices: IdxChoice[]): {
  methods: MfaMethod<IdxChoice>[];
  unsupported: string[];
} {
  const methods: MfaMethod<IdxChoice>[] = [];
  const unsupported: string[] = [];
  for (const c of choices) {
    if (c.method.kind) {
      methods.push({ label: c.method.label, kinds: [c.method.kind], value: c });
    } else if (!c.method.password) unsupported.push(c.method.label);
  }
  return { methods, unsupported };
}

function cannotUse(ctx: LoginContext, choices: IdxChoice[]): LoginError {
  const why = [...new Set(choices.map((c) => c.method.why).filter(Boolean))];
  return new LoginError(
    `Okta sign-in cannot continue: the policy for ${ctx.username} allows only ${
      choices.map((c) => c.method.label).join(", ")
    }, which a command line cannot use (${
      why.join("; ")
    }). Ask your administrator to allow Okta Verify push or a code for this app, then use --mfa push or --mfa totp`,
  );
}

/** select-authenticator-authenticate: the password, or a second factor. */
async function selectAuthenticator(
  ctx: LoginContext,
  api: IdxClient,
  state: IdxState,
  form: Remediation,
  passwordSent: boolean,
): Promise<IdxState> {
  const options = field(form, "authenticator");
  const choices = options ? choicesOf(state, options) : [];
  const password = choices.find((c) => c.method.password);
  if (password && !passwordSent) {
    ctx.logger.debug("Okta IDX: choosing the password authenticator");
    return await api.submit(
      form,
      {
        authenticator: {
          option: password.option,
          values: password.methodType
            ? { methodType: password.methodType }
            : {},
        },
      },
      "choose the password",
    );
  }
  return await challengeWith(ctx, api, form, "authenticator", choices);
}

/** authenticator-verification-data: the method of the current authenticator. */
async function chooseVerification(
  ctx: LoginContext,
  api: IdxClient,
  state: IdxState,
  form: Remediation,
): Promise<IdxState> {
  const f = field(form, "authenticator");
  const target = related(state, form.relatesTo) ??
    state.currentAuthenticator?.value;
  const methodField = f?.form?.value?.find((n) => n.name === "methodType");
  const types = methodField?.options?.map((o) => String(o.value)) ??
    target?.methods?.map((m) => m.type ?? "") ?? [];
  const choices: IdxChoice[] = types.map((t) => ({
    option: { value: { form: f?.form } },
    methodType: t,
    method: describeMethod(target?.key ?? "", t, target),
  }));
  return await challengeWith(ctx, api, form, "authenticator", choices);
}

async function challengeWith(
  ctx: LoginContext,
  api: IdxClient,
  form: Remediation,
  fieldName: string,
  choices: IdxChoice[],
): Promise<IdxState> {
  const { methods, unsupported } = methodsOf(choices);
  if (methods.length === 0) {
    if (choices.length) throw cannotUse(ctx, choices);
    throw new LoginError(
      `Okta sign-in cannot continue: Okta asks to choose an authenticator but offers none`,
    );
  }
  const chosen = await chooseMethod(ctx, {
    idp: "Okta",
    methods,
    unsupported,
    supportedHint:
      "this tool can use Okta Verify push or code, Google Authenticator, SMS, voice call or email",
  });
  ctx.logger.debug(`Okta MFA: using ${chosen.method.label}`);
  const next = await api.submit(
    form,
    {
      [fieldName]: {
        option: chosen.option,
        values: chosen.methodType ? { methodType: chosen.methodType } : {},
      },
    },
    `choose ${chosen.method.label}`,
  );
  const sent = chosen.method.code?.sent;
  if (sent && !errorMessages(next).length) {
    await ctx.prompter.say(sent(false));
  }
  return next;
}

/** Follows the success href to the SAML page. */
async function finish(
  ctx: LoginContext,
  href: string,
): Promise<HttpResponse> {
  const url = new URL(href, ctx.endpoint);
  if (url.origin !== ctx.endpoint.origin) {
    throw new LoginError(
      `Refusing to follow Okta's success link to ${url.host}: the sign-in ran at ${ctx.endpoint.host}`,
    );
  }
  ctx.logger.debug("Okta IDX: success; following the success link");
  return await ctx.http.request(url);
}
