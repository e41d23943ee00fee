/**
 * Reading the pages of a form-based SAML IdP (Shibboleth, Keycloak,
 * SimpleSAMLphp, PingFederate, LemonLDAP::NG, CAS, …): what a page asks
 * for, and the fields a browser would post back. Pure functions of a parsed
 * page; form.ts acts on what they find.
 *
 * A page is read in this order, the first match winning:
 *
 * 1. **saml**: a form carrying a `SAMLResponse` value. The walk ends.
 * 2. **login**: a form with a password input (one not named like a
 *    one-time code), and the user name input when it has one.
 * 3. **code**: a form with a one-time-code input (`otp`, `code`, `totp`,
 *    `token`, `passcode`, `autocomplete=one-time-code`, …).
 * 4. **username**: a form with a user name input and neither of the above,
 *    the first page of a two-page login.
 * 5. **auto**: a form of hidden fields only (submit buttons aside), which a
 *    browser submits by script or after "press Continue".
 * 6. **unknown**: anything else.
 *
 * @module
 */
import {
  attributeSelector,
  findSamlResponse,
  formFields,
  type FormInput,
  formName,
  type HtmlForm,
  type HtmlPage,
  inputSelector,
} from "../../http/html_form.ts";

/** What a page asks for; see the module doc for the order. */
export type FormStep =
  | { kind: "saml"; saml: string }
  | {
    kind: "login";
    form: HtmlForm;
    user: FormInput | undefined;
    password: FormInput;
  }
  | { kind: "code"; form: HtmlForm; code: FormInput }
  | { kind: "username"; form: HtmlForm; user: FormInput }
  | { kind: "auto"; form: HtmlForm }
  | { kind: "unknown" };

/** What the provider looks for, for "cannot find" errors. */
export const FORM_SHAPES =
  "a SAMLResponse form, a sign-in form (a password input), a one-time-code form, a user name form or a form of hidden fields only";

/** Input types a person types into. */
const TYPED = new Set(["text", "email", "tel", "number", "password"]);
/** Input types a form of hidden fields may also hold. */
const BUTTONS = new Set(["submit", "image", "button", "reset"]);
/** User name input names, normalised (lower case, letters and digits only). */
const USER_NAMES = new Set([
  "username",
  "jusername",
  "login",
  "user",
  "email",
  "userid",
  "loginid",
  "loginname",
  "uid",
  "identifier",
  "pfusername",
]);
/** Parts of normalised names that mark a one-time-code input. */
const CODE_PARTS = /otp|passcode|onetime|2fa|mfacode|authcode|tokencode/;

function normalised(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Whether `input` takes a one-time code. */
export function isCodeInput(input: FormInput): boolean {
  if (!TYPED.has(input.type) || input.type === "email") return false;
  if (input.autocomplete === "one-time-code") return true;
  const name = normalised(input.name);
  return CODE_PARTS.test(name) || name.endsWith("code") ||
    name.endsWith("token");
}

/** Whether `input` takes a password (and not a one-time code). */
export function isPasswordInput(input: FormInput): boolean {
  return input.type === "password" && !isCodeInput(input);
}

/**
 * The user name input of a form: text or email, autocompleted as a user
 * name, else named like one (`username`, `j_username`, `login`, `user`,
 * `email`, `UserName`, …).
 */
export function findUserInput(form: HtmlForm): FormInput | undefined {
  const typed = form.inputs.filter((i) =>
    (i.type === "text" || i.type === "email") && !isCodeInput(i)
  );
  return typed.find((i) =>
    i.autocomplete !== undefined &&
    /(^|\s)(username|email)$/.test(i.autocomplete)
  ) ??
    typed.find((i) => USER_NAMES.has(normalised(i.name))) ??
    typed.find((i) => /user|login|e-?mail/i.test(i.name));
}

/** Whether a form holds hidden fields only (submit buttons aside). */
export function isAutoSubmitForm(form: HtmlForm): boolean {
  return form.inputs.some((i) => i.type === "hidden") &&
    form.inputs.every((i) => i.type === "hidden" || BUTTONS.has(i.type));
}

/** Reads what `page` asks for. */
export function classifyPage(page: HtmlPage): FormStep {
  const saml = findSamlResponse(page);
  if (saml) return { kind: "saml", saml };
  for (const form of page.forms) {
    const password = form.inputs.find(isPasswordInput);
    if (password) {
      return { kind: "login", form, user: findUserInput(form), password };
    }
  }
  for (const form of page.forms) {
    const code = form.inputs.find(isCodeInput);
    if (code) return { kind: "code", form, code };
  }
  for (const form of page.forms) {
    const user = findUserInput(form);
    if (user) return { kind: "username", form, user };
  }
  const auto = page.forms.find(isAutoSubmitForm);
  if (auto) return { kind: "auto", form: auto };
  return { kind: "unknown" };
}

/**
 * The body of a sign-in or user name post: the form's own fields (hidden
 * ones, checked boxes, the first named submit button such as Shibboleth's
 * `_eventId_proceed`) with the user name and password filled in, and
 * PingFederate's `pf.ok` set to `clicked` as its page script does.
 */
export function loginFields(
  form: HtmlForm,
  user: FormInput | undefined,
  username: string,
  password?: { input: FormInput; value: string },
): URLSearchParams {
  const fields = formFields(form);
  if (user) fields.set(user.name, username);
  if (password) fields.set(password.input.name, password.value);
  if (fields.has("pf.ok")) fields.set("pf.ok", "clicked");
  return fields;
}

/**
 * The body of a form of hidden fields, as a browser without script and
 * without web storage posts it: as it stands, with Shibboleth's
 * `shib_idp_ls_supported` empty (storage not supported).
 */
export function autoSubmitFields(form: HtmlForm): URLSearchParams {
  const fields = formFields(form);
  if (fields.has("shib_idp_ls_supported")) {
    fields.set("shib_idp_ls_supported", "");
  }
  return fields;
}

/** The prompt for a code input: its label, its placeholder, or a default. */
export function codeLabel(page: HtmlPage, input: FormInput): string {
  const label = input.id
    ? page.text(`label${attributeSelector("for", input.id)}`)
    : "";
  const placeholder =
    page.attributes(inputSelector(input), "placeholder")[0]?.trim() ?? "";
  const text = (label || placeholder).replace(/[:.\s]+$/, "");
  return `${text && text.length <= 60 ? text : "One-time code"}: `;
}

/** Names a step for the -v log: its kind, form and input names, no values. */
export function describeStep(step: FormStep): string {
  switch (step.kind) {
    case "saml":
      return "the SAML form";
    case "login":
      return `sign-in form ${formName(step.form)} (${
        step.user ? `user ${step.user.name}, ` : ""
      }password ${step.password.name})`;
    case "code":
      return `one-time-code form ${formName(step.form)} (${step.code.name})`;
    case "username":
      return `user name form ${formName(step.form)} (${step.user.name})`;
    case "auto":
      return `form of hidden fields ${formName(step.form)}`;
    case "unknown":
      return "an unknown page";
  }
}
