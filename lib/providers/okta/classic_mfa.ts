/**
 * Okta second factors: choosing one and driving it to SUCCESS.
 *
 * A factor is chosen by --mfa, as the only one this tool can drive, or from a
 * numbered menu on the terminal. Okta Verify push is sent and polled; code
 * factors (TOTP, YubiKey, SMS, call, email) ask for a code on the terminal,
 * or take AWSPROCESSCREDS_MFA_CODE first, with three tries in all. Everything
 * the person sees goes through the Prompter, never stdout or stderr.
 *
 * @module
 */
import { InvalidAnswerError, MfaError, NoTerminalError } from "../../errors.ts";
import {
  type OktaApi,
  OktaApiError,
  type OktaFactor,
  type OktaLink,
  type OktaTransaction,
} from "./classic_api.ts";
import type { LoginContext, MfaKind } from "../provider.ts";

/** How often a push is polled while Okta answers WAITING. */
export const PUSH_POLL_MS = 2_000;
/** Codes tried per factor (AWSPROCESSCREDS_MFA_CODE included). */
export const CODE_TRIES = 3;
/** Empty answers (resend requests) accepted per factor before giving up. */
export const MAX_EMPTY_ANSWERS = 5;

/** Okta error codes that mean "this code was not accepted, ask again". */
const WRONG_CODE: Record<string, string> = {
  E0000068: "Wrong code, try again.",
  E0000082: "That code was already used; wait for the next one and try again.",
  E0000083:
    "That code is outside Okta's time window; check your device's clock and try again.",
};

/** What a factor this tool can drive looks like. */
interface Driven {
  factor: OktaFactor;
  kind: MfaKind;
  /** Human name, e.g. "Okta Verify push (Monty's iPhone)". */
  label: string;
}

