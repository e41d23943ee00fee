/**
 * Windows Credential Manager through PowerShell: a generic credential named
 * `awsprocesscreds-saml:USER@HOST` with user name USER, persisted on the local
 * machine, its blob the password as UTF-16LE (as Credential Manager shows it).
 *
 * The script (a small C# class calling CredReadW, CredWriteW and CredDeleteW
 * through P/Invoke, compiled with Add-Type) goes in `-EncodedCommand`; it
 * holds the target name but never the password. The password goes in on
 * stdin as UTF-8 bytes, and comes back on stdout as base64 of its UTF-8 bytes,
 * so no console code page can change it. Exit status 0 is success,
 * {@link NOT_FOUND_EXIT} means no such credential (ERROR_NOT_FOUND, 1168), and
 * anything else is an error with its message on stderr.
 *
 * @module
 */
import { powershellCommand, psString } from "../process/powershell.ts";
import {
  exitError,
  type Keychain,
  KEYCHAIN_SERVICE,
  keychainAccount,
  KeychainError,
  keychainOf,
  type KeychainOptions,
  runHelper,
} from "./keychain.ts";

const STORE = "Windows Credential Manager";

/** The scripts' exit status for "no such credential". */
export const NOT_FOUND_EXIT = 3;

/** The credential's target name. */
export function credentialTarget(user: string, host: string): string {
  return `${KEYCHAIN_SERVICE}:${keychainAccount(user, host)}`;
}

const CSHARP = `
using System;
using System.Runtime.InteropServices;
using System.Text;

public static class AwsProcessCredsCredential {
  [StructLayout(LayoutKind.Sequential)]
  private struct CREDENTIAL {
    public UInt32 Flags;
    public UInt32 Type;
    public IntPtr TargetName;
    public IntPtr Comment;
    public System.Runtime.InteropServices.ComTypes.FILETIME LastWritten;
    public UInt32 CredentialBlobSize;
    public IntPtr CredentialBlob;
    public UInt32 Persist;
    public UInt32 AttributeCount;
    public IntPtr Attributes;
    public IntPtr TargetAlias;
    public IntPtr UserName;
  }

  [DllImport("advapi32.dll", EntryPoint = "CredReadW", CharSet = CharSet.Unicode, SetLastError = true)]
  private static extern bool CredRead(string target, UInt32 type, UInt32 flags, out IntPtr credential);
  [DllImport("advapi32.dll", EntryPoint = "CredWriteW", CharSet = CharSet.Unicode, SetLastError = true)]
  private static extern bool CredWrite(ref CREDENTIAL credential, UInt32 flags);
  [DllImport("advapi32.dll", EntryPoint = "CredDeleteW", CharSet = CharSet.Unicode, SetLastError = true)]
  private static extern bool CredDelete(string target, UInt32 type, UInt32 flags);
  [DllImport("advapi32.dll")]
  private static extern void CredFree(IntPtr buffer);

  private const UInt32 CRED_TYPE_GENERIC = 1;
  private const UInt32 CRED_PERSIST_LOCAL_MACHINE = 2;

  public static int Read(string target, out byte[] utf8) {
    utf8 = new byte[0];
    IntPtr found;
    if (!CredRead(target, CRED_TYPE_GENERIC, 0, out found)) return Marshal.GetLastWin32Error();
    try {
      CREDENTIAL c = (CREDENTIAL)Marshal.PtrToStructure(found, typeof(CREDENTIAL));
      byte[] blob = new byte[c.CredentialBlobSize];
      if (blob.Length > 0) Marshal.Copy(c.CredentialBlob, blob, 0, blob.Length);
      utf8 = Encoding.UTF8.GetBytes(Encoding.Unicode.GetString(blob));
      Array.Clear(blob, 0, blob.Length);
      return 0;
    } finally {
      CredFree(found);
    }
  }

  public static int Write(string target, string user, string comment, byte[] utf8) {
    byte[] blob = Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(utf8));
    CREDENTIAL c = new CREDENTIAL();
    c.Type = CRED_TYPE_GENERIC;
    c.Persist = CRED_PERSIST_LOCAL_MACHINE;
    c.TargetName = Marshal.StringToCoTaskMemUni(target);
    c.UserName = Marshal.StringToCoTaskMemUni(user);
    c.Comment = Marshal.StringToCoTaskMemUni(comment);
    c.CredentialBlobSize = (UInt32)blob.Length;
    c.CredentialBlob = Marshal.AllocCoTaskMem(Math.Max(blob.Length, 1));
    try {
      Marshal.Copy(blob, 0, c.CredentialBlob, blob.Length);
      if (!CredWrite(ref c, 0)) return Marshal.GetLastWin32Error();
      return 0;
    } finally {
      Marshal.Copy(new byte[blob.Length], 0, c.CredentialBlob, blob.Length);
      Array.Clear(blob, 0, blob.Length);
      Marshal.FreeCoTaskMem(c.CredentialBlob);
      Marshal.FreeCoTaskMem(c.TargetName);
      Marshal.FreeCoTaskMem(c.UserName);
      Marshal.FreeCoTaskMem(c.Comment);
    }
  }

  public static int Delete(string target) {
    if (!CredDelete(target, CRED_TYPE_GENERIC, 0)) return Marshal.GetLastWin32Error();
    return 0;
  }
}
`;

