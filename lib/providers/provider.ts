/**
 * What every IdP implements: log in and return the base64 SAMLResponse. Both
 * providers are state machines over an HttpSession; MFA steps are states.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { HttpSession } from "../http/http_session.ts";
import type { Logger } from "../logger.ts";
import type { Prompter } from "../prompt/prompter.ts";

/** The second factor asked for with --mfa. */
export type MfaKind = "push" | "totp" | "sms" | "call" | "email" | "yubikey";

/** All --mfa values. */
export const MFA_KINDS: readonly MfaKind[] = [
  "push",
  "totp",
  "sms",
  "call",
  "email",
  "yubikey",
];

/** What a login needs: the I/O, the user and how to ask them things. */
export interface LoginContext {
  http: HttpSession;
  prompter: Prompter;
  logger: Logger;
  clock: Clock;
  /** The -e URL. */
  endpoint: URL;
  username: string;
  /** The password: from the environment or the terminal, asked once. */
  password(): Promise<string>;
  /** The --mfa choice, if any. */
  mfa?: MfaKind;
  /** How long to wait for a push (--mfa-timeout) in ms. */
  mfaTimeoutMs: number;
  /** One code from AWSPROCESSCREDS_MFA_CODE, used once before prompting. */
  takeEnvCode(): string | undefined;
}

/** An identity provider. */
export interface Provider {
  /** Logs in from scratch; returns the base64 SAMLResponse. */
  login(ctx: LoginContext): Promise<string>;
  /**
   * Tries to get an assertion with the session cookies already in
   * `ctx.http.jar`, without asking anything. Undefined if the IdP wants a
   * login.
   */
  resume(ctx: LoginContext): Promise<string | undefined>;
}
