/**
 * Where ADFS writes its own error text (wrong password, locked account,
 * refused code, denied push), shared by the sign-in and second-factor steps.
 *
 * @module
 */
import type { HtmlPage } from "../../http/html_form.ts";

/** The selectors ADFS puts its own error text in. */
export const ADFS_ERROR_SELECTORS = [
  "#errorText",
  "#ctl00_ContentPlaceHolder1_ErrorTextLabel",
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
