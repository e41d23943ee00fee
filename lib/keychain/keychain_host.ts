/**
 * The host part of a keychain entry's key, on its own so the login path can
 * compute it without loading the keychain code.
 *
 * @module
 */

/**
 * The host part of an entry's key: lower case, without a port. Accepts a URL
 * too.
 */
export function keychainHost(host: string): string {
  let h = host.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(h)) {
    try {
      h = new URL(h).host;
    } catch {
      // Not a URL after all; use as given.
    }
  }
  h = h.toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end > 0 ? h.slice(0, end + 1) : h;
  }
  return h.replace(/:\d*$/, "");
}
