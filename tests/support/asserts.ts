/**
 * The std/assert names the desktop and keychain tests are written with,
 * made of node:assert/strict (JSR cannot be reached from this workplace).
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Fails unless `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Fails unless `value` is falsy. */
export function assertFalse(value: unknown, message?: string): void {
  nodeAssert.ok(!value, message);
}

/** Fails unless the two are deeply, strictly equal. */
export function assertEquals<T>(
  actual: T,
  expected: T,
  message?: string,
): void {
  nodeAssert.deepEqual(actual, expected, message);
}

/** Fails unless `actual` matches `expected`. */
export function assertMatch(
  actual: string,
  expected: RegExp,
  message?: string,
): void {
  nodeAssert.match(actual, expected, message);
}

/** Fails unless `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string): void {
  nodeAssert.ok(
    actual.includes(expected),
    `${JSON.stringify(actual)} does not include ${JSON.stringify(expected)}`,
  );
}

/**
 * Fails unless `fn` rejects with an `errorClass` whose message contains
 * `includes`; returns the error.
 */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  errorClass: new (...args: any[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    nodeAssert.ok(
      error instanceof errorClass,
      `expected ${errorClass.name}, got ${error}`,
    );
    if (includes) assertStringIncludes(error.message, includes);
    return error;
  }
  throw new Error(`expected a ${errorClass.name}`);
}
