/**
 * A clock for in-process tests: `sleep` returns at once and moves time on, so
 * polls and deadlines are tested without waiting.
 *
 * @module
 */
import type { Clock } from "../../lib/clock.ts";

/** A fake clock and the sleeps it was asked for. */
export interface FakeClock extends Clock {
  /** Every sleep asked for, in ms, in order. */
  sleeps: number[];
  /** Moves time on without a sleep. */
  advance(ms: number): void;
}

/** A clock starting at `start` (default: now) whose sleeps take no time. */
export function fakeClock(start: number = Date.now()): FakeClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => new Date(now),
    sleep(ms) {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    advance(ms) {
      now += ms;
    },
  };
}
