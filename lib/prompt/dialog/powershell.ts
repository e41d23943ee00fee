/**
 * Windows: a small Windows Forms dialog written in PowerShell
 * (`powershell.exe`, or `pwsh`). The script, with the title, text and rows as
 * single-quoted PowerShell literals, goes in `-EncodedCommand` (base64 of
 * UTF-16LE); it never contains a secret. When a script would make the command
 * line too long (a very long menu), a fixed bootstrap goes in
 * `-EncodedCommand` instead and the script follows on stdin.
 *
 * - Secrets: a TextBox with `UseSystemPasswordChar` (no `Read-Host`, no
 *   `Get-Credential`).
 * - Codes: the same TextBox, shown as typed.
 * - Menus: a ListBox, first row selected; Enter or a double click picks.
 * - Notices: a label and an OK button.
 *
 * The answer is written to stdout as UTF-8 bytes with no newline. Exit status
 * 0 is OK, {@link CANCEL_EXIT} is Cancel or the window closed; anything else
 * (PowerShell itself exits 1 on a script error) is a failure. Each window
 * also closes itself within a second once the process that opened it has
 * gone, so it cannot outlive a program killed with no chance to clean up.
 *
 * @module
 */
import { powershellCommand, psString } from "../../process/powershell.ts";
import type { CommandResult } from "../../process/run_command.ts";
import {
  type DialogBackend,
  type DialogBackendChoice,
  dialogEnded,
  type DialogOutcome,
} from "./backend.ts";

/** The exit status the dialog scripts use for Cancel. */
export const CANCEL_EXIT = 3;

type Body = "secret" | "text" | "choose" | "notice";

