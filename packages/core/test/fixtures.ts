/**
 * Shared setup for the tests of the session service: an app Schema, a store spy over the memory
 * store, request jars and log capture.
 */
import { layerMemory } from "@seshat/adapters-memory"
import type * as Policy from "@seshat/core/Policy"
import * as Sessions from "@seshat/core/Sessions"
import { SessionStore, StoreError, type StoredSession } from "@seshat/core/SessionStore"
import * as Token from "@seshat/core/Token"
import * as WebCookies from "@seshat/core/WebCookies"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import * as Schema from "effect/Schema"
import { assert } from "vitest"

export const Data = Schema.Struct({
  visits: Schema.Number,
  theme: Schema.String,
  note: Schema.String
})
export type Data = typeof Data.Type

export const initial = (): Data => ({ visits: 0, theme: "light", note: "" })

export const second = 1000
export const minute = 60 * second
export const hour = 60 * minute

/** 30 minutes idle, 12 hours absolute, renewal at most once a minute, a 2 second store timeout. */
export const policy: Policy.PolicyOptions = {
  idleTimeout: "30 minutes",
  absoluteTimeout: "12 hours",
  renewalInterval: "1 minute",
  storeTimeout: "2 seconds"
}

export const cookieName = "__Host-seshat"

export type StoreOperation = "get" | "insert" | "update" | "delete" | "listByUser"

/**
 * A store that counts calls, records what was written and can fail or hang one operation at a time.
 * `inner` is the memory store underneath, for seeding and inspecting records without counting.
 */
export interface StoreSpy {
  readonly store: SessionStore["Service"]
  readonly inner: SessionStore["Service"]
  readonly calls: Record<StoreOperation, number>
  /** Every session passed to `insert` or `update`, whether or not the store accepted it. */
  readonly written: Array<StoredSession>
  /** Keys passed to `get` and `delete`. */
  readonly keys: Array<string>
  /** Operations that fail with `Unavailable` or never complete. */
  readonly faults: Map<StoreOperation, "fail" | "hang">
  /** Runs before each `update` reaches the memory store, to simulate a concurrent writer. */
  beforeUpdate: (session: StoredSession) => Effect.Effect<void, StoreError>
  readonly writes: () => number
}

export const makeSpy = (inner: SessionStore["Service"]): StoreSpy => {
  const calls: Record<StoreOperation, number> = { get: 0, insert: 0, update: 0, delete: 0, listByUser: 0 }
  const faults = new Map<StoreOperation, "fail" | "hang">()

  const guard = <X>(operation: StoreOperation, effect: () => Effect.Effect<X, StoreError>) =>
    Effect.suspend((): Effect.Effect<X, StoreError> => {
      calls[operation]++
      const fault = faults.get(operation)
      if (fault === "fail") {
        return Effect.fail(new StoreError({ reason: "Unavailable", cause: new Error("connection refused") }))
      }
      if (fault === "hang") return Effect.never
      return effect()
    })

  const spy: StoreSpy = {
    inner,
    calls,
    written: [],
    keys: [],
    faults,
    beforeUpdate: () => Effect.void,
    writes: () => calls.insert + calls.update + calls.delete,
    store: SessionStore.of({
      ...inner,
      // The spy can hang, so the service must apply its store timeout.
      enforcesTimeout: false,
      get: (key) => {
        spy.keys.push(key)
        return guard("get", () => inner.get(key))
      },
      insert: (session) => {
        spy.written.push(session)
        return guard("insert", () => inner.insert(session))
      },
      update: (session) => {
        spy.written.push(session)
        return guard("update", () => Effect.andThen(spy.beforeUpdate(session), inner.update(session)))
      },
      delete: (key, version) => {
        spy.keys.push(key)
        return guard("delete", () => inner.delete(key, version))
      },
      listByUser: (userId) => guard("listByUser", () => inner.listByUser(userId))
    })
  }
  return spy
}

export interface Harness {
  readonly sessions: Sessions.Sessions<Data>
  readonly spy: StoreSpy
}

/** Builds the service over a spied memory store and the deterministic token generator. `policy` overrides the defaults above. */
export const setup = (options: { readonly policy?: Policy.PolicyOptions } = {}) =>
  Effect.gen(function* () {
    const spy = makeSpy(yield* SessionStore)
    const sessions = yield* Sessions.make({ schema: Data, initial, policy: { ...policy, ...options.policy } }).pipe(
      Effect.provideService(SessionStore, spy.store)
    )
    const harness: Harness = { sessions, spy }
    return harness
  }).pipe(Effect.provide(Layer.merge(layerMemory(), Token.layerTest())))

/** A request to the app, with an optional Cookie header. */
export const request = (cookie?: string) =>
  new Request("https://app.example/account", cookie === undefined ? {} : { headers: { cookie } })

export const jarFor = (cookie?: string, options: { readonly writable?: boolean } = {}) =>
  WebCookies.fromRequest(request(cookie), options)

/** Returns the Cookie header a browser sends back after the jar's single session Set-Cookie. */
export const cookieFrom = (jar: WebCookies.WebCookieJar): string => {
  const headers = jar.setCookieHeaders()
  assert.strictEqual(headers.length, 1, "expected exactly one Set-Cookie")
  return headers[0]!.split(";")[0]!
}

/** The token in a `name=value` cookie pair. */
export const tokenIn = (cookie: string): string => cookie.slice(cookie.indexOf("=") + 1)

/** A well-formed token that the test generator never produces, for unknown-token cases. */
export const unknownToken = "dW5rbm93biB0b2tlbiB0aGF0IGlzIG5ldmVyIHN0by4"

export const storeKeyOf = (token: string) => Token.storeKey(Redacted.make(token))

/** Runs an effect with every log line, debug included, collected as JSON text instead of printed. */
export const captureLogs = <A, E, R>(effect: Effect.Effect<A, E, R>, lines: Array<string>) =>
  effect.pipe(
    Effect.provide(Logger.layer([Logger.make((options) => lines.push(Logger.formatJson.log(options)))])),
    Effect.provideService(References.MinimumLogLevel, "All")
  )
