/**
 * The Okta sign-in page an OIE org serves for the embed link: the IDX flow
 * starts from the `stateToken` in its script. Two templates exist: the
 * default hosted page (`var stateToken = '…';`) and the custom page
 * (`var oktaData = {…"stateToken":"…"…}`, not JSON). The value is a
 * JavaScript string literal with Okta's escapes (`\x2D`, `\u002D`, …), which
 * must be undone: the escaped token is refused by introspect.
 *
 * @module
 */

/** `var|let|const stateToken = '…'` (not `stateTokens`, not a bare declaration). */
const DECLARED =
  /\b(?:var|let|const)\s+stateToken\s*=\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/;
/** `"stateToken":"…"` or `stateToken: '…'` inside an object literal. */
const PROPERTY =
  /["']?\bstateToken["']?\s*:\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')/;

const SIMPLE_ESCAPES: Record<string, string> = {
  n: "\n",
  r: "\r",
  t: "\t",
  b: "\b",
  f: "\f",
  v: "\v",
  "0": "\0",
};

/**
 * Undoes JavaScript string escapes: `\xHH`, `\uHHHH`, `\u{H…}`, the
 * single-letter ones, and `\` before any other character.
 *
 * @example
 * ```ts
 * unescapeJs("a\\x2Db\\u002Dc"); // "a-b-c"
 * ```
 */
export function unescapeJs(text: string): string {
  return text.replace(
    /\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|[\s\S])/g,
    (_, e: string) => {
      if (e[0] === "x" && e.length === 3) {
        return String.fromCharCode(parseInt(e.slice(1), 16));
      }
      if (e[0] === "u" && e.length > 1) {
        const hex = e[1] === "{" ? e.slice(2, -1) : e.slice(1);
        return String.fromCodePoint(parseInt(hex, 16));
      }
      return SIMPLE_ESCAPES[e] ?? e;
    },
  );
}

/**
 * The decoded stateToken of an Okta sign-in page, or undefined when the page
 * has none (a Classic page declares it empty).
 */
export function findStateToken(html: string): string | undefined {
  for (const pattern of [DECLARED, PROPERTY]) {
    const m = pattern.exec(html);
    const raw = m?.[1] ?? m?.[2];
    if (raw) return unescapeJs(raw);
  }
  return undefined;
}