function dialogScript(
  body: Body,
  title: string,
  text: string,
  parentPid: number,
  items: readonly string[] = [],
): string {
  const lines = [
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    "Add-Type -AssemblyName System.Windows.Forms",
    "Add-Type -AssemblyName System.Drawing",
    "[System.Windows.Forms.Application]::EnableVisualStyles()",
    `$title = ${psString(title)}`,
    `$text = ${psString(text)}`,
    `$parentId = ${Math.trunc(parentPid)}`,
    "function Send-Answer([string]$value) {",
    "  $bytes = [System.Text.Encoding]::UTF8.GetBytes($value)",
    "  $out = [Console]::OpenStandardOutput()",
    "  $out.Write($bytes, 0, $bytes.Length)",
    "  $out.Flush()",
    "}",
    "$form = New-Object System.Windows.Forms.Form",
    "$form.Text = $title",
    "$form.TopMost = $true",
    "$form.StartPosition = 'CenterScreen'",
    "$form.FormBorderStyle = 'FixedDialog'",
    "$form.MinimizeBox = $false",
    "$form.MaximizeBox = $false",
    "$form.AutoSize = $true",
    "$form.AutoSizeMode = 'GrowAndShrink'",
    "$form.Padding = New-Object System.Windows.Forms.Padding 12",
    "$layout = New-Object System.Windows.Forms.FlowLayoutPanel",
    "$layout.FlowDirection = 'TopDown'",
    "$layout.WrapContents = $false",
    "$layout.AutoSize = $true",
    "$form.Controls.Add($layout)",
    "$label = New-Object System.Windows.Forms.Label",
    "$label.Text = $text",
    "$label.AutoSize = $true",
    "$label.UseMnemonic = $false",
    "$label.MaximumSize = New-Object System.Drawing.Size 480, 0",
    "$layout.Controls.Add($label)",
  ];
  if (body === "secret" || body === "text") {
    lines.push(
      "$entry = New-Object System.Windows.Forms.TextBox",
      "$entry.Width = 360",
      `$entry.UseSystemPasswordChar = ${
        body === "secret" ? "$true" : "$false"
      }`,
      "$layout.Controls.Add($entry)",
      "$form.Add_Shown({ $form.Activate(); [void]$entry.Focus() })",
    );
  } else if (body === "choose") {
    lines.push(
      `$rows = @(${items.map(psString).join(", ")})`,
      "$list = New-Object System.Windows.Forms.ListBox",
      "$list.Width = 480",
      `$list.Height = ${Math.min(320, 24 + 18 * items.length)}`,
      "foreach ($row in $rows) { [void]$list.Items.Add($row) }",
      "$list.SelectedIndex = 0",
      "$list.Add_DoubleClick({ if ($list.SelectedIndex -ge 0) { $form.DialogResult = 'OK'; $form.Close() } })",
      "$layout.Controls.Add($list)",
      "$form.Add_Shown({ $form.Activate(); [void]$list.Focus() })",
    );
  } else {
    lines.push(
      "$label.Font = New-Object System.Drawing.Font($label.Font.FontFamily, 16)",
      "$form.Add_Shown({ $form.Activate() })",
    );
  }
  lines.push(
    "$buttons = New-Object System.Windows.Forms.FlowLayoutPanel",
    "$buttons.FlowDirection = 'RightToLeft'",
    "$buttons.AutoSize = $true",
    "$buttons.Anchor = 'Right'",
    "$ok = New-Object System.Windows.Forms.Button",
    "$ok.Text = 'OK'",
    "$ok.DialogResult = 'OK'",
    "$form.AcceptButton = $ok",
  );
  if (body === "notice") {
    lines.push("$buttons.Controls.Add($ok)", "$form.CancelButton = $ok");
  } else {
    lines.push(
      "$cancel = New-Object System.Windows.Forms.Button",
      "$cancel.Text = 'Cancel'",
      "$cancel.DialogResult = 'Cancel'",
      "$buttons.Controls.Add($cancel)",
      "$buttons.Controls.Add($ok)",
      "$form.CancelButton = $cancel",
    );
  }
  lines.push(
    "$layout.Controls.Add($buttons)",
    // Close when the program that asked has gone.
    "$timer = New-Object System.Windows.Forms.Timer",
    "$timer.Interval = 1000",
    "$timer.Add_Tick({ try { if ([System.Diagnostics.Process]::GetProcessById($parentId).HasExited) { $form.Close() } } catch { $form.Close() } })",
    "$timer.Start()",
    "$result = $form.ShowDialog()",
    "$timer.Stop()",
    `if ($result -ne [System.Windows.Forms.DialogResult]::OK) { exit ${CANCEL_EXIT} }`,
  );
  if (body === "secret" || body === "text") {
    lines.push("Send-Answer $entry.Text");
  } else if (body === "choose") {
    lines.push("Send-Answer ([string]$list.SelectedIndex)");
  }
  lines.push("exit 0");
  return lines.join("\n");
}

function ended<T>(result: CommandResult, program: string): DialogOutcome<T> {
  return dialogEnded(program, result, result.code === CANCEL_EXIT);
}

/**
 * The PowerShell backend.
 *
 * @param parentPid The process whose end closes any window (this one).
 */
export function powershellBackend(
  choice: Pick<DialogBackendChoice, "program"> = {
    program: "powershell.exe",
  },
  parentPid: number = Deno.pid,
): DialogBackend {
  const spec = (
    body: Body,
    title: string,
    text: string,
    items?: readonly string[],
  ) => ({
    ...powershellCommand(
      choice.program,
      dialogScript(body, title, text, parentPid, items),
    ),
    background: body === "notice",
  });
  return {
    kind: "powershell",
    secret: ({ title, text }) => spec("secret", title, text),
    text: ({ title, text }) => spec("text", title, text),
    choose: ({ title, text, items }) => spec("choose", title, text, items),
    notice: ({ title, text }) => spec("notice", title, text),
    readText(result) {
      if (result.code !== 0) return ended(result, choice.program);
      return { kind: "answer", value: new TextDecoder().decode(result.stdout) };
    },
    readChoice(result, count) {
      if (result.code !== 0) return ended(result, choice.program);
      const out = new TextDecoder().decode(result.stdout).trim();
      const n = Number(out);
      if (out === "-1") return { kind: "answer", value: -1 };
      if (!/^\d+$/.test(out) || n >= count) {
        return {
          kind: "failed",
          reason: `${choice.program} printed something other than a row index`,
        };
      }
      return { kind: "answer", value: n };
    },
  };
}
