// deno-lint-ignore-file no-import-prefix
/**
 * Every third-party dependency, pinned in full.
 *
 * Import maps in deno.json do not apply when main.ts runs from a URL, so the
 * specifiers live here. Each is loaded lazily with a literal dynamic import:
 * a cache hit never pays for the AWS SDK or the parsers, and `deno compile`
 * still embeds them because the specifiers are statically analyzable.
 *
 * @module
 */

/** Loads the AWS STS client. */
export function loadStsClient(): Promise<
  typeof import("npm:@aws-sdk/client-sts@3.1174.0")
> {
  return import("npm:@aws-sdk/client-sts@3.1174.0");
}

/** Loads the fetch-based request handler so DENO_CERT and proxies apply to STS. */
export function loadFetchHttpHandler(): Promise<
  typeof import("npm:@smithy/fetch-http-handler@5.8.1")
> {
  return import("npm:@smithy/fetch-http-handler@5.8.1");
}

/** Loads the HTML parser (deno-dom's `DOMParser` API). */
export function loadHtmlParser(): Promise<
  typeof import("npm:linkedom@0.18.15")
> {
  return import("npm:linkedom@0.18.15");
}

/** Loads the namespace-aware XML parser used for SAML. */
export function loadXmlParser(): Promise<
  typeof import("npm:@xmldom/xmldom@0.9.12")
> {
  return import("npm:@xmldom/xmldom@0.9.12");
}
