/**
 * How a code that the IdP sends (SMS, voice call, email) is named, asked
 * for and announced: the same words whichever IdP sends it.
 *
 * @module
 */

/** The kinds of code an IdP sends. */
export type SentCodeKind = "sms" | "call" | "email";

/** How a code is named and asked for, and announced when the IdP sends it. */
export interface CodeText {
  /** What the code is called in messages ("SMS code"). */
  name: string;
  /** The prompt (for a sent code, Enter sends it again). */
  prompt: string;
  /** The line after the code was sent (again); only for a sent code. */
  sent?(again: boolean): string;
}

/** The texts of one sent code. */
export interface SentCodeText {
  /** The factor's name in menus ("SMS to +1 XXX-XXX-1234"). */
  label: string;
  /** How the code is named, asked for and announced. */
  code: CodeText;
}

/** The texts for `kind`, sent to `to` (a masked phone number or address) if known. */
export function sentCodeText(kind: SentCodeKind, to?: string): SentCodeText {
  const a = (again: boolean) => again ? " again" : "";
  switch (kind) {
    case "sms":
      return {
        label: `SMS${to ? ` to ${to}` : ""}`,
        code: {
          name: "SMS code",
          prompt: "SMS code (Enter to resend): ",
          sent: (again) =>
            `Code sent${a(again)} by SMS to ${to ?? "your phone"}`,
        },
      };
    case "call":
      return {
        label: `Voice call${to ? ` to ${to}` : ""}`,
        code: {
          name: "code from the phone call",
          prompt: "Code from the call (Enter to call again): ",
          sent: (again) =>
            `Calling ${to ?? "your phone"}${a(again)} with a code`,
        },
      };
    case "email":
      return {
        label: `Email${to ? ` to ${to}` : ""}`,
        code: {
          name: "email code",
          prompt: "Email code (Enter to resend): ",
          sent: (again) =>
            `Code sent${a(again)} by email to ${to ?? "your address"}`,
        },
      };
  }
}
