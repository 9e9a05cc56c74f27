/**
 * A clock for browser tests: the real clock plus an offset that `POST /api/test-clock` moves
 * forward, so a test can pass the idle timeout without sleeping. It is active only when the server
 * starts with `SESHAT_TEST_CLOCK=1`.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

interface TestClockState {
  offsetMs: number
  readonly clock: Clock.Clock
}

// Next bundles each route separately, and the server evaluates a shared module once per bundle. A
// module-level `let` would then give the session manager and the test-clock route two different
// offsets. So the state lives on globalThis under a registry symbol, the same slot for every copy.
const stateKey = Symbol.for("@seshat/example-next-app/test-clock")

const NANOS_PER_MILLI = 1_000_000n

/**
 * Whether the test clock is on: the server process started with `SESHAT_TEST_CLOCK=1`.
 */
export const isEnabled = (): boolean => process.env.SESHAT_TEST_CLOCK === "1"

const makeOffsetClock = (real: Clock.Clock, state: { readonly offsetMs: number }): Clock.Clock => {
  const millis = () => real.currentTimeMillisUnsafe() + state.offsetMs
  const nanos = () => real.currentTimeNanosUnsafe() + BigInt(state.offsetMs) * NANOS_PER_MILLI
  const monotonic = () => real.monotonicTimeNanosUnsafe() + BigInt(state.offsetMs) * NANOS_PER_MILLI
  return {
    currentTimeMillisUnsafe: millis,
    currentTimeMillis: Effect.sync(millis),
    currentTimeNanosUnsafe: nanos,
    currentTimeNanos: Effect.sync(nanos),
    monotonicTimeNanosUnsafe: monotonic,
    monotonicTimeNanos: Effect.sync(monotonic),
    // Sleeps stay real: the offset moves what the session deadlines see, not how long timers wait.
    sleep: (duration) => real.sleep(duration)
  }
}

const state = (): TestClockState => {
  const registry = globalThis as { [stateKey]?: TestClockState }
  let current = registry[stateKey]
  if (current === undefined) {
    const fresh = { offsetMs: 0 } as { offsetMs: number; clock: Clock.Clock }
    fresh.clock = makeOffsetClock(Clock.Clock.defaultValue(), fresh)
    current = fresh
    registry[stateKey] = current
    console.warn("SESHAT_TEST_CLOCK=1: session time follows the test clock, and POST /api/test-clock moves it")
  }
  return current
}

/**
 * Returns the process-wide test clock.
 */
export const clock = (): Clock.Clock => state().clock

/**
 * Moves the test clock forward by `ms` milliseconds and returns the total offset.
 */
export const advance = (ms: number): number => {
  const current = state()
  current.offsetMs += ms
  return current.offsetMs
}

/**
 * Returns the current time of the test clock, in epoch milliseconds.
 */
export const now = (): number => state().clock.currentTimeMillisUnsafe()
