/**
 * Verbose logging to stderr with secrets redacted and control characters
 * removed (text from the network ends up here). stdout is the JSON channel,
 * so nothing here ever touches it.
 *
 * @module
 */
import { safeText } from "./safe_text.ts";

/** Where log lines go, and whether debug lines are shown. */
export interface Logger {
  /** A step, shown with -v only. */
  debug(message: string): void;
  /** Always shown on stderr. */
  warn(message: string): void;
  /** Registers a value that must never appear in any log line. */
  secret(value: string | undefined): void;
}

/** Secrets matched as whole words only: short letters-and-digits codes. */
const SHORT_WORD = /^[A-Za-z0-9]{1,15}$/;

/** Query names whose values -v never shows (AuthState: a login in progress). */
const SECRET_QUERY =
  /token|code|pass|saml|sig|secret|session|context|authstate|relaystate/i;

/** Replaces the values of secret-looking query parameters in a URL. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return String(url);
  }
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_QUERY.test(key)) parsed.searchParams.set(key, "REDACTED");
  }
  return parsed.href;
}

/**
 * Creates a logger writing through `write` (stderr in main.ts).
 *
 * @param write Receives whole lines, newline included.
 * @param verbose Whether debug lines are written.
 */
export function createLogger(
  write: (line: string) => void,
  verbose: boolean,
): Logger {
  const secrets = new Set<string>();
  const scrub = (message: string): string => {
    let out = message;
    // Longest first: a secret that contains another is masked whole.
    for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
      // A short code (123456) is masked only where it stands alone, so it
      // cannot eat part of an account ID; anything longer wherever it is.
      out = SHORT_WORD.test(s)
        ? out.replace(
          new RegExp(`(?<![A-Za-z0-9])${s}(?![A-Za-z0-9])`, "g"),
          "***",
        )
        : out.replaceAll(s, "***");
    }
    return safeText(out);
  };
  return {
    debug(message) {
      if (verbose) write(`awsprocesscreds-saml: ${scrub(message)}\n`);
    },
    warn(message) {
      write(`awsprocesscreds-saml: ${scrub(message)}\n`);
    },
    secret(value) {
      if (value && value.length >= 4) secrets.add(value);
    },
  };
}
