/**
 * HTML forms read with a real parser (linkedom, loaded lazily), so values are
 * entity-decoded (Okta hex-escapes the SAMLResponse) and markup inside
 * scripts is ignored.
 *
 * @module
 */
import { loadHtmlParser } from "../deps.ts";

/** One input, select or textarea of a form. */
export interface FormInput {
  /** The name attribute. */
  name: string;
  /** Lower-case type ("text", "hidden", "password", "checkbox", …). */
  type: string;
  /** The value (the selected option of a select, the text of a textarea). */
  value: string;
  /** The id attribute, or "". */
  id: string;
  /** Whether a checkbox or radio button is checked. */
  checked: boolean;
  /**
   * The autocomplete attribute, lower case ("username", "one-time-code"),
   * when the input has one.
   */
  autocomplete?: string;
}

/** A form as the page declares it. */
export interface HtmlForm {
  /** The id attribute, or "". */
  id: string;
  /** The name attribute. */
  name: string;
  /** The action attribute, entity-decoded, possibly relative or empty. */
  action: string;
  /** The method attribute, lower case ("get" by default). */
  method: string;
  /** Its inputs, selects, textareas and buttons, in order. */
  inputs: FormInput[];
}

/** A parsed page: its forms and a way to read text by CSS selector. */
export interface HtmlPage {
  /** The page's forms, in order. */
  forms: HtmlForm[];
  /** Trimmed text of the first element matching `selector`, or "". */
  text(selector: string): string;
  /** Whether some element matches `selector`. */
  has(selector: string): boolean;
  /** Attribute of every element matching `selector`. */
  attributes(selector: string, attribute: string): string[];
  /** Every element matching `selector`, to read each one's parts together. */
  elements(selector: string): HtmlElement[];
  /** The page title, trimmed. */
  title: string;
}

/** One element of a page, read-only. */
export interface HtmlElement {
  /** An attribute, or undefined. */
  attribute(name: string): string | undefined;
  /** The element's text, whitespace collapsed and trimmed. */
  text: string;
  /** The first descendant matching `selector`. */
  find(selector: string): HtmlElement | undefined;
}

function wrap(element: MiniElement): HtmlElement {
  return {
    attribute(name) {
      const value = element.getAttribute(name);
      if (value !== null) return value;
      // HTML attribute names are case-insensitive (onKeyPress); linkedom
      // keeps them as written.
      const wanted = name.toLowerCase();
      for (const a of element.attributes ?? []) {
        if (a.name.toLowerCase() === wanted) return a.value;
      }
      return undefined;
    },
    text: (element.textContent ?? "").replace(/\s+/g, " ").trim(),
    find(selector) {
      const found = element.querySelector(selector);
      return found ? wrap(found) : undefined;
    },
  };
}

interface MiniElement {
  getAttribute(name: string): string | null;
  attributes?: Iterable<{ name: string; value: string }>;
  hasAttribute(name: string): boolean;
  querySelectorAll(selector: string): Iterable<MiniElement>;
  querySelector(selector: string): MiniElement | null;
  tagName: string;
  textContent: string | null;
  value?: string;
}

function readInput(element: MiniElement): FormInput | undefined {
  const name = element.getAttribute("name");
  if (!name) return undefined;
  const tag = element.tagName.toLowerCase();
  let type = (element.getAttribute("type") ?? "text").toLowerCase();
  let value = element.getAttribute("value") ?? "";
  if (tag === "select") {
    type = "select";
    const options = [...element.querySelectorAll("option")];
    const chosen = options.find((o) => o.hasAttribute("selected")) ??
      options[0];
    value = chosen
      ? (chosen.getAttribute("value") ?? chosen.textContent ?? "").trim()
      : "";
  } else if (tag === "textarea") {
    type = "textarea";
    value = element.textContent ?? "";
  } else if (tag === "button") {
    type = (element.getAttribute("type") ?? "submit").toLowerCase();
  }
  const input: FormInput = {
    name,
    type,
    value,
    id: element.getAttribute("id") ?? "",
    checked: element.hasAttribute("checked"),
  };
  const autocomplete = element.getAttribute("autocomplete")?.trim();
  if (autocomplete) input.autocomplete = autocomplete.toLowerCase();
  return input;
}

