/**
 * The error classes the program ends with. Each carries the exit code and a
 * message written for the user that names the action that failed and where,
 * never a secret. main.ts is the one place that prints them.
 *
 * @module
 */

/** Base class: an error whose message is meant for the user. */
export class CliError extends Error {
  /** Process exit code for this error. */
  readonly exitCode: number = 1;
  override get name(): string {
    return "CliError";
  }
}

/** A bad command line: exit 2, usage on stderr. */
export class UsageError extends CliError {
  override readonly exitCode: number = 2;
  override get name(): string {
    return "UsageError";
  }
}

/** The IdP refused the login or answered something unexpected. */
export class LoginError extends CliError {
  override get name(): string {
    return "LoginError";
  }
}

/** A second factor failed: rejected, timed out, wrong codes, unsupported. */
export class MfaError extends CliError {
  override get name(): string {
    return "MfaError";
  }
}

/** The assertion cannot be read, or grants no usable role. */
export class SamlError extends CliError {
  override get name(): string {
    return "SamlError";
  }
}

/** The requested role is not granted, or no role could be chosen. */
export class RoleError extends CliError {
  override get name(): string {
    return "RoleError";
  }
}

/** STS refused AssumeRoleWithSAML. */
export class StsError extends CliError {
  override get name(): string {
    return "StsError";
  }
}

/** The credential cache could not be used (lock timeout, unwritable directory). */
export class CacheError extends CliError {
  override get name(): string {
    return "CacheError";
  }
}

/** A network request or a wait took longer than allowed. */
export class TimeoutError extends CliError {
  override get name(): string {
    return "TimeoutError";
  }
}

/** A prompt was needed but no terminal is available. */
export class NoTerminalError extends CliError {
  override get name(): string {
    return "NoTerminalError";
  }
}

/** The user pressed Ctrl-C at a prompt: exit 130 like a shell. */
export class InterruptedError extends CliError {
  override readonly exitCode: number = 130;
  override get name(): string {
    return "InterruptedError";
  }
}
