/**
 * Every third-party dependency, pinned in full.
 *
 * Import maps in deno.json do not apply when main.ts runs from a URL, so the
 * specifiers live here. Each is loaded lazily on the login path only.
 *
 * The runtime import takes the specifier from a constant rather than a string
 * literal: a literal dynamic import of an npm package makes Deno resolve the
 * npm graph at start-up, which cost about 9 ms on every cache hit (measured:
 * 22 ms against 13 ms for an empty script). The `typeof import(...)` types
 * keep the specifiers visible to `deno check` and the lockfile, and
 * compile.sh passes each of {@link NPM_SPECIFIERS} to `deno compile
 * --include` so the binary embeds them.
 *
 * @module
 */
import { lazy } from "./lazy.ts";

let stsClient: Promise<typeof import("npm:@aws-sdk/client-sts@3.1174.0")>;
let fetchHttpHandler: Promise<
  typeof import("npm:@smithy/fetch-http-handler@5.8.1")
>;
let htmlParser: Promise<typeof import("npm:linkedom@0.18.15")>;
let xmlParser: Promise<typeof import("npm:@xmldom/xmldom@0.9.12")>;

/** Loads the AWS STS client (once; later calls share the import). */
export function loadStsClient(): Promise<
  typeof import("npm:@aws-sdk/client-sts@3.1174.0")
> {
  return stsClient ??= import(lazy("npm:@aws-sdk/client-sts@3.1174.0"));
}

/** Loads the fetch-based request handler so DENO_CERT and proxies apply to STS. */
export function loadFetchHttpHandler(): Promise<
  typeof import("npm:@smithy/fetch-http-handler@5.8.1")
> {
  return fetchHttpHandler ??= import(
    lazy("npm:@smithy/fetch-http-handler@5.8.1")
  );
}

/** Loads the HTML parser (deno-dom's `DOMParser` API). */
export function loadHtmlParser(): Promise<
  typeof import("npm:linkedom@0.18.15")
> {
  return htmlParser ??= import(lazy("npm:linkedom@0.18.15"));
}

/** Loads the namespace-aware XML parser used for SAML. */
export function loadXmlParser(): Promise<
  typeof import("npm:@xmldom/xmldom@0.9.12")
> {
  return xmlParser ??= import(lazy("npm:@xmldom/xmldom@0.9.12"));
}

/**
 * Starts every import a login needs, without waiting: on a cache miss they
 * load while the IdP answers. Each loader above returns the same promise
 * later, so a failed import surfaces where the module is first used; here
 * its rejection is only marked as handled.
 */
export function prefetchLoginModules(options: { sts: boolean }): void {
  const loads: Promise<unknown>[] = [loadHtmlParser(), loadXmlParser()];
  if (options.sts) loads.push(loadStsClient(), loadFetchHttpHandler());
  for (const load of loads) load.catch(() => {});
}

/** Every npm package the program loads lazily; compile.sh embeds each. */
export const NPM_SPECIFIERS: readonly string[] = [
  "npm:@aws-sdk/client-sts@3.1174.0",
  "npm:@smithy/fetch-http-handler@5.8.1",
  "npm:linkedom@0.18.15",
  "npm:@xmldom/xmldom@0.9.12",
];
