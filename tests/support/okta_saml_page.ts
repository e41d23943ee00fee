/**
 * Reads the assertion out of an Okta SAML page the way a browser sees it:
 * the hidden SAMLResponse input, its value written with Okta's hex entities
 * (`&#x2b;`), base64 of UTF-8 XML. Kept apart from lib/ so the emulator
 * tests do not check the emulator with the code under test.
 *
 * @module
 */

function decodeHex(value: string): string {
  return value.replace(
    /&#x([0-9a-f]+);/gi,
    (_, hex) => String.fromCharCode(parseInt(hex, 16)),
  );
}

/** The decoded assertion XML of an Okta SAML page, or undefined. */
export function assertionOf(page: string): string | undefined {
  const m = /<input name="SAMLResponse" type="hidden" value="([^"]*)"/.exec(
    page,
  );
  if (!m) return undefined;
  const binary = atob(decodeHex(m[1]));
  return new TextDecoder().decode(
    Uint8Array.from(binary, (c) => c.charCodeAt(0)),
  );
}
