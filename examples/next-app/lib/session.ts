/**
 * The app's session API: one manager per server process, over the in-memory store.
 *
 * The policy comes from environment variables that take Effect duration strings such as
 * "30 minutes"; an unset variable keeps the core's default. An invalid value stops the server at
 * start-up with a `SessionConfigError` that names the field.
 *
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
import type * as Duration from "effect/Duration"
import * as Schema from "effect/Schema"
import * as TestClock from "./test-clock"
import * as TestOutage from "./test-outage"

/**
 * The data the app keeps in a session.
 */
export const VisitData = Schema.Struct({
  visits: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))
})

const policyFromEnvironment = (): PolicyOptions => {
  const options: { -readonly [K in keyof PolicyOptions]: PolicyOptions[K] } = {}
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

type VisitSessions = NextSessions.NextSessions<typeof VisitData.Type>

// Next 16 bundles each route separately (the page with its Server Actions, and each Route Handler),
// and each bundle evaluates this module once. A plain module-level manager would give each route its
// own memory store, and a session made by the page would be unknown to GET /api/session. So the
// manager lives on globalThis under a registry symbol, one per server process.
// NOTE: in `next dev` the manager survives hot reloads, so a change to this file needs a restart.
const sessionsKey = Symbol.for("@seshat/example-next-app/sessions")
const registry = globalThis as { [sessionsKey]?: VisitSessions }

const makeSessions = (): VisitSessions => {
  if (TestClock.isEnabled()) {
    console.warn("SESHAT_TEST_CLOCK=1: session time follows the test clock, and POST /api/test-clock moves it")
  }
  if (TestOutage.isEnabled()) {
    console.warn("SESHAT_TEST_OUTAGE=1: POST /api/test-outage can make the session store fail")
  }
  return NextSessions.make({
    schema: VisitData,
    initial: () => ({ visits: 0 }),
    policy: policyFromEnvironment(),
    store: TestOutage.isEnabled() ? TestOutage.layerSwitchable(layerMemory()) : layerMemory(),
    clock: TestClock.isEnabled() ? TestClock.clock() : undefined
  })
}

/**
 * Session operations bound to the current request, through `await cookies()`.
 */
export const sessions: VisitSessions = registry[sessionsKey] ?? makeSessions()
registry[sessionsKey] = sessions
