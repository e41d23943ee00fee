/**
 * Text that came from the network is shown on the terminal and stderr only
 * after this: control characters could otherwise move the cursor, rewrite
 * what the person sees, ring the bell or change the terminal's settings.
 *
 * @module
 */

// C0 controls but newline, DEL, and the C1 controls (which include CSI, 0x9b).
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/**
 * Removes every control character but newline: ESC, BEL, CR, tab, the C1
 * range and the rest below 0x20.
 *
 * @example
 * ```ts
 * safeText("Wrong code\x1b[2J\x07"); // "Wrong code[2J"
 * ```
 */
export function safeText(text: string): string {
  return text.replace(CONTROL, "");
}
