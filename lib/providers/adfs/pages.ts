/**
 * Reading ADFS pages: the sign-in form, the IdP's own error text, and what a
 * second-factor page asks for. Pure functions of a parsed page; adfs.ts and
 * second_factor.ts act on what they find.
 *
 * @module
 */
import {
  formFields,
  type FormInput,
  type HtmlElement,
  type HtmlForm,
  type HtmlPage,
  inputSelector,
} from "../../http/html_form.ts";

const ADFS2_USER = "ctl00$ContentPlaceHolder1$UsernameTextBox";
const ADFS2_PASSWORD = "ctl00$ContentPlaceHolder1$PasswordTextBox";

/** The sign-in form of a page and the names of its user and password fields. */
export interface AdfsLoginForm {
  /** The form. */
  form: HtmlForm;
  /** Name of the user name input. */
  userField: string;
  /** Name of the password input. */
  passwordField: string;
}

/** Where the sign-in form is expected, for "cannot find" errors. */
export const LOGIN_FORM_SHAPES =
  `form#loginForm with UserName and Password, or the ADFS 2.0 form with ${ADFS2_USER}`;

/** Finds the sign-in form: loginForm, the ADFS 2.0 form, or any form with a password input. */
export function findLoginForm(page: HtmlPage): AdfsLoginForm | undefined {
  const has = (f: HtmlForm, name: string) =>
    f.inputs.some((i) => i.name === name);
  const modern = page.forms.find((f) =>
    f.id === "loginForm" && has(f, "UserName") && has(f, "Password")
  );
  if (modern) {
    return { form: modern, userField: "UserName", passwordField: "Password" };
  }
  const legacy = page.forms.find((f) => has(f, ADFS2_USER));
  if (legacy) {
    return {
      form: legacy,
      userField: ADFS2_USER,
      passwordField: ADFS2_PASSWORD,
    };
  }
  for (const form of page.forms) {
    const password = form.inputs.find((i) => i.type === "password");
    const user = form.inputs.find((i) =>
      i.type !== "hidden" && i.type !== "password" &&
      /user|email|login/i.test(i.name)
    );
    if (password && user) {
      return { form, userField: user.name, passwordField: password.name };
    }
  }
  return undefined;
}

/** Builds the body of the sign-in post: the form's own inputs only. */
export function loginFields(
  login: AdfsLoginForm,
  username: string,
  password: string,
): URLSearchParams {
  const fields = formFields(login.form);
  fields.set(login.userField, username);
  fields.set(login.passwordField, password);
  if (login.form.id === "loginForm" && !fields.has("AuthMethod")) {
    fields.set("AuthMethod", "FormsAuthentication");
  }
  return fields;
}

/** The selectors ADFS puts its own error text in, most specific first. */
export const ADFS_ERROR_SELECTORS: readonly string[] = [
  "#errorText",
  "#ctl00_ContentPlaceHolder1_ErrorTextLabel",
  "#errorDetailsText",
  "#error",
  ".error",
];

/** The IdP's own error text on a page, or "". */
export function adfsErrorText(page: HtmlPage): string {
  for (const selector of ADFS_ERROR_SELECTORS) {
    const text = page.text(selector);
    if (text) return text;
  }
  return "";
}

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

/** The second-factor forms of a page: those with AuthMethod and Context. */
export function mfaForms(page: HtmlPage): HtmlForm[] {
  return page.forms.filter((f) =>
    f.inputs.some((i) => i.name === "AuthMethod") &&
    f.inputs.some((i) => i.name === "Context")
  );
}

/** Whether `page` is a second-factor page. */
export function isAdfsMfaPage(page: HtmlPage): boolean {
  return mfaForms(page).length > 0;
}

/** The value of a form's input `name`, or "". */
export function inputValue(form: HtmlForm, name: string): string {
  return form.inputs.find((i) => i.name === name)?.value ?? "";
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

/** The method a choice-page element selects: `SelectOption('…')` in a handler, else its id. */
function selectedMethod(element: HtmlElement): string {
  for (const handler of ["onclick", "onkeypress"]) {
    const m = /SelectOption\(\s*['"]([^'"]+)['"]/.exec(
      element.attribute(handler) ?? "",
    );
    if (m) return m[1];
  }
  return element.attribute("id") ?? "";
}

/**
 * The methods a choice page offers, in page order. Real ADFS pages give the
 * `div.idp` entries no id: the method comes from the `SelectOption('…')`
 * call in `onclick` or `onKeyPress`, the label from the element's
 * `aria-label`, its `.largeTextNoWrap` text, its image's `alt`, or its text.
 */
export function choiceMethods(page: HtmlPage): AdfsMethod[] {
  const methods: AdfsMethod[] = [];
  for (
    const element of page.elements(
      "div.idp, [onclick], [onkeypress], [onKeyPress]",
    )
  ) {
    const id = selectedMethod(element);
    if (!id || methods.some((m) => m.id === id)) continue;
    if (!element.attribute("class")?.split(/\s+/).includes("idp")) {
      // Outside div.idp only an explicit SelectOption call counts.
      if (
        !/SelectOption/.test(
          `${element.attribute("onclick")}${element.attribute("onkeypress")}`,
        )
      ) continue;
    }
    const label = element.attribute("aria-label")?.trim() ||
      element.find(".largeTextNoWrap")?.text ||
      element.find("img")?.attribute("alt")?.trim() || element.text || id;
    methods.push({ id, label });
  }
  return methods;
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
        authMethod: inputValue(form, "AuthMethod"),
      };
    }
  }
  const form = forms.find((f) => inputValue(f, "AuthMethod") !== "") ??
    forms[0];
  const authMethod = form ? inputValue(form, "AuthMethod") : "";
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

/** The prompt for a code input: its placeholder, the instructions, or its name. */
export function codeLabel(page: HtmlPage, input: FormInput): string {
  const placeholder = page.attributes(inputSelector(input), "placeholder")[0]
    ?.trim();
  if (placeholder) return `${placeholder.replace(/[:.\s]+$/, "")}: `;
  const instructions = page.text("#instructions");
  if (instructions) return `${instructions.replace(/[:.\s]+$/, "")}: `;
  const words = input.name.replace(/_/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}: `;
}
