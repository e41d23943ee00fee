/**
 * Where the password comes from: AWSPROCESSCREDS_PASSWORD, then the OS
 * keychain (when it holds one for this user and IdP host), then a prompt
 * (terminal or dialog). Asked at most once per login. A stored password the
 * IdP refuses is used exactly once: {@link PasswordSource.refused} deletes
 * it, and the next login asks. With --save-password, a password that
 * worked is stored after the login.
 *
 * @module
 */
import { NoTerminalError } from "./errors.ts";
import type { Keychain } from "./keychain/keychain.ts";
import type { Logger } from "./logger.ts";
import type { Prompter } from "./prompt/prompter.ts";

/** Where the password of this run came from. */
export type PasswordOrigin = "environment" | "keychain" | "prompt";

/** What the password source needs. */
export interface PasswordSourceDeps {
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** The way to ask. */
  prompter: Prompter;
  /** The -v log. */
  logger: Logger;
  /** The OS keychain, if this machine has one (looked up on first use). */
  keychain?: () => Promise<Keychain | undefined>;
}

/** The password of one user at one IdP host. */
export class PasswordSource {
  #deps: PasswordSourceDeps;
  #user: string;
  #host: string;
  #password: Promise<string> | undefined;
  #origin: PasswordOrigin | undefined;
  #keychainRefused = false;
  #keychain: Promise<Keychain | undefined> | undefined;

  /** For `user` at IdP `host` (the keychain's key). */
  constructor(deps: PasswordSourceDeps, user: string, host: string) {
    this.#deps = deps;
    this.#user = user;
    this.#host = host;
  }

  /** The OS keychain, looked up once (a failed lookup is no keychain). */
  #store(): Promise<Keychain | undefined> {
    return this.#keychain ??= (async () => {
      try {
        return await this.#deps.keychain?.();
      } catch (error) {
        this.#deps.logger.debug(
          `Cannot look for an OS keychain: ${(error as Error).message}`,
        );
        return undefined;
      }
    })();
  }

  /** The password, read once. */
  get(): Promise<string> {
    return this.#password ??= this.#read();
  }

  async #read(): Promise<string> {
    const { env, logger, prompter } = this.#deps;
    const fromEnv = env.AWSPROCESSCREDS_PASSWORD;
    if (fromEnv) {
      logger.secret(fromEnv);
      logger.debug("Using the password from AWSPROCESSCREDS_PASSWORD");
      this.#origin = "environment";
      return fromEnv;
    }
    const keychain = this.#keychainRefused ? undefined : await this.#store();
    if (keychain) {
      try {
        const stored = await keychain.get(this.#user, this.#host);
        if (stored) {
          logger.secret(stored);
          logger.debug(`Using the password stored in ${keychain.name}`);
          this.#origin = "keychain";
          return stored;
        }
      } catch (error) {
        logger.debug(
          `${(error as Error).message}; asking for the password instead`,
        );
      }
    }
    try {
      const typed = await prompter.secret("Password: ");
      logger.secret(typed);
      this.#origin = "prompt";
      return typed;
    } catch (error) {
      if (error instanceof NoTerminalError) {
        throw error.withHint(
          "Set AWSPROCESSCREDS_PASSWORD to supply the password, or run the command once from a terminal so the credentials are cached",
        );
      }
      throw error;
    }
  }

  /**
   * The IdP refused the password. If it came from the keychain, the entry
   * is deleted (whether or not anything can ask for another) and the next
   * get() asks; returns whether a new login should be tried.
   */
  async refused(): Promise<boolean> {
    const { logger, prompter } = this.#deps;
    if (this.#origin !== "keychain") return false;
    // A keychain password came from the store looked up before.
    const keychain = (await this.#store())!;
    this.#keychainRefused = true;
    this.#password = undefined;
    this.#origin = undefined;
    try {
      await keychain.delete(this.#user, this.#host);
      logger.debug(`Removed the refused password from ${keychain.name}`);
    } catch (error) {
      logger.warn(
        `The password stored in ${keychain.name} was refused and cannot be removed: ${
          (error as Error).message
        }`,
      );
    }
    await prompter.say(
      `The password stored in ${keychain.name} was not accepted; it has been removed.`,
    );
    return true;
  }

  /** With --save-password: stores a password that worked (not one read from there). */
  async save(): Promise<void> {
    const { logger } = this.#deps;
    if (!this.#password || this.#origin === "keychain") return;
    const keychain = await this.#store();
    if (!keychain) {
      logger.warn(
        "Cannot save the password: no OS keychain was found (secret-tool, security or PowerShell)",
      );
      return;
    }
    try {
      await keychain.set(this.#user, this.#host, await this.#password);
      logger.debug(`Saved the password in ${keychain.name}`);
    } catch (error) {
      logger.warn((error as Error).message);
    }
  }
}