/** What a credential script does. */
export type CredentialOperation = "read" | "write" | "delete";

/** The PowerShell script for one operation (no secret in it). */
export function credentialScript(
  operation: CredentialOperation,
  user: string,
  host: string,
): string {
  const lines = [
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    `Add-Type -TypeDefinition @'${CSHARP}'@`,
    `$target = ${psString(credentialTarget(user, host))}`,
  ];
  const fail = (call: string) =>
    `if ($status -ne 0) { [Console]::Error.WriteLine("${call} failed with Windows error $status"); exit 1 }`;
  if (operation === "read") {
    lines.push(
      "$bytes = $null",
      "$status = [AwsProcessCredsCredential]::Read($target, [ref]$bytes)",
      `if ($status -eq 1168) { exit ${NOT_FOUND_EXIT} }`,
      fail("CredRead"),
      "$answer = [System.Text.Encoding]::ASCII.GetBytes([Convert]::ToBase64String($bytes))",
      "$out = [Console]::OpenStandardOutput()",
      "$out.Write($answer, 0, $answer.Length)",
      "$out.Flush()",
    );
  } else if (operation === "write") {
    lines.push(
      `$user = ${psString(user)}`,
      `$comment = ${psString(`${KEYCHAIN_SERVICE} IdP password`)}`,
      "$in = [Console]::OpenStandardInput()",
      "$buffer = New-Object System.IO.MemoryStream",
      "$in.CopyTo($buffer)",
      "$status = [AwsProcessCredsCredential]::Write($target, $user, $comment, $buffer.ToArray())",
      fail("CredWrite"),
    );
  } else {
    lines.push(
      "$status = [AwsProcessCredsCredential]::Delete($target)",
      `if ($status -eq 1168) { exit ${NOT_FOUND_EXIT} }`,
      fail("CredDelete"),
    );
  }
  lines.push("exit 0");
  return lines.join("\n");
}

function base64Utf8(text: string): string | undefined {
  try {
    const binary = atob(text.trim());
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** A {@link Keychain} over Windows Credential Manager. */
export function windowsCredentialKeychain(
  options: KeychainOptions = {},
): Keychain {
  const program = options.program ?? "powershell.exe";
  const command = (
    action: string,
    operation: CredentialOperation,
    user: string,
    host: string,
  ) => {
    const run = powershellCommand(
      program,
      credentialScript(operation, user, host),
      false,
    );
    // The script must fit in argv: stdin carries the password.
    if (run.stdin !== undefined) {
      throw new KeychainError(`${action}: the user name or host is too long`);
    }
    return run;
  };
  return keychainOf(STORE, {
    async get(action, user, host) {
      const result = await runHelper(
        action,
        options,
        command(action, "read", user, host),
      );
      if (result.code === NOT_FOUND_EXIT) return undefined;
      if (result.code !== 0) throw exitError(action, program, result);
      const password = base64Utf8(new TextDecoder().decode(result.stdout));
      if (password === undefined) {
        throw new KeychainError(
          `${action}: ${program} printed something other than base64 UTF-8`,
        );
      }
      return password;
    },
    async set(action, user, host, password) {
      const result = await runHelper(action, options, {
        ...command(action, "write", user, host),
        stdin: password,
      });
      if (result.code !== 0) {
        throw exitError(action, program, result, [password]);
      }
    },
    async delete(action, user, host) {
      const result = await runHelper(
        action,
        options,
        command(action, "delete", user, host),
      );
      if (result.code === 0) return true;
      if (result.code === NOT_FOUND_EXIT) return false;
      throw exitError(action, program, result);
    },
  });
}
