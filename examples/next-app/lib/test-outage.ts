/**
 * A switchable store outage for browser tests: while it is on, every call of the session store
 * fails as unavailable, so a test can check that an outage never reads as "no session". It is
 * active only when the server starts with `SESHAT_TEST_OUTAGE=1`.
 */
import { SessionStore, StoreError } from "@seshat/core/SessionStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

interface OutageState {
  unavailable: boolean
}

// On globalThis for the same reason as the test clock: every route bundle must see one switch.
const stateKey = Symbol.for("@seshat/example-next-app/test-outage")

/**
 * Whether the outage switch exists: the server process started with `SESHAT_TEST_OUTAGE=1`.
 */
export const isEnabled = (): boolean => process.env.SESHAT_TEST_OUTAGE === "1"

const state = (): OutageState => {
  const registry = globalThis as { [stateKey]?: OutageState }
  let current = registry[stateKey]
  if (current === undefined) {
    current = { unavailable: false }
    registry[stateKey] = current
  }
  return current
}

/**
 * Turns the simulated outage on or off.
 */
export const setUnavailable = (unavailable: boolean): void => {
  state().unavailable = unavailable
}

const failWhileUnavailable = <A>(effect: Effect.Effect<A, StoreError>): Effect.Effect<A, StoreError> =>
  Effect.suspend(() =>
    state().unavailable
      ? Effect.fail(new StoreError({ reason: "Unavailable", cause: new Error("simulated outage (test switch on)") }))
      : effect
  )

/**
 * Wraps a store layer so that each call fails with `StoreError` reason "Unavailable" while the
 * outage is on, and passes through to the wrapped store otherwise.
 */
export const layerSwitchable = (inner: Layer.Layer<SessionStore>): Layer.Layer<SessionStore> =>
  Layer.effect(
    SessionStore,
    Effect.gen(function* () {
      const store = yield* SessionStore
      console.warn("SESHAT_TEST_OUTAGE=1: POST /api/test-outage can make the session store fail")
      return SessionStore.of({
        get: (key) => failWhileUnavailable(store.get(key)),
        insert: (session) => failWhileUnavailable(store.insert(session)),
        update: (session) => failWhileUnavailable(store.update(session)),
        delete: (key, version) => failWhileUnavailable(store.delete(key, version)),
        listByUser: (userId) => failWhileUnavailable(store.listByUser(userId))
      })
    })
  ).pipe(Layer.provide(inner))
