#!/usr/bin/env bash
# Builds standalone binaries of awsprocesscreds-saml with `deno compile`.
#
#   ./compile.sh [TARGET...]
#
# No TARGET: all six targets below. Each one becomes
# $DIST_DIR/awsprocesscreds-saml-<target>[.exe], and $DIST_DIR/SHA256SUMS
# lists the binaries built by this run (sha256sum format).
#
# Environment:
#   DIST_DIR         output directory (default: dist/ next to this script;
#                    a relative path is taken from the current directory)
#   DENO             the deno executable (default: deno on PATH)
#   DENORT_BIN       base runtime for the binaries, instead of downloading
#                    denort from dl.deno.land. Set it to a full `deno` to check
#                    the embedded module graph where dl.deno.land is out of
#                    reach: compile then completes and prints the graph, but
#                    the binaries do NOT run (they start a REPL), and only
#                    targets with the same executable format as DENORT_BIN
#                    (ELF, PE or Mach-O) can be written.
#   GITHUB_REF_NAME  on a tag build (GITHUB_REF_TYPE=tag, or a name like
#                    v1.2.3 when GITHUB_REF_TYPE is unset) the tag must be
#                    "v" + the version in lib/version.ts and deno.json.
#
# The version is embedded twice: lib/version.ts is compiled in (--version
# prints it) and deno compile records deno.json's "version" as the binary's
# app_version. This script refuses to build when the two differ.
#
# Flags passed to deno compile, and why:
#   -A                    --allow-all. The prompts open /dev/tty for reading
#                         AND writing, and Deno 2.9 grants write access to a
#                         tty only under --allow-all (NotCapable "Requires all
#                         access to /dev/tty" even with --allow-read
#                         --allow-write; denoland/deno #27980). The rest could
#                         not be scoped at compile time anyway: the cache lives
#                         under the user's HOME, the IdP and STS hosts are
#                         user input, and the AWS SDK reads AWS_* variables
#                         and the OS release. A compiled binary never prompts
#                         for permissions, so anything narrower would fail hard.
#   --frozen              use deno.lock exactly; fail if it would change.
#   --exclude-unused-npm  embed only npm packages reachable from main.ts, not
#                         test-only packages that are in the lockfile.
#   --app-name            stable identity whatever the file is renamed to.
#   --include npm:…       one per entry of NPM_SPECIFIERS in lib/deps.ts. The
#                         lazy imports there take their specifier from a
#                         variable (start-up cost, see lib/deps.ts), so the
#                         module graph cannot see them; without --include the
#                         binary embeds no npm package at all and the first
#                         login fails (tests/compile_test.ts checks the graph).
#   no --bundle/--minify  measured in docs/install.md: with the current
#                         lib/deps.ts, --bundle ignores --include and embeds no
#                         npm package (the binary could not log in); with
#                         literal imports it saved ~9.5 MiB but made a cache hit
#                         slower (54 ms against 29 ms under deno run), and it is
#                         experimental.
#   no --cert             --cert would bake a CA into the binary. Without it the
#                         binary's CA settings stay unset (DENO_CERT and
#                         DENO_TLS_CA_STORE in the build environment are not
#                         embedded: checked on 2.9.6), so the user's own
#                         environment decides at run time (docs/install.md).
set -euo pipefail

readonly NAME=awsprocesscreds-saml
readonly ALL_TARGETS="x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-pc-windows-msvc aarch64-pc-windows-msvc x86_64-apple-darwin aarch64-apple-darwin"
readonly MIN_MAJOR=2 MIN_MINOR=9

die() {
  printf 'compile.sh: error: %s\n' "$*" >&2
  exit 1
}
note() { printf 'compile.sh: %s\n' "$*" >&2; }

usage() {
  cat <<EOF
Usage: ./compile.sh [TARGET...]

Builds \$DIST_DIR/$NAME-<target>[.exe] (default DIST_DIR: dist/) and
\$DIST_DIR/SHA256SUMS with deno compile. No TARGET builds all of:
EOF
  for t in $ALL_TARGETS; do printf '  %s\n' "$t"; done
}

for arg in "$@"; do
  case "$arg" in
    -h | --help)
      usage
      exit 0
      ;;
    -*) die "unknown option: $arg (see --help)" ;;
  esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# --- Targets -----------------------------------------------------------------
if (($# == 0)); then
  # shellcheck disable=SC2206 # word splitting of the fixed list is intended
  targets=($ALL_TARGETS)
else
  targets=("$@")
fi
for t in "${targets[@]}"; do
  case " $ALL_TARGETS " in
    *" $t "*) ;;
    *) die "unknown target '$t'. Known targets: $ALL_TARGETS" ;;
  esac
done

# --- Deno: present and new enough -------------------------------------------
DENO=${DENO:-deno}
command -v "$DENO" >/dev/null 2>&1 ||
  die "Deno not found (looked for '$DENO'). Install Deno $MIN_MAJOR.$MIN_MINOR or newer, e.g. 'npm install -g deno@2.9.6', or set DENO=/path/to/deno"
