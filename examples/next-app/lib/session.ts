/**
 * The app's session API: one instance per server process, over the in-memory store, or over Redis
 * when `REDIS_URL` is set.
 *
 * The policy comes from environment variables that take Effect duration strings such as
 * "30 minutes"; an unset variable keeps the core's default. An invalid value stops the server at
 * start-up with a `SessionConfigError` that names the field.
 *
 * - `REDIS_URL`: a Redis server such as `redis://127.0.0.1:6379`; unset keeps sessions in memory.
 * - `SESHAT_IDLE_TIMEOUT`: time without activity after which a session expires.
 * - `SESHAT_ABSOLUTE_TIMEOUT`: time after creation after which a session expires whatever its activity.
 * - `SESHAT_RENEWAL_INTERVAL`: minimum time between two renewals of the idle deadline.
 * - `SESHAT_INSECURE_COOKIE=1`: a cookie named `seshat` without `Secure`, for plain HTTP on a host
 *   other than localhost or 127.0.0.1.
 * - `SESHAT_TEST_CLOCK=1`: the clock that `POST /api/test-clock` moves forward, for browser tests.
 * - `SESHAT_TEST_OUTAGE=1`: a store that `POST /api/test-outage` makes fail, for browser tests.
 */
import type { PolicyOptions } from "@seshat/core/Policy"
import { layerMemory } from "@seshat/adapters-memory"
import { NextSessions } from "@seshat/adapters-next"
import { layerRedis } from "@seshat/adapters-redis"
import type { SessionStore } from "@seshat/core/SessionStore"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as TestClock from "./test-clock"
import * as TestOutage from "./test-outage"

/**
 * The data the app keeps in a session.
 */
export const VisitData = Schema.Struct({
  visits: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))
})

// `update` writes with compare-and-set and retries after a conflict. An attempt fails only when
// another request committed a change in between, so N concurrent updates of one session need at
// most N attempts each. More concurrent updates can fail with SessionConflict, which
// `sessions.route` turns into a 409. Ten covers a page that fires ten requests, which
// test/e2e.test.ts does. It is the core's default too, and is set here because that test depends
// on it.
const MAX_UPDATE_ATTEMPTS = 10

const policyFromEnvironment = (): PolicyOptions => {
  const options: { -readonly [K in keyof PolicyOptions]: PolicyOptions[K] } = {
    maxUpdateAttempts: MAX_UPDATE_ATTEMPTS
  }
  // Only variables that are set become options: the core fills in a default for a missing key.
  const durations = [
    ["idleTimeout", "SESHAT_IDLE_TIMEOUT"],
    ["absoluteTimeout", "SESHAT_ABSOLUTE_TIMEOUT"],
    ["renewalInterval", "SESHAT_RENEWAL_INTERVAL"]
  ] as const
  for (const [field, variable] of durations) {
    const value = process.env[variable]?.trim()
    // The core parses the string and rejects one that is not a duration, naming the field.
    if (value !== undefined && value !== "") options[field] = value as Duration.Input
  }
  // The `__Host-seshat` default is Secure, which Chromium accepts over plain HTTP on localhost and
  // 127.0.0.1 because it counts those hosts as secure contexts. Other plain-HTTP hosts need this.
  if (process.env.SESHAT_INSECURE_COOKIE === "1") {
    options.cookie = { name: "seshat", secure: false }
    options.allowInsecureCookie = true
  }
  return options
}

/**
 * Selects the store: Redis when `REDIS_URL` is set, otherwise the in-memory store of this process.
 */
const storeFromEnvironment = (): Layer.Layer<SessionStore> => {
  const url = process.env.REDIS_URL?.trim()
  const redis = url !== undefined && url !== ""
  // Logged when the store is built, once per process. The URL is left out: it may hold a password.
  const announce = Layer.effectDiscard(
    Effect.sync(() =>
      console.info(redis ? "sessions are stored in Redis (REDIS_URL)" : "sessions are stored in memory")
    )
  )
  const store = Layer.merge(redis ? layerRedis({ url }) : layerMemory(), announce)
  return TestOutage.isEnabled() ? TestOutage.layerSwitchable(store) : store
}

/**
 * Session operations bound to the current request, through `await cookies()`.
 *
 * Next 16 evaluates this module once per route bundle (each page with its Server Actions, each Route
 * Handler, and proxy.ts). The global key makes all of them share the first instance, and with it one
 * store and one Redis connection per server process.
 * NOTE: in `next dev` the instance also survives hot reloads, so a change to this file needs a restart.
 */
export const sessions = NextSessions.make({
  schema: VisitData,
  initial: () => ({ visits: 0 }),
  policy: policyFromEnvironment(),
  store: storeFromEnvironment(),
  clock: TestClock.isEnabled() ? TestClock.clock() : undefined,
  globalKey: "seshat-example-next-app"
})
