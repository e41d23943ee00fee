/**
 * Okta Classic second factors: turns an MFA_REQUIRED transaction into
 * SUCCESS. The factor is chosen, the push awaited and codes entered by the
 * shared machinery in lib/mfa/; this file only speaks Okta's factor API and
 * maps its answers.
 *
 * @module
 */
import { MfaError } from "../../errors.ts";
import { enterCode } from "../../mfa/code_entry.ts";
import type { MfaKind } from "../../mfa/mfa_kind.ts";
import type { CodeText } from "../../mfa/sent_code_text.ts";
import { chooseMethod, type MfaMethod } from "../../mfa/method_choice.ts";
import { awaitPush, type PushState } from "../../mfa/push_wait.ts";
import type { LoginContext } from "../provider.ts";
import {
  type OktaApi,
  OktaApiError,
  type OktaFactor,
  type OktaTransaction,
} from "./classic_api.ts";
import {
  type FactorInfo,
  factorInfo,
  SUPPORTED_HINT,
} from "./classic_factors.ts";

/** Okta error codes that mean "this code was not accepted, ask again". */
const WRONG_CODE: Record<string, string> = {
  E0000068: "Wrong code, try again.",
  E0000082: "That code was already used; wait for the next one and try again.",
  E0000083:
    "That code is outside Okta's time window; check your device's clock and try again.",
};

/** Throws unless a verify POST moved on to something the caller can use. */
function afterVerify(tx: OktaTransaction, what: string): OktaTransaction {
  if (tx.status === "MFA_REQUIRED") {
    throw new MfaError(
      `Cannot complete Okta MFA: Okta asked for a second factor again (MFA_REQUIRED) after the ${what}`,
    );
  }
  return tx;
}

function factorsOf(tx: OktaTransaction): OktaFactor[] {
  const listed: unknown = tx._embedded?.factors;
  return Array.isArray(listed)
    ? listed.filter((f): f is OktaFactor =>
      typeof f === "object" && f !== null && typeof f.factorType === "string"
    )
    : [];
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
  const factors = factorsOf(tx);
  const methods: MfaMethod<{ factor: OktaFactor; info: FactorInfo }>[] = [];
  const unsupported: string[] = [];
  for (const factor of factors) {
    const info = factorInfo(factor);
    if (info.kind) {
      methods.push({
        label: info.label,
        kinds: [info.kind],
        value: { factor, info },
      });
    } else unsupported.push(info.label);
  }
  if (factors.length === 0) {
    throw new MfaError(
      "Cannot complete Okta MFA: Okta asks for a second factor (MFA_REQUIRED) but lists no enrolled factor",
    );
  }
  const { factor, info } = await chooseMethod(ctx, {
    idp: "Okta",
    methods,
    unsupported,
    supportedHint: SUPPORTED_HINT,
  });
  const verify = factor._links?.verify?.href;
  if (!verify) {
    throw new MfaError(
      `Cannot complete Okta MFA: Okta lists ${info.label} without a verify link`,
    );
  }
  ctx.logger.debug(`Okta MFA: using ${info.label}`);
  const stateToken = tx.stateToken;
  if (info.kind === "push") {
    const deadline = ctx.clock.now().getTime() + ctx.mfaTimeoutMs;
    const sent = await api.post(
      verify,
      { stateToken },
      "send the Okta Verify push",
    );
    return await pollPush(ctx, api, factor, sent, deadline);
  }
  const code = info.code!;
  if (code.sent) {
    return await sentCode(ctx, api, info.kind!, code, verify, stateToken);
  }
  return await codes(ctx, api, code, verify, stateToken);
}

/** An MFA_CHALLENGE handed in: carry on with the factor it names. */
async function resume(
  ctx: LoginContext,
  api: OktaApi,
  tx: OktaTransaction,
): Promise<OktaTransaction> {
  const factor = tx._embedded?.factor;
  const info = factor ? factorInfo(factor) : undefined;
  const next = tx._links?.next?.href;
  if (!factor || !info?.kind || !next) {
    throw new MfaError(
      `Cannot complete Okta MFA: Okta answered MFA_CHALLENGE for ${
        info?.label ?? "no factor"
      }${next ? "" : " without a next link"}, which this tool cannot continue`,
    );
  }
  if (info.kind === "push") {
    const deadline = ctx.clock.now().getTime() + ctx.mfaTimeoutMs;
    return await pollPush(ctx, api, factor, tx, deadline);
  }
  return await codes(ctx, api, info.code!, next, tx.stateToken!);
}

