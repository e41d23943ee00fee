/**
 * Starting PowerShell with a script, for the dialogs and the Windows
 * keychain: string literals, `-EncodedCommand` (base64 of UTF-16LE) and,
 * for a script too long for a command line, a bootstrap that reads it from
 * stdin.
 *
 * @module
 */

/** The PowerShell programs looked for on PATH, in order of preference. */
export const POWERSHELL_PROGRAMS: readonly string[] = [
  "powershell.exe",
  "pwsh.exe",
  "pwsh",
];

/** Longest `-EncodedCommand` argument used before switching to stdin. */
const MAX_ENCODED = 24_000;

/**
 * A PowerShell single-quoted string literal for `value`: quotes (including
 * the typographic ones PowerShell also accepts as quotes) are doubled; NUL is
 * dropped.
 */
export function psString(value: string): string {
  return `'${
    value.replace(/\0/g, "").replace(/['\u2018\u2019\u201a\u201b]/g, "$&$&")
  }'`;
}

/** `-EncodedCommand`'s encoding: base64 of the UTF-16LE script. */
export function encodeCommand(script: string): string {
  const bytes = new Uint8Array(script.length * 2);
  for (let i = 0; i < script.length; i++) {
    const unit = script.charCodeAt(i);
    bytes[2 * i] = unit & 0xff;
    bytes[2 * i + 1] = unit >> 8;
  }
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The inverse of {@link encodeCommand} (for tests and fakes). */
export function decodeCommand(encoded: string): string {
  const binary = atob(encoded);
  let script = "";
  for (let i = 0; i + 1 < binary.length; i += 2) {
    script += String.fromCharCode(
      binary.charCodeAt(i) | (binary.charCodeAt(i + 1) << 8),
    );
  }
  return script;
}

/** The options every PowerShell start uses, before `-EncodedCommand`. */
export const POWERSHELL_OPTIONS: readonly string[] = [
  "-NoLogo",
  "-NoProfile",
  "-NonInteractive",
  "-ExecutionPolicy",
  "Bypass",
];

const BOOTSTRAP = [
  "$in = [Console]::OpenStandardInput()",
  "$buffer = New-Object System.IO.MemoryStream",
  "$in.CopyTo($buffer)",
  "Invoke-Expression ([System.Text.Encoding]::UTF8.GetString($buffer.ToArray()))",
].join("\n");

/**
 * How to run a dialog script: in `-EncodedCommand`, or (too long) a bootstrap
 * there and the script on stdin.
 */
export function powershellCommand(
  program: string,
  script: string,
  sta = true,
): { program: string; args: string[]; stdin?: string } {
  const options = [...POWERSHELL_OPTIONS, ...(sta ? ["-Sta"] : [])];
  const encoded = encodeCommand(script);
  if (encoded.length <= MAX_ENCODED) {
    return { program, args: [...options, "-EncodedCommand", encoded] };
  }
  return {
    program,
    args: [...options, "-EncodedCommand", encodeCommand(BOOTSTRAP)],
    stdin: script,
  };
}
