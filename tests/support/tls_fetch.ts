/**
 * A fetch that trusts the test CA, for in-process tests (lib/ receives fetch
 * as a parameter, so tests hand it this one).
 *
 * @module
 */
import { caFile } from "../emulators/server.ts";

const client = Deno.createHttpClient({
  caCerts: [Deno.readTextFileSync(caFile)],
});

/** `fetch` with the test CA trusted. */
export const tlsFetch: typeof fetch = (input, init) =>
  fetch(input, { ...init, client });
