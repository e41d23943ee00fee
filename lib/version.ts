/** The program's version, embedded by compile.sh and shown by --version. */
export const VERSION = "0.1.0";
