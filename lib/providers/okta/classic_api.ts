/**
 * The Okta Classic authentication API as JSON calls: POST a body, get an
 * authentication transaction back, with Okta's error bodies, 401s and rate
 * limits turned into clear errors.
 *
 * @module
 */
import { type HttpSession, isOk } from "../../http/http_session.ts";
import { LoginError } from "../../errors.ts";
import type { Clock } from "../../clock.ts";
import type { Logger } from "../../logger.ts";

/** A HAL link. */
export interface OktaLink {
  /** The URL. */
  href: string;
  /** The link name (e.g. "sms" for a resend link). */
  name?: string;
}

/** An enrolled factor in `_embedded.factors`. */
export interface OktaFactor {
  /** The factor id. */
  id: string;
  /** "push", "token:software:totp", "sms", … */
  factorType: string;
  /** "OKTA", "GOOGLE", "YUBICO", … */
  provider: string;
  /** The vendor, if given. */
  vendorName?: string;
  /** Device name, phone number, email, … */
  profile?: Record<string, unknown>;
  /** Where to verify the factor. */
  _links?: { verify?: OktaLink };
  /** The push number challenge, if any. */
  _embedded?: { challenge?: { correctAnswer?: number } };
}

/** An authentication transaction. */
export interface OktaTransaction {
  /** "SUCCESS", "MFA_REQUIRED", "MFA_CHALLENGE", … */
  status: string;
  /** The transaction token (a secret). */
  stateToken?: string;
  /** The one-time session token of a SUCCESS (a secret). */
  sessionToken?: string;
  /** "WAITING", "REJECTED", "TIMEOUT", … during a challenge. */
  factorResult?: string;
  /** When the transaction expires. */
  expiresAt?: string;
  /** The push number challenge, if any. */
  _embedded?: {
    factors?: OktaFactor[];
    factor?: OktaFactor;
    policy?: Record<string, unknown>;
  };
  /** Where to verify the factor. */
  _links?: {
    next?: OktaLink;
    skip?: OktaLink;
    resend?: OktaLink[];
    cancel?: OktaLink;
  };
}

/** An Okta error body. */
export interface OktaErrorBody {
  /** E.g. "E0000004". */
  errorCode?: string;
  /** Okta's message. */
  errorSummary?: string;
  /** More detail, if any. */
  errorCauses?: { errorSummary?: string }[];
}

/** An Okta API call that failed with an error body. */
export class OktaApiError extends LoginError {
  /** E.g. "E0000068". */
  readonly errorCode: string;
  /** HTTP status. */
  readonly status: number;

  /** Creates the error. */
  constructor(message: string, errorCode: string, status: number) {
    super(message);
    this.errorCode = errorCode;
    this.status = status;
  }
  /** The class name, for stack traces. */
  override get name(): string {
    return "OktaApiError";
  }
}

/** The longest wait for a rate limit to reset before retrying once. */
export const RATE_LIMIT_WAIT_MS = 10_000;

/** Posts JSON to the Okta API and returns the transaction. */
export class OktaApi {
  #http: HttpSession;
  #clock: Clock;
  #logger: Logger;
  #org: URL;

  /**
   * Uses `http` for requests, `clock` for rate-limit waits. Every POST goes
   * to `org`'s origin only: a link pointing elsewhere is refused before the
   * state token or a code is sent.
   */
  constructor(http: HttpSession, clock: Clock, logger: Logger, org: URL) {
    this.#http = http;
    this.#clock = clock;
    this.#logger = logger;
    this.#org = org;
  }

  /**
   * POSTs `body` to `url`.
   *
   * @param action Names the step for error messages ("sign in", "verify the factor").
   * @throws {OktaApiError} for Okta error bodies (401, 403, 429, …).
   * @throws {LoginError} for anything that is not an Okta answer.
   */
  async post(
    url: string | URL,
    body: unknown,
    action: string,
  ): Promise<OktaTransaction> {
    for (let attempt = 0;; attempt++) {
      const res = await this.#http.request(url, {
        method: "POST",
        json: body,
        follow: false,
        askedBy: this.#org,
      });
      const host = res.url.host;
      if (res.status === 429) {
        const reset = Number(res.headers.get("x-rate-limit-reset"));
        const waitMs = Number.isFinite(reset) && reset > 0
          ? reset * 1000 - this.#clock.now().getTime()
          : Infinity;
        if (attempt === 0 && waitMs <= RATE_LIMIT_WAIT_MS) {
          this.#logger.warn(
            `Okta rate limit reached at ${host}; retrying in ${
              Math.max(1, Math.ceil(waitMs / 1000))
            } s`,
          );
          await this.#clock.sleep(Math.max(waitMs, 0) + 250);
          continue;
        }
        const when = Number.isFinite(waitMs)
          ? ` It resets at ${new Date(reset * 1000).toISOString()}.`
          : "";
        throw new OktaApiError(
          `Cannot ${action}: Okta at ${host} is rate limiting requests (HTTP 429).${when}`,
          parseError(res.text)?.errorCode ?? "E0000047",
          429,
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(res.text);
      } catch {
        throw new LoginError(
          `Cannot ${action}: ${host} answered HTTP ${res.status} with a body that is not Okta JSON`,
        );
      }
      if (!isOk(res)) {
        const error = parsed as OktaErrorBody;
        const code = error.errorCode ?? "unknown";
        const cause = error.errorCauses?.[0]?.errorSummary;
        let summary = error.errorSummary ?? "no error summary";
        if (cause && cause !== summary) summary += ` (${cause})`;
        throw new OktaApiError(
          res.status === 401 && code === "E0000004"
            ? `Cannot ${action}: Okta at ${host} rejected the username or password (HTTP 401, ${code})`
            : `Cannot ${action}: Okta at ${host} answered HTTP ${res.status}: ${summary} (${code})`,
          code,
          res.status,
        );
      }
      const tx = parsed as OktaTransaction;
      if (
        typeof tx !== "object" || tx === null || typeof tx.status !== "string"
      ) {
        throw new LoginError(
          `Cannot ${action}: ${host} answered JSON without a transaction status`,
        );
      }
      this.#logger.secret(tx.stateToken);
      this.#logger.secret(tx.sessionToken);
      this.#logger.debug(
        `Okta transaction status ${tx.status}${
          tx.factorResult ? ` (${tx.factorResult})` : ""
        }`,
      );
      return tx;
    }
  }
}

function parseError(text: string): OktaErrorBody | undefined {
  try {
    return JSON.parse(text) as OktaErrorBody;
  } catch {
    return undefined;
  }
}
