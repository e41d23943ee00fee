/**
 * Choosing the second factor: by `--mfa` (the first match in the IdP's
 * order, never a menu: `--mfa` is for not being asked), as the only one
 * offered, or from a menu. Without a way to ask, the error lists every choice
 * with the `--mfa` value that picks it.
 *
 * @module
 */
import { InvalidAnswerError, MfaError, NoTerminalError } from "../errors.ts";
import type { MfaContext } from "./mfa_context.ts";
import type { MfaKind } from "./mfa_kind.ts";

/** One second factor the IdP offers and this tool can drive. */
export interface MfaMethod<M> {
  /** What the person sees ("Okta Verify push (iPhone)"). */
  label: string;
  /** The `--mfa` kinds that pick it. */
  kinds: readonly MfaKind[];
  /** The provider's own handle for it. */
  value: M;
}

/** The choice, as a provider describes it. */
export interface MethodChoice<M> {
  /** The IdP's name for messages ("Okta", "ADFS"). */
  idp: string;
  /** What the IdP offers that this tool can drive, in the IdP's order. */
  methods: MfaMethod<M>[];
  /** Labels of what the IdP offers that this tool cannot drive. */
  unsupported?: string[];
  /** What this tool could use instead, for the "nothing usable" error. */
  supportedHint?: string;
}

/** Lists methods as "label [--mfa kind|kind]", unusable ones "[not supported]". */
export function describeMethods<M>(choice: MethodChoice<M>): string {
  return [
    ...choice.methods.map((m) =>
      `${m.label}${m.kinds.length ? ` [--mfa ${m.kinds.join("|")}]` : ""}`
    ),
    ...(choice.unsupported ?? []).map((label) => `${label} [not supported]`),
  ].join(", ");
}

function kindsOf<M>(methods: MfaMethod<M>[]): string {
  return [...new Set(methods.flatMap((m) => m.kinds))].join("|");
}

/**
 * Picks the method to use.
 *
 * @throws {MfaError} when nothing usable is offered, `--mfa` matches
 *   nothing, several are offered and nothing can ask, or the menu got no
 *   valid answer.
 */
export async function chooseMethod<M>(
  ctx: MfaContext,
  choice: MethodChoice<M>,
): Promise<M> {
  const { idp, methods } = choice;
  const unsupported = choice.unsupported ?? [];
  ctx.logger.debug(`${idp} MFA: offered: ${describeMethods(choice)}`);
  if (methods.length === 0) {
    throw new MfaError(
      unsupported.length
        ? `Cannot complete ${idp} MFA: ${ctx.username} has only ${
          unsupported.length === 1 ? "this factor" : "these factors"
        }, which this tool cannot use: ${unsupported.join(", ")}${
          choice.supportedHint ? `; ${choice.supportedHint}` : ""
        }. Enrol one of those, then try again`
        : `Cannot complete ${idp} MFA: ${idp} asks for a second factor but offers none`,
    );
  }
  if (ctx.mfa) {
    const kind = ctx.mfa;
    const matching = methods.filter((m) => m.kinds.includes(kind));
    if (matching.length === 0) {
      throw new MfaError(
        `Cannot complete ${idp} MFA: --mfa ${kind} was asked for, but ${idp} offers ${ctx.username} no such factor. Offered: ${
          describeMethods(choice)
        }. Use --mfa ${kindsOf(methods)}, or leave --mfa out to choose`,
      );
    }
    if (matching.length > 1) {
      ctx.logger.debug(
        `${idp} MFA: several factors match --mfa ${kind}; using the first, ${
          matching[0].label
        }`,
      );
    }
    return matching[0].value;
  }
  if (methods.length === 1) return methods[0].value;
  if (unsupported.length) {
    ctx.logger.debug(
      `${idp} MFA: not offered (not supported): ${unsupported.join(", ")}`,
    );
  }
  return await menu(ctx, choice);
}

async function menu<M>(ctx: MfaContext, choice: MethodChoice<M>): Promise<M> {
  const offered = choice.methods;
  const title =
    `${choice.idp} asks for a second factor. Choose one (or pass --mfa next time):`;
  try {
    if (choice.unsupported?.length) {
      await ctx.prompter.say(
        `Offered but not usable with this tool: ${
          choice.unsupported.join(", ")
        }`,
      );
    }
    const index = await ctx.prompter.choose(title, offered.map((m) => m.label));
    return offered[index].value;
  } catch (error) {
    if (error instanceof InvalidAnswerError) {
      throw new MfaError(
        `Cannot complete ${choice.idp} MFA: no valid factor was chosen after 3 tries`,
      );
    }
    if (!(error instanceof NoTerminalError)) throw error;
    throw new MfaError(
      `Cannot complete ${choice.idp} MFA: several second factors are offered (${
        describeMethods(choice)
      }) and ${error.reason} to choose one; pass --mfa ${kindsOf(offered)}`,
      { cause: error },
    );
  }
}