function profileText(factor: OktaFactor, key: string): string | undefined {
  const value = factor.profile?.[key];
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

/** The --mfa kind of a factor, or undefined if this tool cannot drive it. */
export function factorKind(factor: OktaFactor): MfaKind | undefined {
  const provider = String(factor.provider ?? "").toUpperCase();
  switch (factor.factorType) {
    case "push":
      return provider === "OKTA" ? "push" : undefined;
    case "token:software:totp":
      return "totp";
    case "token:hardware":
      return provider === "YUBICO" ? "yubikey" : undefined;
    case "sms":
      return "sms";
    case "call":
      return "call";
    case "email":
      return "email";
    default:
      return undefined;
  }
}

function totpName(factor: OktaFactor): string {
  const provider = String(factor.provider ?? "").toUpperCase();
  if (provider === "OKTA") return "Okta Verify code";
  if (provider === "GOOGLE") return "Google Authenticator code";
  return `Authenticator app code (${factor.provider || "unknown provider"})`;
}

/** A human name for any factor, for menus and error messages. */
export function factorLabel(factor: OktaFactor): string {
  const provider = String(factor.provider ?? "").toUpperCase();
  const phone = profileText(factor, "phoneNumber");
  switch (factor.factorType) {
    case "push": {
      if (provider !== "OKTA") break;
      const device = profileText(factor, "name");
      return `Okta Verify push${device ? ` (${device})` : ""}`;
    }
    case "token:software:totp":
      return totpName(factor);
    case "token:hardware":
      return provider === "YUBICO" ? "YubiKey" : "Hardware token";
    case "sms":
      return `SMS${phone ? ` to ${phone}` : ""}`;
    case "call":
      return `Phone call${phone ? ` to ${phone}` : ""}`;
    case "email": {
      const email = profileText(factor, "email");
      return `Email${email ? ` to ${email}` : ""}`;
    }
    case "web":
      if (provider === "DUO") return "Duo Security (web)";
      break;
    case "webauthn":
      return "Security key or biometric (WebAuthn)";
    case "u2f":
      return "U2F security key";
    case "question":
      return "Security question";
    case "token":
      if (provider === "RSA") return "RSA SecurID";
      if (provider === "SYMANTEC") return "Symantec VIP";
      break;
    case "signed_nonce":
      return "Okta FastPass";
    case "claims_provider":
      return "Another identity provider (claims provider)";
  }
  return `${factor.factorType || "unknown factor"}${
    factor.provider ? ` (${factor.provider})` : ""
  }`;
}

function drivable(factors: OktaFactor[]): Driven[] {
  const out: Driven[] = [];
  for (const factor of factors) {
    const kind = factorKind(factor);
    if (kind) out.push({ factor, kind, label: factorLabel(factor) });
  }
  return out;
}

function listFactors(factors: OktaFactor[]): string {
  return factors.map((f) => {
    const kind = factorKind(f);
    return kind
      ? `${factorLabel(f)} [--mfa ${kind}]`
      : `${factorLabel(f)} [not supported]`;
  }).join(", ");
}

function kindsOf(driven: Driven[]): string {
  return [...new Set(driven.map((d) => d.kind))].join("|");
}

const UNSUPPORTED_HINT =
  "this tool can use Okta Verify push, TOTP codes (Okta Verify, Google Authenticator), SMS, voice call, email or a YubiKey";

/** Picks the factor to verify, or throws an MfaError that says why not. */
async function chooseFactor(
  ctx: LoginContext,
  factors: OktaFactor[],
): Promise<Driven> {
  if (factors.length === 0) {
    throw new MfaError(
      "Cannot complete Okta MFA: Okta asks for a second factor (MFA_REQUIRED) but lists no enrolled factor",
    );
  }
  const driven = drivable(factors);
  const unsupported = factors.filter((f) => !factorKind(f));
  ctx.logger.debug(`Okta MFA: enrolled factors: ${listFactors(factors)}`);
  if (ctx.mfa) {
    const matching = driven.filter((d) => d.kind === ctx.mfa);
    if (matching.length === 0) {
      throw new MfaError(
        `Cannot complete Okta MFA: --mfa ${ctx.mfa} was asked for, but ${ctx.username} has no such factor enrolled in Okta. Enrolled: ${
          listFactors(factors)
        }${
          driven.length
            ? `. Use --mfa ${kindsOf(driven)}, or leave --mfa out to choose`
            : ""
        }`,
      );
    }
    if (matching.length === 1) return matching[0];
    return await menu(ctx, matching, factors, true);
  }
  if (driven.length === 0) {
    throw new MfaError(
      `Cannot complete Okta MFA: ${ctx.username} has only ${
        factors.length === 1 ? "this factor" : "these factors"
      } enrolled, which this tool cannot use: ${
        unsupported.map(factorLabel).join(", ")
      }; ${UNSUPPORTED_HINT}. Enrol one of those in Okta, then try again`,
    );
  }
  if (unsupported.length) {
    ctx.logger.debug(
      `Okta MFA: not offered (not supported): ${
        unsupported.map(factorLabel).join(", ")
      }`,
    );
  }
  if (driven.length === 1) return driven[0];
  return await menu(ctx, driven, factors, false, unsupported);
}

async function menu(
  ctx: LoginContext,
  offered: Driven[],
  factors: OktaFactor[],
  byFlag: boolean,
  unsupported: OktaFactor[] = [],
): Promise<Driven> {
  const prompter = ctx.prompter;
  try {
    if (unsupported.length) {
      await prompter.say(
        `Enrolled but not usable with this tool: ${
          unsupported.map(factorLabel).join(", ")
        }`,
      );
    }
    const index = await prompter.choose(
      byFlag
        ? `Okta: several ${ctx.mfa} factors are enrolled; which one?`
        : "Okta asks for a second factor. Choose one (or pass --mfa next time):",
      offered.map((d) => d.label),
    );
    return offered[index];
  } catch (error) {
    if (error instanceof InvalidAnswerError) {
      throw new MfaError(
        "Cannot complete Okta MFA: no valid factor was chosen after 3 tries",
      );
    }
    if (!(error instanceof NoTerminalError)) throw error;
    if (byFlag) {
      // --mfa was explicit; with no terminal to tell them apart take the first.
      ctx.logger.debug(
        `Okta MFA: several ${ctx.mfa} factors and no terminal; using ${
          offered[0].label
        }`,
      );
      return offered[0];
    }
    throw new MfaError(
      `Cannot complete Okta MFA: ${ctx.username} has several second factors enrolled (${
        listFactors(factors)
      }) and there is no terminal to choose one; pass --mfa ${
        kindsOf(offered)
      }`,
      { cause: error },
    );
  }
}

function stateTokenOf(tx: OktaTransaction, fallback: string): string {
  return tx.stateToken ?? fallback;
}

/** Throws unless a verify POST moved on to something the caller can use. */
function afterVerify(tx: OktaTransaction, what: string): OktaTransaction {
  if (tx.status === "MFA_REQUIRED") {
    throw new MfaError(
      `Cannot complete Okta MFA: Okta asked for a second factor again (MFA_REQUIRED) after the ${what}`,
    );
  }
  return tx;
}

/**
 * Completes an MFA_REQUIRED transaction (or an MFA_CHALLENGE already under
 * way); returns the next transaction (normally SUCCESS).
 *
 * @throws {MfaError} when no factor can be used, the push is rejected or times
 *   out, codes are wrong three times, or Okta answers something unexpected.
 */
export async function completeOktaMfa(
  ctx: LoginContext,
  api: OktaApi,
  tx: OktaTransaction,
): Promise<OktaTransaction> {
  if (!tx.stateToken) {
    throw new MfaError(
      `Cannot complete Okta MFA: Okta answered ${tx.status} without a stateToken`,
    );
  }
  if (tx.status === "MFA_CHALLENGE") return await resume(ctx, api, tx);
  const listed: unknown = tx._embedded?.factors;
  const factors = Array.isArray(listed)
    ? listed.filter((f): f is OktaFactor =>
      typeof f === "object" && f !== null && typeof f.factorType === "string"
    )
    : [];
  const chosen = await chooseFactor(ctx, factors);
  const verify = chosen.factor._links?.verify?.href;
  if (!verify) {
    throw new MfaError(
      `Cannot complete Okta MFA: Okta lists ${chosen.label} without a verify link`,
    );
  }
  ctx.logger.debug(`Okta MFA: using ${chosen.label}`);
  const stateToken = tx.stateToken;
  switch (chosen.kind) {
    case "push":
      return await push(ctx, api, chosen, verify, stateToken);
    case "totp":
    case "yubikey":
      return await enterCodes(ctx, api, chosen, verify, stateToken);
    case "sms":
    case "call":
    case "email":
      return await sentCode(ctx, api, chosen, verify, stateToken);
  }
}

/** An MFA_CHALLENGE handed in: carry on with the factor it names. */
async function resume(
  ctx: LoginContext,
  api: OktaApi,
  tx: OktaTransaction,
): Promise<OktaTransaction> {
  const factor = tx._embedded?.factor;
  const kind = factor ? factorKind(factor) : undefined;
  const next = tx._links?.next?.href;
  if (!factor || !kind || !next) {
    throw new MfaError(
      `Cannot complete Okta MFA: Okta answered MFA_CHALLENGE for ${
        factor ? factorLabel(factor) : "no factor"
      }${next ? "" : " without a next link"}, which this tool cannot continue`,
    );
  }
  const chosen = { factor, kind, label: factorLabel(factor) };
  if (kind === "push") {
    return await pollPush(ctx, api, chosen, tx, deadlineOf(ctx));
  }
  return await enterCodes(ctx, api, chosen, next, tx.stateToken!, tx);
}

function deadlineOf(ctx: LoginContext): number {
  return ctx.clock.now().getTime() + ctx.mfaTimeoutMs;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

async function push(
  ctx: LoginContext,
  api: OktaApi,
  chosen: Driven,
  verify: string,
  stateToken: string,
): Promise<OktaTransaction> {
  const deadline = deadlineOf(ctx);
  const tx = await api.post(
    verify,
    { stateToken },
    "send the Okta Verify push",
  );
  return await pollPush(ctx, api, chosen, tx, deadline);
}

async function pollPush(
  ctx: LoginContext,
  api: OktaApi,
  chosen: Driven,
  first: OktaTransaction,
  deadline: number,
): Promise<OktaTransaction> {
  let tx = first;
  let stateToken = tx.stateToken ?? "";
  let told = false;
  let shownNumber: string | undefined;
  for (let poll = 0;; poll++) {
    if (tx.status !== "MFA_CHALLENGE") return afterVerify(tx, "push");
    stateToken = stateTokenOf(tx, stateToken);
    switch (tx.factorResult) {
      case "WAITING": {
        if (!told) {
          told = true;
          await ctx.prompter.say("Approve the Okta Verify push on your device");
        }
        const number: unknown = tx._embedded?.factor?._embedded?.challenge
          ?.correctAnswer;
        if (
          (typeof number === "number" || typeof number === "string") &&
          String(number) !== shownNumber
        ) {
          shownNumber = String(number);
          await ctx.prompter.say(`Tap ${shownNumber} on your device`);
        }
        const left = deadline - ctx.clock.now().getTime();
        if (left <= 0) {
          throw new MfaError(
            `Okta MFA failed: the Okta Verify push timed out: it was not approved within ${
              seconds(ctx.mfaTimeoutMs)
            }. Approve it sooner, or wait longer with --mfa-timeout SECONDS`,
          );
        }
        await ctx.clock.sleep(Math.min(PUSH_POLL_MS, left));
        const next = tx._links?.next?.href;
        if (!next) {
          throw new MfaError(
            "Cannot complete Okta MFA: Okta's push answer (WAITING) has no poll link",
          );
        }
        ctx.logger.debug(`Okta MFA: polling the push (${poll + 1})`);
        tx = await api.post(
          next,
          { stateToken },
          "check the Okta Verify push",
        );
        break;
      }
      case "REJECTED":
        throw new MfaError(
          `Okta MFA failed: the push was rejected on ${
            profileText(chosen.factor, "name") ?? "the device"
          } (REJECTED)`,
        );
      case "TIMEOUT":
        throw new MfaError(
          `Okta MFA failed: the Okta Verify push timed out at Okta (TIMEOUT) before it was approved. Try again and approve it sooner; --mfa-timeout SECONDS sets how long this tool waits (now ${
            seconds(ctx.mfaTimeoutMs)
          })`,
        );
      case "CANCELLED":
        throw new MfaError(
          "Okta MFA failed: the Okta Verify push was cancelled (CANCELLED)",
        );
      case "ERROR":
        throw new MfaError(
          "Okta MFA failed: Okta reported an error for the Okta Verify push (ERROR)",
        );
      default:
        throw new MfaError(
          `Cannot complete Okta MFA: unexpected push result ${
            tx.factorResult === undefined
              ? "(no factorResult)"
              : JSON.stringify(tx.factorResult)
          } from Okta`,
        );
    }
  }
}

function codePrompt(chosen: Driven): string {
  switch (chosen.kind) {
    case "totp":
      return `${totpName(chosen.factor)}: `;
    case "yubikey":
      return "YubiKey: press the button: ";
    case "sms":
      return "SMS code (Enter to resend): ";
    case "call":
      return "Code from the call (Enter to call again): ";
    case "email":
      return "Email code (Enter to resend): ";
    default:
      return "Code: ";
  }
}

function codeName(chosen: Driven): string {
  switch (chosen.kind) {
    case "totp":
      return totpName(chosen.factor);
    case "yubikey":
      return "YubiKey OTP";
    case "sms":
      return "SMS code";
    case "call":
      return "code from the phone call";
    default:
      return "email code";
  }
}

function sentMessage(chosen: Driven, again: boolean): string {
  const a = again ? " again" : "";
  const phone = profileText(chosen.factor, "phoneNumber");
  switch (chosen.kind) {
    case "sms":
      return `Code sent${a} by SMS to ${phone ?? "your phone"}`;
    case "call":
      return `Calling ${phone ?? "your phone"}${a} with a code`;
    default:
      return `Code sent${a} by email to ${
        profileText(chosen.factor, "email") ?? "your address"
      }`;
  }
}

/** sms, call, email: send the code, then ask for it (Enter resends). */
async function sentCode(
  ctx: LoginContext,
  api: OktaApi,
  chosen: Driven,
  verify: string,
  stateToken: string,
): Promise<OktaTransaction> {
  let challenge: OktaTransaction | undefined;
  try {
    challenge = await api.post(
      verify,
      { stateToken },
      `send the ${chosen.kind} code`,
    );
  } catch (error) {
    if (!(error instanceof OktaApiError) || error.status !== 429) throw error;
    // A code was sent moments ago (E0000109 and friends): it is still good.
    ctx.logger.warn(
      `Okta did not send a new ${chosen.kind} code: one was sent recently (HTTP 429, ${error.errorCode})`,
    );
    await ctx.prompter.say(
      "Okta did not send a new code because one was sent recently; enter that one, or press Enter later to resend",
    );
  }
  if (challenge) {
    if (challenge.status !== "MFA_CHALLENGE") {
      return afterVerify(challenge, `${chosen.kind} code`);
    }
    await ctx.prompter.say(sentMessage(chosen, false));
  }
  return await enterCodes(
    ctx,
    api,
    chosen,
    challenge?._links?.next?.href ?? verify,
    challenge ? stateTokenOf(challenge, stateToken) : stateToken,
    challenge,
  );
}

function resendLink(
  chosen: Driven,
  challenge: OktaTransaction | undefined,
): OktaLink | undefined {
  const links = challenge?._links?.resend;
  if (!Array.isArray(links)) return undefined;
  return links.find((l) => l?.name === chosen.kind && l.href) ??
    links.find((l) => l?.href);
}

/**
 * Asks for codes and POSTs them to `url` until Okta accepts one, at most
 * {@link CODE_TRIES} in all (AWSPROCESSCREDS_MFA_CODE first).
 */
async function enterCodes(
  ctx: LoginContext,
  api: OktaApi,
  chosen: Driven,
  url: string,
  stateToken: string,
  challenge?: OktaTransaction,
): Promise<OktaTransaction> {
  const label = codePrompt(chosen);
  const what = codeName(chosen);
  let envCode = ctx.takeEnvCode()?.trim();
  let empty = 0;
  let lastWrong = "";
  for (let attempt = 1; attempt <= CODE_TRIES; attempt++) {
    let code: string;
    if (envCode) {
      code = envCode;
      envCode = undefined;
      ctx.logger.secret(code);
      ctx.logger.debug(
        "Okta MFA: using the code from AWSPROCESSCREDS_MFA_CODE",
      );
    } else {
      for (;;) {
        code = (await askCode(ctx, label, attempt > 1, what)).trim();
        if (code) break;
        if (++empty > MAX_EMPTY_ANSWERS) {
          throw new MfaError(
            `Cannot complete Okta MFA: no ${what} was entered`,
          );
        }
        if (
          chosen.kind === "sms" || chosen.kind === "call" ||
          chosen.kind === "email"
        ) {
          await resend(ctx, api, chosen, challenge, stateToken);
        } else {
          await ctx.prompter.say("Please enter the code.");
        }
      }
      ctx.logger.secret(code);
    }
    try {
      const tx = await api.post(
        url,
        { stateToken, passCode: code },
        `verify the ${what}`,
      );
      return afterVerify(tx, what);
    } catch (error) {
      if (
        !(error instanceof OktaApiError) ||
        !Object.hasOwn(WRONG_CODE, error.errorCode)
      ) {
        throw error;
      }
      lastWrong = error.errorCode;
      ctx.logger.debug(
        `Okta MFA: the ${what} was not accepted (${error.errorCode}), try ${attempt} of ${CODE_TRIES}`,
      );
      if (attempt < CODE_TRIES) {
        await ctx.prompter.say(WRONG_CODE[error.errorCode]);
      }
    }
  }
  throw new MfaError(
    `Okta MFA failed: the ${what} was not accepted ${CODE_TRIES} times (last: ${lastWrong})`,
  );
}

async function askCode(
  ctx: LoginContext,
  label: string,
  retry: boolean,
  what: string,
): Promise<string> {
  try {
    return await ctx.prompter.line(label);
  } catch (error) {
    if (!(error instanceof NoTerminalError)) throw error;
    throw new MfaError(
      retry
        ? `Okta MFA failed: the ${what} from AWSPROCESSCREDS_MFA_CODE was not accepted, and there is no terminal to ask for another`
        : `Cannot complete Okta MFA: ${error.message}. Set AWSPROCESSCREDS_MFA_CODE to supply one code, or run the command once from a terminal so the credentials are cached`,
      { cause: error },
    );
  }
}

async function resend(
  ctx: LoginContext,
  api: OktaApi,
  chosen: Driven,
  challenge: OktaTransaction | undefined,
  stateToken: string,
): Promise<void> {
  const link = resendLink(chosen, challenge);
  const href = link?.href ?? chosen.factor._links?.verify?.href;
  if (!href) {
    await ctx.prompter.say("Okta offers no way to resend the code.");
    return;
  }
  try {
    // Without a resend link (the first send was refused), a code-less verify
    // POST sends a code as the first one does.
    const tx = await api.post(
      href,
      { stateToken },
      `resend the ${chosen.kind} code`,
    );
    if (tx.status !== "MFA_CHALLENGE") {
      ctx.logger.debug(`Okta answered ${tx.status} to a resend`);
    }
    await ctx.prompter.say(sentMessage(chosen, true));
  } catch (error) {
    if (!(error instanceof OktaApiError) || error.status !== 429) throw error;
    await ctx.prompter.say(
      "Okta did not resend the code yet (rate limited); wait a little, then enter the code or press Enter again",
    );
  }
}
