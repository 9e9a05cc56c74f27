/**
 * Test helpers: a clock moved by hand, a store that counts its calls and can simulate faults, and a
 * `NextSessions` instance over both.
 */
import { layerMemory } from "@seshat/adapters-memory"
import { NextSessions } from "@seshat/adapters-next"
import { SessionStore, StoreError } from "@seshat/core/SessionStore"
import * as WebCookies from "@seshat/core/WebCookies"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Schema from "effect/Schema"

export const MINUTE = 60_000
export const COOKIE_NAME = "__Host-seshat"

/**
 * Creates a clock that the test moves by hand. The session service reads it through Effect's Clock
 * port.
 */
export const manualClock = (start: number) => {
  let now = start
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: () => now,
    currentTimeMillis: Effect.sync(() => now),
    currentTimeNanosUnsafe: () => BigInt(now) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
    monotonicTimeNanosUnsafe: () => BigInt(now) * 1_000_000n,
    monotonicTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
    sleep: () => Effect.void
  }
  const advance = (ms: number) => {
    now += ms
  }
  return { clock, advance }
}

/**
 * Faults a `recordingStore` can simulate, switched on and off by the test.
 */
export interface StoreFaults {
  /** Every call fails as unavailable. */
  unavailable: boolean
  /** Every `get` returns a record whose value does not decode. */
  corrupt: boolean
  /** Every `update` fails as if another request had written first. */
  conflict: boolean
}

/**
 * Wraps the memory store, counting the calls of each operation, with faults the test switches on.
 */
export const recordingStore = () => {
  const calls = { get: 0, insert: 0, update: 0, delete: 0, listByUser: 0 }
  const faults: StoreFaults = { unavailable: false, corrupt: false, conflict: false }
  const outage = () => Effect.fail(new StoreError({ reason: "Unavailable", cause: new Error("connection refused") }))
  const layer = Layer.effect(
    SessionStore,
    Effect.gen(function* () {
      const store = yield* SessionStore
      return SessionStore.of({
        get: (key) => {
          calls.get++
          if (faults.unavailable) return outage()
          if (!faults.corrupt) return store.get(key)
          return Effect.map(
            store.get(key),
            Option.map((stored) => ({ ...stored, value: "not json" }))
          )
        },
        insert: (session) => {
          calls.insert++
          return faults.unavailable ? outage() : store.insert(session)
        },
        update: (session) => {
          calls.update++
          if (faults.unavailable) return outage()
          return faults.conflict ? Effect.fail(new StoreError({ reason: "Conflict" })) : store.update(session)
        },
        delete: (key, version) => {
          calls.delete++
          return faults.unavailable ? outage() : store.delete(key, version)
        },
        listByUser: (userId) => {
          calls.listByUser++
          return faults.unavailable ? outage() : store.listByUser(userId)
        }
      })
    })
  ).pipe(Layer.provide(layerMemory()))
  return { layer, calls, faults }
}

const Data = Schema.Struct({ visits: Schema.Number })

/**
 * One line logged through the manager's logger.
 */
export interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
}

/**
 * Creates a `NextSessions` instance over a recording store, with a 30-minute idle timeout and
 * renewal at most once a minute, that logs to `logs`. `start` creates a session outside Next and returns its
 * `Cookie` pair.
 */
export const setup = () => {
  const time = manualClock(Date.UTC(2026, 0, 1))
  const store = recordingStore()
  const logs: Array<LogLine> = []
  const sessions = NextSessions.make({
    schema: Data,
    initial: () => ({ visits: 0 }),
    store: store.layer,
    clock: time.clock,
    policy: { idleTimeout: "30 minutes", renewalInterval: "1 minute" },
    logger: Logger.make((entry) => {
      logs.push({
        level: entry.logLevel,
        message: String(entry.message),
        annotations: entry.fiber.getRef(References.CurrentLogAnnotations)
      })
    })
  })
  const start = async () => {
    const jar = WebCookies.fromRequest(new Request("http://127.0.0.1/"))
    await sessions.manager.ensure(jar)
    return jar.setCookieHeaders()[0]!.split(";")[0]!
  }
  return { sessions, time, store, logs, start }
}

/**
 * Reads the session as a later request would, through a fresh jar for `cookie`.
 */
export const readLater = <A>(sessions: NextSessions.NextSessions<A>, cookie: string) =>
  sessions.manager.read(WebCookies.fromRequest(new Request("http://127.0.0.1/", { headers: { cookie } })))
