/**
 * A fetch for in-process tests that keeps what the IdP sent: every response
 * body and every Set-Cookie value, to look for them later where they must
 * not be (the cache file, logs).
 *
 * @module
 */
import { tlsFetch } from "./tls_fetch.ts";

/** What recordingFetch() hands back. */
export interface RecordingFetch {
  /** The fetch to give the code under test. */
  fetch: typeof fetch;
  /** Every response body, in order. */
  bodies: string[];
  /** Every Set-Cookie value (the part after `name=`), in order. */
  cookies: string[];
}

/** A fetch through the test CA that records bodies and cookie values. */
export function recordingFetch(): RecordingFetch {
  const bodies: string[] = [];
  const cookies: string[] = [];
  const wrapped = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await tlsFetch(input, init);
    bodies.push(await res.clone().text());
    for (const c of res.headers.getSetCookie()) {
      cookies.push(c.split(";")[0].split("=").slice(1).join("="));
    }
    return res;
  }) as typeof fetch;
  return { fetch: wrapped, bodies, cookies };
}