version_line=$("$DENO" --version 2>/dev/null | head -n 1) || true
if [[ ! "$version_line" =~ ^deno\ ([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
  die "cannot read the Deno version from '$DENO --version' (got: '${version_line}')"
fi
deno_major=${BASH_REMATCH[1]} deno_minor=${BASH_REMATCH[2]}
deno_version="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
if ((deno_major < MIN_MAJOR || (deno_major == MIN_MAJOR && deno_minor < MIN_MINOR))); then
  die "Deno $deno_version is too old: $NAME needs Deno $MIN_MAJOR.$MIN_MINOR or newer (the release is built and tested with 2.9.6)"
fi

# --- A SHA-256 tool ----------------------------------------------------------
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$@"; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$@"; }
else
  die "neither sha256sum nor shasum found: cannot write SHA256SUMS"
fi

# --- Version: lib/version.ts, deno.json and the tag agree --------------------
version=$(sed -n 's/^export const VERSION = "\([^"]*\)";[[:space:]]*$/\1/p' "$root/lib/version.ts" | tr -d '\r')
[[ -n "$version" ]] ||
  die "cannot find 'export const VERSION = \"…\";' in lib/version.ts"
json_version=$(sed -n 's/^  "version": "\([^"]*\)",*[[:space:]]*$/\1/p' "$root/deno.json" | head -n 1 | tr -d '\r')
if [[ -n "$json_version" && "$json_version" != "$version" ]]; then
  die "lib/version.ts says $version but deno.json says $json_version (deno compile embeds both): make them equal"
fi
ref_name=${GITHUB_REF_NAME:-}
ref_type=${GITHUB_REF_TYPE:-}
if [[ -n "$ref_name" && ("$ref_type" == tag || (-z "$ref_type" && "$ref_name" =~ ^v[0-9])) ]]; then
  [[ "$ref_name" == "v$version" ]] ||
    die "tag $ref_name does not match the version v$version in lib/version.ts and deno.json"
  note "tag $ref_name matches version $version"
fi

if [[ -n "${DENORT_BIN:-}" ]]; then
  [[ -f "$DENORT_BIN" ]] || die "DENORT_BIN=$DENORT_BIN is not a file"
  magic=$(head -c 4 "$DENORT_BIN" | od -An -tx1 | tr -d ' \n')
  case "$magic" in
    7f454c46) base_format=linux ;;
    4d5a*) base_format=windows ;;
    cffaedfe | cefaedfe | cafebabe) base_format=darwin ;;
    *) base_format=unknown ;;
  esac
  for t in "${targets[@]}"; do
    if [[ "$base_format" != unknown && "$t" != *"$base_format"* ]]; then
      die "DENORT_BIN is a $base_format executable and cannot be the base of target $t (deno compile fails to parse it); build that target without DENORT_BIN"
    fi
  done
  note "warning: DENORT_BIN=$DENORT_BIN: these binaries are for inspecting the embedded files only and will not run"
fi

# --- Build -------------------------------------------------------------------
DIST_DIR=${DIST_DIR:-$root/dist}
mkdir -p "$DIST_DIR"
DIST_DIR=$(cd "$DIST_DIR" && pwd)
cd "$root"

# The npm packages main.ts loads through non-literal dynamic imports.
# shellcheck disable=SC2016 # the JavaScript is meant literally
specifiers=$("$DENO" eval --frozen --quiet '
  const { pathToFileURL } = await import("node:url");
  const deps = await import(pathToFileURL(Deno.args[0]).href);
  for (const s of deps.NPM_SPECIFIERS ?? []) {
    if (typeof s !== "string" || !s.startsWith("npm:")) {
      throw new Error(`not an npm: specifier: ${s}`);
    }
    Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
  }' "$root/lib/deps.ts") || die "cannot read NPM_SPECIFIERS from lib/deps.ts"
# lib/ whole as well: modules loaded on demand (login, providers, configure,
# dialogs, keychain) are imported with non-literal specifiers (lib/lazy.ts),
# which deno compile cannot follow.
includes=(--include "$root/lib")
while IFS= read -r spec; do
  if [[ -n "$spec" ]]; then includes+=(--include "$spec"); fi
done <<<"$specifiers"

note "awsprocesscreds-saml $version, Deno $deno_version, output in $DIST_DIR"
built=()
for t in "${targets[@]}"; do
  file="$NAME-$t"
  if [[ "$t" == *windows* ]]; then file="$file.exe"; fi
  rm -f "$DIST_DIR/$file"
  note "building $file"
  "$DENO" compile \
    -A \
    --frozen \
    --exclude-unused-npm \
    --app-name "$NAME" \
    ${includes[@]+"${includes[@]}"} \
    --target "$t" \
    --output "$DIST_DIR/$file" \
    main.ts ||
    die "deno compile failed for $t"
  [[ -f "$DIST_DIR/$file" ]] || die "deno compile did not write $DIST_DIR/$file"
  built+=("$file")
done

(cd "$DIST_DIR" && sha256 "${built[@]}" >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
note "wrote $DIST_DIR/SHA256SUMS"
for f in "${built[@]}"; do
  printf '%12d  %s\n' "$(wc -c <"$DIST_DIR/$f" | tr -d ' ')" "$f" >&2
done
