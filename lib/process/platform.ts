/**
 * Operating systems as this tool groups them.
 *
 * @module
 */

/** Operating systems as `Deno.build.os` names them. */
export type OsName = typeof Deno.build.os;

/** The Unix-like systems other than macOS (the Secret Service, X11 or Wayland desktops). */
export const UNIX_LIKE: readonly OsName[] = [
  "linux",
  "freebsd",
  "netbsd",
  "aix",
  "solaris",
  "illumos",
];