function pushState(
  tx: OktaTransaction,
  factor: OktaFactor,
): PushState<OktaTransaction> {
  if (tx.status !== "MFA_CHALLENGE") return { done: afterVerify(tx, "push") };
  switch (tx.factorResult) {
    case "WAITING": {
      const number: unknown = tx._embedded?.factor?._embedded?.challenge
        ?.correctAnswer;
      return typeof number === "number" || typeof number === "string"
        ? { number }
        : {};
    }
    case "REJECTED":
      throw new MfaError(
        `Okta MFA failed: the push was rejected on ${
          typeof factor.profile?.name === "string"
            ? factor.profile.name
            : "the device"
        } (REJECTED)`,
      );
    case "TIMEOUT":
      throw new MfaError(
        "Okta MFA failed: the Okta Verify push timed out at Okta (TIMEOUT) before it was approved. Try again and approve it sooner; --mfa-timeout SECONDS sets how long this tool waits",
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

async function pollPush(
  ctx: LoginContext,
  api: OktaApi,
  factor: OktaFactor,
  first: OktaTransaction,
  deadline: number,
): Promise<OktaTransaction> {
  let tx = first;
  let stateToken = first.stateToken ?? "";
  return await awaitPush(ctx, {
    idp: "Okta",
    approve: "Approve the Okta Verify push on your device",
    numberText: (n) => `Tap ${n} on your device`,
    first: pushState(tx, factor),
    deadline,
    async poll() {
      stateToken = tx.stateToken ?? stateToken;
      const next = tx._links?.next?.href;
      if (!next) {
        throw new MfaError(
          "Cannot complete Okta MFA: Okta's push answer (WAITING) has no poll link",
        );
      }
      tx = await api.post(next, { stateToken }, "check the Okta Verify push");
      return pushState(tx, factor);
    },
  });
}

/** sms, call, email: send the code, then ask for it (Enter resends). */
async function sentCode(
  ctx: LoginContext,
  api: OktaApi,
  kind: MfaKind,
  code: CodeText,
  verify: string,
  stateToken: string,
): Promise<OktaTransaction> {
  let challenge: OktaTransaction | undefined;
  try {
    challenge = await api.post(verify, { stateToken }, `send the ${kind} code`);
  } catch (error) {
    if (!(error instanceof OktaApiError) || error.status !== 429) throw error;
    // A code was sent moments ago (E0000109 and friends): it is still good.
    ctx.logger.warn(
      `Okta did not send a new ${kind} code: one was sent recently (HTTP 429, ${error.errorCode})`,
    );
    await ctx.prompter.say(
      "Okta did not send a new code because one was sent recently; enter that one, or press Enter later to resend",
    );
  }
  if (challenge) {
    if (challenge.status !== "MFA_CHALLENGE") {
      return afterVerify(challenge, `${kind} code`);
    }
    await ctx.prompter.say(code.sent!(false));
  }
  const token = challenge?.stateToken ?? stateToken;
  const links = challenge?._links?.resend;
  const resendLink = Array.isArray(links)
    ? links.find((l) => l?.name === kind && l.href) ??
      links.find((l) => l?.href)
    : undefined;
  // Without a resend link (the first send was refused), a code-less verify
  // POST sends a code as the first one does.
  const resendHref = resendLink?.href ?? verify;
  return await codes(
    ctx,
    api,
    code,
    challenge?._links?.next?.href ?? verify,
    token,
    async () => {
      try {
        const tx = await api.post(
          resendHref,
          { stateToken: token },
          `resend the ${kind} code`,
        );
        if (tx.status !== "MFA_CHALLENGE") {
          ctx.logger.debug(`Okta answered ${tx.status} to a resend`);
        }
        await ctx.prompter.say(code.sent!(true));
      } catch (error) {
        if (!(error instanceof OktaApiError) || error.status !== 429) {
          throw error;
        }
        await ctx.prompter.say(
          "Okta did not resend the code yet (rate limited); wait a little, then enter the code or press Enter again",
        );
      }
    },
  );
}

/** Asks for codes and POSTs them to `url` until Okta accepts one. */
function codes(
  ctx: LoginContext,
  api: OktaApi,
  code: CodeText,
  url: string,
  stateToken: string,
  resend?: () => Promise<void>,
): Promise<OktaTransaction> {
  return enterCode<OktaTransaction>(ctx, {
    idp: "Okta",
    what: code.name,
    label: code.prompt,
    resend,
    async submit(passCode) {
      ctx.logger.secret(passCode);
      try {
        const tx = await api.post(
          url,
          { stateToken, passCode },
          `verify the ${code.name}`,
        );
        return { accepted: afterVerify(tx, code.name) };
      } catch (error) {
        if (
          error instanceof OktaApiError &&
          Object.hasOwn(WRONG_CODE, error.errorCode)
        ) {
          ctx.logger.debug(
            `Okta MFA: the ${code.name} was not accepted (${error.errorCode})`,
          );
          return { rejected: WRONG_CODE[error.errorCode] };
        }
        throw error;
      }
    },
  });
}
