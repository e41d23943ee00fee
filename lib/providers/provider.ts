/**
 * What every IdP implements: log in and return the base64 SAMLResponse, or
 * get one from a saved session without asking anything. Providers are state
 * machines over an HttpSession; their second factors use lib/mfa/.
 *
 * @module
 */
import type { HttpSession } from "../http/http_session.ts";
import type { MfaContext } from "../mfa/mfa_context.ts";

/** What a login needs: the I/O, the user and how to ask them things. */
export interface LoginContext extends MfaContext {
  /** HTTP with the cookie jar of this login. */
  http: HttpSession;
  /** The -e URL. */
  endpoint: URL;
  /** The password: from the environment or asked once, then remembered. */
  password(): Promise<string>;
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
