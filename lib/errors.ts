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
  /** The class name, for stack traces. */
  override get name(): string {
    return "CliError";
  }
}

/** A bad command line: exit 2, usage on stderr. */
export class UsageError extends CliError {
  /** Process exit code for this error. */
  override readonly exitCode: number = 2;
  /** The class name, for stack traces. */
  override get name(): string {
    return "UsageError";
  }
}

/** The IdP refused the login or answered something unexpected. */
export class LoginError extends CliError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "LoginError";
  }
}

/**
 * The IdP refused the password (not a locked account, not a missing
 * factor): a stored password it came from must not be tried again.
 */
export class PasswordRejectedError extends LoginError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "PasswordRejectedError";
  }
}

/** A second factor failed: rejected, timed out, wrong codes, unsupported. */
export class MfaError extends CliError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "MfaError";
  }
}

/** The assertion cannot be read, or grants no usable role. */
export class SamlError extends CliError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "SamlError";
  }
}

/** The requested role is not granted, or no role could be chosen. */
export class RoleError extends CliError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "RoleError";
  }
}

/** STS refused AssumeRoleWithSAML. */
export class StsError extends CliError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "StsError";
  }
}

/** The credential cache could not be used (lock timeout, unwritable directory). */
export class CacheError extends CliError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "CacheError";
  }
}

/** A network request or a wait took longer than allowed. */
export class TimeoutError extends CliError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "TimeoutError";
  }
}

/**
 * A question had to be asked but nothing can ask it: no terminal (and no
 * desktop dialog). Carries what was to be asked and why it cannot be, so a
 * caller can add its own advice without reading the message.
 */
export class NoTerminalError extends CliError {
  /** What was to be asked, e.g. "password". */
  readonly question: string;
  /** Why it cannot be asked. */
  readonly reason: string;
  /** What the person can do instead, if known. */
  readonly hint: string | undefined;

  /** Builds "Cannot ask for QUESTION: REASON[. HINT]". */
  constructor(question: string, reason: string, hint?: string) {
    super(`Cannot ask for ${question}: ${reason}${hint ? `. ${hint}` : ""}`);
    this.question = question;
    this.reason = reason;
    this.hint = hint;
  }

  /** The same error with `hint` as its advice. */
  withHint(hint: string): NoTerminalError {
    return new NoTerminalError(this.question, this.reason, hint);
  }

  /** The class name, for stack traces. */
  override get name(): string {
    return "NoTerminalError";
  }
}

/** A menu got no valid answer after three tries. */
export class InvalidAnswerError extends CliError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "InvalidAnswerError";
  }
}

/** The person closed or cancelled a dialog. */
export class CancelledError extends CliError {
  /** The class name, for stack traces. */
  override get name(): string {
    return "CancelledError";
  }
}

/** The user pressed Ctrl-C at a prompt: exit 130 like a shell. */
export class InterruptedError extends CliError {
  /** Process exit code for this error. */
  override readonly exitCode: number = 130;
  /** The class name, for stack traces. */
  override get name(): string {
    return "InterruptedError";
  }
}
