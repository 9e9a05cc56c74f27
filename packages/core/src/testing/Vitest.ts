/**
 * Vitest helpers for Effect programs, standing in for `@effect/vitest` while it requires a Node
 * release newer than the 20.9 this project supports.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { TestClock } from "effect/testing"
import { it } from "vitest"

/**
 * Runs an Effect program as a Vitest test, with a `TestClock` starting at 0 and a `Scope` closed
 * when the test ends. Failures surface as the test's error.
 *
 * @since 0.1.0
 * @category tests
 */
export const effect = <A, E>(name: string, self: () => Effect.Effect<A, E, Scope.Scope>, timeout?: number): void => {
  it(name, () => run(self()), timeout)
}

/**
 * Runs an Effect program with a fresh `TestClock` and `Scope`, returning a Promise.
 *
 * @since 0.1.0
 * @category tests
 */
export const run = <A, E>(self: Effect.Effect<A, E, Scope.Scope>): Promise<A> =>
  Effect.runPromise(self.pipe(Effect.scoped, Effect.provide(TestClock.layer())))