/** Parses an HTML page. */
export async function parseHtml(html: string): Promise<HtmlPage> {
  const { DOMParser } = await loadHtmlParser();
  const document = new DOMParser().parseFromString(html, "text/html");
  const root = document as unknown as MiniElement;
  const forms: HtmlForm[] = [...root.querySelectorAll("form")].map((form) => ({
    id: form.getAttribute("id") ?? "",
    name: form.getAttribute("name") ?? "",
    action: form.getAttribute("action") ?? "",
    method: (form.getAttribute("method") ?? "get").toLowerCase(),
    inputs: [...form.querySelectorAll("input, select, textarea, button")]
      .map(readInput)
      .filter((i): i is FormInput => i !== undefined),
  }));
  return {
    forms,
    text(selector) {
      return (root.querySelector(selector)?.textContent ?? "").replace(
        /\s+/g,
        " ",
      ).trim();
    },
    has(selector) {
      return root.querySelector(selector) !== null;
    },
    attributes(selector, attribute) {
      return [...root.querySelectorAll(selector)]
        .map((e) => e.getAttribute(attribute))
        .filter((v): v is string => v !== null);
    },
    elements(selector) {
      return [...root.querySelectorAll(selector)].map(wrap);
    },
    title: (root.querySelector("title")?.textContent ?? "").trim(),
  };
}

/**
 * The fields a browser would submit for `form`: named inputs, checked boxes
 * only, the first submit button only, no file inputs.
 */
export function formFields(form: HtmlForm): URLSearchParams {
  const fields = new URLSearchParams();
  let submitted = false;
  for (const input of form.inputs) {
    if (input.type === "checkbox" || input.type === "radio") {
      if (input.checked) fields.append(input.name, input.value || "on");
    } else if (input.type === "submit" || input.type === "image") {
      if (!submitted) fields.append(input.name, input.value);
      submitted = true;
    } else if (
      input.type !== "file" && input.type !== "reset" && input.type !== "button"
    ) {
      fields.append(input.name, input.value);
    }
  }
  return fields;
}

/** Resolves a form's action against the URL of the page actually served. */
export function formAction(form: HtmlForm, pageUrl: URL): URL {
  return new URL(form.action.trim() || pageUrl.href, pageUrl);
}

/** Names a form for messages: `#id`, `[name=…]` or `(unnamed)`. */
export function formName(form: HtmlForm): string {
  return form.id
    ? `#${form.id}`
    : form.name
    ? `[name=${form.name}]`
    : "(unnamed)";
}

/** An attribute selector `[attribute="value"]`, whatever characters the value holds. */
export function attributeSelector(attribute: string, value: string): string {
  return `[${attribute}="${value.replace(/["\\]/g, "\\$&")}"]`;
}

/** A selector for `input`: by its id if it has one, else by its name. */
export function inputSelector(input: FormInput): string {
  return input.id
    ? attributeSelector("id", input.id)
    : attributeSelector("name", input.name);
}

/** Names a page's forms and inputs (never values), for "unknown page" errors. */
export function describeForms(page: HtmlPage): string {
  if (page.forms.length === 0) return "no forms";
  return page.forms.map((f) =>
    `form ${formName(f)} with inputs ${
      f.inputs.map((i) => i.name).join(", ") || "(none)"
    }`
  ).join("; ");
}

/** The SAMLResponse value of the first form that carries one, if any. */
export function findSamlResponse(page: HtmlPage): string | undefined {
  for (const form of page.forms) {
    const input = form.inputs.find((i) => i.name === "SAMLResponse");
    if (input?.value) return input.value;
  }
  return undefined;
}
