/**
 * How a code that the IdP sends (SMS, voice call, email) is named, asked
 * for and announced: the same words whichever IdP sends it.
 *
 * @module
 */

/** The kinds of code an IdP sends. */
export type SentCodeKind = "sms" | "call" | "email";

/** The texts of one sent code. */
export interface SentCodeText {
  /** The factor's name in menus ("SMS to +1 XXX-XXX-1234"). */
  label: string;
  /** What the code is called in messages ("SMS code"). */
  name: string;
  /** The prompt; Enter sends the code again. */
  prompt: string;
  /** The line after the code was sent (again). */
  sent(again: boolean): string;
}

/** The texts for `kind`, sent to `to` (a masked phone number or address) if known. */
export function sentCodeText(kind: SentCodeKind, to?: string): SentCodeText {
  const a = (again: boolean) => again ? " again" : "";
  switch (kind) {
    case "sms":
      return {
        label: `SMS${to ? ` to ${to}` : ""}`,
        name: "SMS code",
        prompt: "SMS code (Enter to resend): ",
        sent: (again) => `Code sent${a(again)} by SMS to ${to ?? "your phone"}`,
      };
    case "call":
      return {
        label: `Voice call${to ? ` to ${to}` : ""}`,
        name: "code from the phone call",
        prompt: "Code from the call (Enter to call again): ",
        sent: (again) => `Calling ${to ?? "your phone"}${a(again)} with a code`,
      };
    case "email":
      return {
        label: `Email${to ? ` to ${to}` : ""}`,
        name: "email code",
        prompt: "Email code (Enter to resend): ",
        sent: (again) =>
          `Code sent${a(again)} by email to ${to ?? "your address"}`,
      };
  }
}
