/**
 * Picks the role to assume: exactly the one asked for with -a, the only one
 * granted, or one the person chooses on the terminal.
 *
 * @module
 */
import { InvalidAnswerError, NoTerminalError, RoleError } from "../errors.ts";
import type { Prompter } from "../prompt/prompter.ts";
import type { RolePair } from "./saml.ts";

/**
 * Chooses a role.
 *
 * @param roles The roles the assertion grants (at least one).
 * @param wanted The -a role ARN, if given.
 * @throws {RoleError} when `wanted` is not granted, or several are granted
 * and no terminal can offer the choice.
 */
export async function chooseRole(
  roles: RolePair[],
  wanted: string | undefined,
  prompter: Prompter,
): Promise<RolePair> {
  const granted = () => roles.map((r) => `  ${r.roleArn}`).join("\n");
  if (wanted !== undefined) {
    const match = roles.find((r) => r.roleArn === wanted);
    if (match) return match;
    throw new RoleError(
      `Cannot assume role ${wanted}: the IdP does not grant it. Granted roles:\n${granted()}`,
    );
  }
  if (roles.length === 1) return roles[0];
  try {
    const index = await prompter.choose(
      "Several roles are granted:",
      roles.map((r) => r.roleArn),
    );
    return roles[index];
  } catch (error) {
    if (error instanceof InvalidAnswerError) {
      throw new RoleError(
        `Cannot choose a role: no valid answer after 3 tries. Pass -a with one of the granted roles:\n${granted()}`,
      );
    }
    if (error instanceof NoTerminalError) {
      throw new RoleError(
        `Cannot choose a role without a terminal: pass -a with one of the granted roles:\n${granted()}`,
      );
    }
    throw error;
  }
}
