/**
 * Reading a response body with a size cap, counted after content decoding,
 * so neither a huge body nor a small gzip bomb can fill memory.
 *
 * @module
 */
import { LoginError } from "../errors.ts";

/**
 * Reads `res`'s body as UTF-8 text, stopping (and cancelling the stream) as
 * soon as it exceeds `maxBytes`.
 *
 * @throws {LoginError} "response too large", naming the host and the cap.
 */
export async function readCapped(
  res: Response,
  maxBytes: number,
  url: URL,
): Promise<string> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge(url, maxBytes);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let total = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(url, maxBytes);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

function tooLarge(url: URL, maxBytes: number): LoginError {
  return new LoginError(
    `Cannot read the answer of ${url.host}: response too large (more than ${
      Math.round(maxBytes / 1024 / 1024)
    } MiB)`,
  );
}
