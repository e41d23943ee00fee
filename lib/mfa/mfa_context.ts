/**
 * What the shared second-factor machinery needs from a login: a way to ask,
 * a clock, a log, the person's choices. A provider's LoginContext has all of
 * it.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { Prompter } from "../prompt/prompter.ts";
import type { MfaKind } from "./mfa_kind.ts";

/** The part of a login the second-factor steps use. */
export interface MfaContext {
  /** Asks and shows things (terminal, dialog or script). */
  prompter: Prompter;
  /** Time and waiting. */
  clock: Clock;
  /** The -v log. */
  logger: Logger;
  /** The IdP user name, for messages. */
  username: string;
  /** The --mfa choice, if any. */
  mfa?: MfaKind;
  /** How long to wait for a push (--mfa-timeout), in ms. */
  mfaTimeoutMs: number;
  /** One code from AWSPROCESSCREDS_MFA_CODE, handed out once. */
  takeEnvCode(): string | undefined;
}
