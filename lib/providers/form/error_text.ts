/**
 * The IdP's own error text on a form-based sign-in page: the element that
 * names an error in SimpleSAMLphp, Keycloak, Shibboleth IdP and common
 * templates. Pure functions of a parsed page.
 *
 * @module
 */
import type { HtmlPage } from "../../http/html_form.ts";
import { safeText } from "../../safe_text.ts";

/** The longest error text shown, in characters. */
export const MAX_ERROR_TEXT = 300;

/**
 * SimpleSAMLphp 1.x (`loginuserpass.tpl.php`): an unnamed box whose
 * `<h2>Error</h2>` is followed by a `<p><strong>title</strong></p>` and a
 * `<p>` description. Its pages have other h2s ("Enter your username and
 * password"), so the box is found by the heading it contains.
 */
const SIMPLESAMLPHP_ERROR_BOX = ':has(> h2:contains("Error"))';

/**
 * The selectors that name an error, most specific first: Keycloak field
 * errors (`#input-error`, `#input-error-username`, `-password`,
 * `-otp-code`), Keycloak alerts and error page, Shibboleth IdP 4/5 (and 3),
 * PingFederate, LemonLDAP::NG and CAS markup, then generic markup.
 */
export const ERROR_SELECTORS: readonly string[] = [
  "[id^=input-error]",
  ".alert-error .kc-feedback-text",
  ".alert-error",
  ".kc-feedback-text",
  "#kc-error-message",
  ".output--error",
  ".output--failure",
  ".form-error",
  ".ping-error",
  ".message-negative",
  "#loginErrorsPanel",
  "#msg.errors",
  "[role=alert]",
  ".alert-danger",
  ".error",
];

function simpleSamlPhpError(page: HtmlPage): string {
  if (!page.has(SIMPLESAMLPHP_ERROR_BOX)) return "";
  const title = page.text(`${SIMPLESAMLPHP_ERROR_BOX} strong`);
  const description = page.text(
    `${SIMPLESAMLPHP_ERROR_BOX} > p:not(:has(strong))`,
  );
  if (title && description) {
    return `${title.replace(/[.:\s]+$/, "")}. ${description}`;
  }
  return page.text(SIMPLESAMLPHP_ERROR_BOX).replace(/^Error\s*/, "");
}

/**
 * The IdP's own error text on `page`, or "": cleaned of control characters,
 * cut to {@link MAX_ERROR_TEXT} characters, and with `secret` (the password,
 * should a page echo it) replaced by `***`.
 */
export function formErrorText(page: HtmlPage, secret?: string): string {
  let text = simpleSamlPhpError(page);
  for (const selector of ERROR_SELECTORS) {
    if (text) break;
    text = page.text(selector);
  }
  if (secret) text = text.replaceAll(secret, "***");
  text = safeText(text).replace(/\s+/g, " ").trim();
  return text.length > MAX_ERROR_TEXT
    ? `${text.slice(0, MAX_ERROR_TEXT - 1)}…`
    : text;
}
