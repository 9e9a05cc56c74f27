import { randomBytes } from "node:crypto"
import { inspect } from "node:util"
import { layerMemory } from "@seshat/adapters-memory"
import {
  CookieNotWritable,
  InvalidSessionData,
  NoSession,
  SessionConfigError,
  SessionConflict,
  SessionExpired,
  SessionGone,
  SessionTooLarge,
  StoreUnavailable
} from "@seshat/core/SessionError"
import * as Sessions from "@seshat/core/Sessions"
import { SessionStore } from "@seshat/core/SessionStore"
import { Vitest } from "@seshat/core/testing"
import * as Token from "@seshat/core/Token"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { TestClock } from "effect/testing"
import { assert, describe } from "vitest"
import {
  captureLogs,
  cookieFrom,
  cookieName,
  Data,
  type Harness,
  hour,
  initial,
  jarFor,
  minute,
  policy,
  setup,
  storeKeyOf,
  tokenIn,
  unknownToken
} from "./fixtures.js"
import * as WebCookies from "@seshat/core/WebCookies"

const idle = 30 * minute
const absolute = 12 * hour
const renewal = minute
const storeTimeout = 2000

// Starts a session at the current time and returns its Cookie header, its token and the session.
const start = (harness: Harness) =>
  Effect.gen(function* () {
    const jar = jarFor()
    const session = yield* harness.sessions.ensure(jar)
    const cookie = cookieFrom(jar)
    return { cookie, token: tokenIn(cookie), session }
  })

const stored = (harness: Harness, token: string) => harness.spy.inner.get(storeKeyOf(token))

// Seeds the memory store with a raw record under the key of `token`, bypassing the service.
const seed = (harness: Harness, token: string, value: string, sessionId = "seeded-session") =>
  harness.spy.inner.insert({
    key: storeKeyOf(token),
    sessionId,
    userId: undefined,
    version: 1,
    expiresAt: 100 * hour,
    value
  })

// A new plain object, to check that nothing was added to Object.prototype.
const emptyObject = () => ({}) as Record<string, unknown>

const canonicalToken = () => randomBytes(32).toString("base64url")

describe("Sessions.layer", () => {
  Vitest.effect("layer fails on an unsafe policy", () =>
    Effect.gen(function* () {
      class App extends Context.Service<App, Sessions.Sessions<Data>>()("test/App") {}
      const layer = Sessions.layer(App, {
        schema: Data,
        initial,
        policy: { idleTimeout: "2 hours", absoluteTimeout: "1 hour" }
      }).pipe(Layer.provide(Layer.merge(layerMemory(), Token.layerTest())))

      const error = yield* Effect.flip(Layer.build(layer))

      assert.instanceOf(error, SessionConfigError)
      assert.strictEqual(error.field, "absoluteTimeout")
    })
  )
})

describe("Sessions.read", () => {
  Vitest.effect("read without cookie is Absent", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const jar = jarFor()

      const status = yield* harness.sessions.read(jar)

      assert.deepStrictEqual(status, { _tag: "Absent" })
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      assert.strictEqual(harness.spy.calls.get, 0)
      assert.strictEqual(harness.spy.writes(), 0)
    })
  )

  Vitest.effect("read of a valid cookie is Active", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, session: created } = yield* start(harness)
      const writesBefore = harness.spy.writes()
      yield* TestClock.adjust(renewal - 1)
      const jar = jarFor(cookie)

      const status = yield* harness.sessions.read(jar)

      assert.strictEqual(status._tag, "Active")
      const session = (status as Extract<Sessions.Status<Data>, { _tag: "Active" }>).session
      assert.strictEqual(session.id, created.id)
      assert.strictEqual(session.origin, "resumed")
      assert.deepStrictEqual(session.data, initial())
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      assert.strictEqual(harness.spy.writes(), writesBefore)
    })
  )

  Vitest.effect("read renewal boundary", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      const early = jarFor(cookie)
      const due = jarFor(cookie)

      yield* TestClock.setTime(renewal - 1)
      yield* harness.sessions.read(early)
      const updatesBefore = harness.spy.calls.update
      yield* TestClock.setTime(renewal)
      yield* harness.sessions.read(due)

      assert.deepStrictEqual(early.setCookieHeaders(), [])
      assert.strictEqual(updatesBefore, 0)
      assert.strictEqual(harness.spy.calls.update, 1)
      assert.strictEqual(due.setCookieHeaders().length, 1)
      assert.strictEqual(tokenIn(cookieFrom(due)), token)
      assert.include(due.setCookieHeaders()[0]!, `Max-Age=${idle / 1000}`)
    })
  )

  Vitest.effect("read twice in one request renews once", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      yield* TestClock.setTime(renewal)
      const jar = jarFor(cookie)

      yield* harness.sessions.read(jar)
      yield* harness.sessions.read(jar)
      yield* harness.sessions.get(jar)

      assert.strictEqual(harness.spy.calls.get, 1)
      assert.strictEqual(harness.spy.calls.update, 1)
      assert.strictEqual(jar.setCookieHeaders().length, 1)
    })
  )

  Vitest.effect("read twice on a frozen jar loads once", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      const jar = Object.freeze(jarFor(cookie))

      const first = yield* harness.sessions.read(jar)
      const second = yield* harness.sessions.read(jar)

      assert.strictEqual(first._tag, "Active")
      assert.strictEqual(second._tag, "Active")
      assert.strictEqual(harness.spy.calls.get, 1)
    })
  )

  Vitest.effect("read-only read never renews", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      const writesBefore = harness.spy.writes()
      yield* TestClock.setTime(idle - 1)
      const jar = jarFor(cookie, { writable: false })

      const status = yield* harness.sessions.read(jar)

      assert.strictEqual(status._tag, "Active")
      assert.strictEqual(harness.spy.writes(), writesBefore)
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
    })
  )

  Vitest.effect("read-only read of a stale cookie", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token, session } = yield* start(harness)
      const writesBefore = harness.spy.writes()
      yield* TestClock.setTime(idle)
      const jar = jarFor(cookie, { writable: false })

      const status = yield* harness.sessions.read(jar)

      assert.deepStrictEqual(status, { _tag: "Expired", reason: "idle", sessionId: session.id })
      assert.strictEqual(harness.spy.writes(), writesBefore)
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      assert.isTrue(Option.isSome(yield* stored(harness, token)))
    })
  )

  Vitest.effect("read reports each invalid reason", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { token } = yield* start(harness)
      const corruptToken = canonicalToken()
      yield* seed(harness, corruptToken, "not json")
      const cases = [
        [`${cookieName}=not-a-token`, "malformed"],
        [`${cookieName}=${unknownToken}`, "unknown"],
        [`${cookieName}=${token}; ${cookieName}=${token}`, "ambiguous"],
        [`${cookieName}=${corruptToken}`, "corrupt"]
      ] as const

      for (const [cookie, reason] of cases) {
        const jar = jarFor(cookie)

        const status = yield* harness.sessions.read(jar)

        assert.deepStrictEqual(status, { _tag: "Invalid", reason }, reason)
        assert.deepStrictEqual(jar.setCookieHeaders(), [], reason)
      }
    })
  )

  Vitest.effect("read ignores case-variant names", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { token } = yield* start(harness)
      const variants = ["__host-seshat", "__HOST-seshat", "__Host-Seshat"]

      for (const name of variants) {
        const status = yield* harness.sessions.read(jarFor(`${name}=${token}`))

        assert.deepStrictEqual(status, { _tag: "Absent" }, name)
      }
    })
  )

  Vitest.effect("read ignores a token in the query", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { token } = yield* start(harness)
      const jar = WebCookies.fromRequest(new Request(`https://app.example/?session=${token}&${cookieName}=${token}`))

      const status = yield* harness.sessions.read(jar)

      assert.deepStrictEqual(status, { _tag: "Absent" })
    })
  )
})

describe("Sessions.refresh", () => {
  Vitest.effect("refresh renews a due session", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      yield* TestClock.setTime(renewal)
      const jar = jarFor(cookie)

      const status = yield* harness.sessions.refresh(jar)

      assert.strictEqual(status._tag, "Active")
      assert.strictEqual((status as Extract<Sessions.Status<Data>, { _tag: "Active" }>).session.lastActivityAt, renewal)
      assert.strictEqual(harness.spy.calls.update, 1)
      assert.strictEqual(tokenIn(cookieFrom(jar)), token)
    })
  )

  Vitest.effect("refresh leaves an expired record and its cookie", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token, session } = yield* start(harness)
      const writesBefore = harness.spy.writes()
      yield* TestClock.setTime(idle)
      const jar = jarFor(cookie)

      const status = yield* harness.sessions.refresh(jar)
      const later = yield* harness.sessions.read(jarFor(cookie))

      assert.deepStrictEqual(status, { _tag: "Expired", reason: "idle", sessionId: session.id })
      assert.deepStrictEqual(later, { _tag: "Expired", reason: "idle", sessionId: session.id })
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      assert.isAbove(harness.spy.writes(), writesBefore)
      assert.isTrue(Option.isNone(yield* stored(harness, token)))
    })
  )

  Vitest.effect("refresh leaves the expiry log to the handler", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      yield* captureLogs(
        Effect.gen(function* () {
          const harness = yield* setup()
          const { cookie } = yield* start(harness)
          yield* TestClock.setTime(idle)

          yield* harness.sessions.refresh(jarFor(cookie))
          yield* harness.sessions.read(jarFor(cookie))
        }),
        lines
      )

      assert.strictEqual(lines.filter((line) => line.includes("session expired")).length, 1)
    })
  )

  Vitest.effect("refresh never creates a session", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const jars = [jarFor(), jarFor(`${cookieName}=${unknownToken}`), jarFor(`${cookieName}=junk`)]

      const statuses = yield* Effect.forEach(jars, harness.sessions.refresh)

      assert.deepStrictEqual(
        statuses.map((status) => status._tag),
        ["Absent", "Invalid", "Invalid"]
      )
      assert.strictEqual(harness.spy.writes(), 0)
      for (const jar of jars) assert.deepStrictEqual(jar.setCookieHeaders(), [])
    })
  )
})

describe("Sessions jar scope", () => {
  Vitest.effect("jars of one scope share the loaded session", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      const request = {}
      const viewer = { ...jarFor(cookie, { writable: false }), scope: request }
      const writer = { ...jarFor(cookie), scope: request }

      yield* harness.sessions.read(viewer)
      yield* harness.sessions.update(writer, (data) => ({ ...data, visits: data.visits + 1 }))
      const status = yield* harness.sessions.read(viewer)

      assert.strictEqual(status._tag, "Active")
      assert.strictEqual((status as Extract<Sessions.Status<Data>, { _tag: "Active" }>).session.data.visits, 1)
      assert.strictEqual(harness.spy.calls.get, 1)
    })
  )
})

describe("Sessions.get", () => {
  Vitest.effect("get fails NoSession for each reason", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { token } = yield* start(harness)
      const corruptToken = canonicalToken()
      yield* seed(harness, corruptToken, "{}")
      const cases = [
        [undefined, "absent"],
        [`${cookieName}=${token.slice(1)}`, "malformed"],
        [`${cookieName}=${unknownToken}`, "unknown"],
        [`${cookieName}=${token}; ${cookieName}=${unknownToken}`, "ambiguous"],
        [`${cookieName}=${corruptToken}`, "corrupt"]
      ] as const

      for (const [cookie, reason] of cases) {
        const error = yield* Effect.flip(harness.sessions.get(jarFor(cookie)))

        assert.instanceOf(error, NoSession, reason)
        assert.strictEqual((error as NoSession).reason, reason)
      }
    })
  )

  Vitest.effect("get idle expiry boundary", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token, session } = yield* start(harness)

      yield* TestClock.setTime(idle - 1)
      const before = yield* harness.sessions.get(jarFor(cookie, { writable: false }))
      yield* TestClock.setTime(idle)
      const error = yield* Effect.flip(harness.sessions.get(jarFor(cookie)))

      assert.strictEqual(before.id, session.id)
      assert.instanceOf(error, SessionExpired)
      assert.strictEqual((error as SessionExpired).reason, "idle")
      assert.strictEqual((error as SessionExpired).sessionId, session.id)
      assert.isTrue(Option.isNone(yield* stored(harness, token)))
    })
  )

  Vitest.effect("get absolute expiry boundary", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token, session } = yield* start(harness)
      for (let now = 20 * minute; now < absolute; now += 20 * minute) {
        yield* TestClock.setTime(now)
        yield* harness.sessions.get(jarFor(cookie))
      }

      yield* TestClock.setTime(absolute - 1)
      const before = yield* harness.sessions.get(jarFor(cookie, { writable: false }))
      yield* TestClock.setTime(absolute)
      const error = yield* Effect.flip(harness.sessions.get(jarFor(cookie)))

      assert.strictEqual(before.absoluteExpiresAt, absolute)
      assert.instanceOf(error, SessionExpired)
      assert.strictEqual((error as SessionExpired).reason, "absolute")
      assert.strictEqual((error as SessionExpired).sessionId, session.id)
      assert.isTrue(Option.isNone(yield* stored(harness, token)))
    })
  )

  Vitest.effect("held jar idle boundary", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, session } = yield* start(harness)
      const early = jarFor(cookie, { writable: false })
      const held = jarFor(cookie)
      yield* harness.sessions.get(early)
      yield* harness.sessions.get(held)

      yield* TestClock.setTime(idle - 1)
      const before = yield* harness.sessions.get(early)
      yield* TestClock.setTime(idle)
      const error = yield* Effect.flip(harness.sessions.get(held))
      const later = yield* harness.sessions.read(jarFor(cookie))

      assert.strictEqual(before.id, session.id)
      assert.instanceOf(error, SessionExpired)
      assert.strictEqual((error as SessionExpired).reason, "idle")
      assert.notStrictEqual(later._tag, "Active")
      assert.deepStrictEqual(held.setCookieHeaders(), [])
    })
  )

  Vitest.effect("held jar past absolute is expired", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      const held = jarFor(cookie)
      for (let now = 0; now < absolute; now += 20 * minute) {
        yield* TestClock.setTime(now)
        yield* harness.sessions.get(held)
      }

      yield* TestClock.setTime(absolute)
      const error = yield* Effect.flip(harness.sessions.update(held, (data) => ({ ...data, visits: 1 })))

      assert.instanceOf(error, SessionExpired)
      assert.strictEqual((error as SessionExpired).reason, "absolute")
    })
  )

  Vitest.effect("get after store retention is unknown", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      yield* TestClock.setTime(idle + hour)

      const error = yield* Effect.flip(harness.sessions.get(jarFor(cookie, { writable: false })))

      assert.instanceOf(error, NoSession)
      assert.strictEqual((error as NoSession).reason, "unknown")
    })
  )
})

describe("Sessions.ensure", () => {
  Vitest.effect("ensure creates a session", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const jar = jarFor()

      const session = yield* harness.sessions.ensure(jar)
      const token = tokenIn(cookieFrom(jar))

      assert.strictEqual(session.origin, "created")
      assert.isUndefined(session.replaced)
      assert.deepStrictEqual(session.data, initial())
      assert.isTrue(Token.isWellFormed(token))
      assert.strictEqual(harness.spy.calls.insert, 1)
      assert.isTrue(Option.isSome(yield* stored(harness, token)))
      assert.strictEqual(session.createdAt, 0)
      assert.strictEqual(session.idleExpiresAt, idle)
      assert.strictEqual(session.absoluteExpiresAt, absolute)
    })
  )

  Vitest.effect("ensure sets a secure cookie", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const jar = jarFor()

      yield* harness.sessions.ensure(jar)
      const header = jar.setCookieHeaders()[0]!

      assert.match(header, /^__Host-seshat=[A-Za-z0-9_-]{43}; /)
      assert.include(header, `Max-Age=${idle / 1000}`)
      assert.include(header, "Path=/")
      assert.include(header, "HttpOnly")
      assert.include(header, "Secure")
      assert.include(header, "SameSite=Lax")
      assert.notInclude(header, "Domain")
    })
  )

  Vitest.effect("ensure resumes a valid session", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, session: created } = yield* start(harness)
      const jar = jarFor(cookie)

      const session = yield* harness.sessions.ensure(jar)

      assert.strictEqual(session.id, created.id)
      assert.strictEqual(session.origin, "resumed")
      assert.strictEqual(harness.spy.calls.insert, 1)
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
    })
  )

  Vitest.effect("ensure twice sets one cookie", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const jar = jarFor()

      const first = yield* harness.sessions.ensure(jar)
      const second = yield* harness.sessions.ensure(jar)

      assert.strictEqual(first.id, second.id)
      assert.strictEqual(harness.spy.calls.insert, 1)
      assert.strictEqual(jar.setCookieHeaders().length, 1)
    })
  )

  Vitest.effect("ensure replaces an expired session", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token, session: old } = yield* start(harness)
      yield* TestClock.setTime(idle)
      const jar = jarFor(cookie)

      const session = yield* harness.sessions.ensure(jar)
      const replacement = tokenIn(cookieFrom(jar))

      assert.strictEqual(session.origin, "replaced")
      assert.strictEqual(session.replaced, "idle")
      assert.notStrictEqual(session.id, old.id)
      assert.notStrictEqual(replacement, token)
      assert.isTrue(Option.isNone(yield* stored(harness, token)))
      assert.isTrue(Option.isSome(yield* stored(harness, replacement)))
    })
  )

  Vitest.effect("ensure never reuses a presented token", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { token: live } = yield* start(harness)
      const presented = [
        [unknownToken, "unknown"],
        ["short", "malformed"],
        [`${live}; ${cookieName}=${live}`, "ambiguous"]
      ] as const

      for (const [value, reason] of presented) {
        const jar = jarFor(`${cookieName}=${value}`)

        const session = yield* harness.sessions.ensure(jar)
        const token = tokenIn(cookieFrom(jar))

        assert.strictEqual(session.replaced, reason)
        assert.notStrictEqual(token, unknownToken, reason)
        assert.notStrictEqual(token, live, reason)
      }
      assert.isTrue(Option.isNone(yield* stored(harness, unknownToken)))
    })
  )

  Vitest.effect("ensure with oversized initial data fails", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const sessions = yield* Sessions.make({
        schema: Data,
        initial: () => ({ ...initial(), note: "x".repeat(300) }),
        policy: { ...policy, maxSize: 256 }
      }).pipe(Effect.provideService(SessionStore, harness.spy.store), Effect.provide(Token.layerTest()))
      const jar = jarFor()

      const error = yield* Effect.flip(sessions.ensure(jar))

      assert.instanceOf(error, SessionTooLarge)
      assert.strictEqual(harness.spy.calls.insert, 0)
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
    })
  )

  Vitest.effect("ensure in a read-only jar fails", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const jar = jarFor(undefined, { writable: false })

      const error = yield* Effect.flip(harness.sessions.ensure(jar))

      assert.instanceOf(error, CookieNotWritable)
      assert.strictEqual(harness.spy.writes(), 0)
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
    })
  )

  Vitest.effect("ensure read-only resumes a valid session", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, session: created } = yield* start(harness)
      const jar = jarFor(cookie, { writable: false })

      const session = yield* harness.sessions.ensure(jar)

      assert.strictEqual(session.id, created.id)
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
    })
  )

  Vitest.effect("ensure retries a key collision", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const existing = yield* start(harness)
      // A second service over the same store whose generator repeats the first token once.
      const repeating = Token.make((size) =>
        size === Token.TOKEN_BYTES && harness.spy.calls.insert < 2
          ? Buffer.from(existing.token, "base64url")
          : randomBytes(size)
      )
      const sessions = yield* Sessions.make({ schema: Data, initial }).pipe(
        Effect.provideService(Token.TokenGenerator, repeating),
        Effect.provideService(SessionStore, harness.spy.store)
      )
      const jar = jarFor()

      const session = yield* sessions.ensure(jar)
      const original = yield* stored(harness, existing.token)

      assert.notStrictEqual(tokenIn(cookieFrom(jar)), existing.token)
      assert.notStrictEqual(session.id, existing.session.id)
      assert.strictEqual(harness.spy.calls.insert, 3)
      assert.isTrue(Option.isSome(original))
      assert.include(Option.getOrThrow(original).value, existing.session.id)
    })
  )
})

describe("Sessions.update", () => {
  Vitest.effect("update saves the data", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      yield* TestClock.adjust(1000)
      const jar = jarFor(cookie)

      const session = yield* harness.sessions.update(jar, (data) => ({ ...data, visits: data.visits + 1 }))
      const reloaded = yield* harness.sessions.get(jarFor(cookie))

      assert.strictEqual(session.data.visits, 1)
      assert.strictEqual(reloaded.data.visits, 1)
      assert.strictEqual(reloaded.lastActivityAt, 0)
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
    })
  )

  Vitest.effect("update with renewal due sets the cookie", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      yield* TestClock.setTime(renewal)
      const jar = jarFor(cookie)

      const session = yield* harness.sessions.update(jar, (data) => ({ ...data, theme: "dark" }))

      assert.strictEqual(session.lastActivityAt, renewal)
      assert.strictEqual(session.idleExpiresAt, renewal + idle)
      assert.strictEqual(harness.spy.calls.update, 1)
      assert.strictEqual(tokenIn(cookieFrom(jar)), token)
    })
  )

  Vitest.effect("update without a session fails", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const calls: Array<Data> = []

      const error = yield* Effect.flip(
        harness.sessions.update(jarFor(), (data) => {
          calls.push(data)
          return data
        })
      )

      assert.instanceOf(error, NoSession)
      assert.strictEqual((error as NoSession).reason, "absent")
      assert.strictEqual(calls.length, 0)
      assert.strictEqual(harness.spy.writes(), 0)
    })
  )

  Vitest.effect("update of an expired session fails", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, session } = yield* start(harness)
      yield* TestClock.setTime(idle)

      const error = yield* Effect.flip(harness.sessions.update(jarFor(cookie), (data) => data))

      assert.instanceOf(error, SessionExpired)
      assert.strictEqual((error as SessionExpired).reason, "idle")
      assert.strictEqual((error as SessionExpired).sessionId, session.id)
      assert.strictEqual(harness.spy.calls.update, 0)
    })
  )

  Vitest.effect("update in a read-only jar fails", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      const before = yield* stored(harness, token)

      const error = yield* Effect.flip(
        harness.sessions.update(jarFor(cookie, { writable: false }), (data) => ({ ...data, visits: 5 }))
      )

      assert.instanceOf(error, CookieNotWritable)
      assert.strictEqual(harness.spy.calls.update, 0)
      assert.deepStrictEqual(yield* stored(harness, token), before)
    })
  )

  Vitest.effect("update rejects data the Schema cannot encode", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)

      const error = yield* Effect.flip(
        harness.sessions.update(jarFor(cookie), (data) => ({ ...data, visits: "many" as unknown as number }))
      )

      assert.instanceOf(error, InvalidSessionData)
      assert.strictEqual(harness.spy.calls.update, 0)
    })
  )

  Vitest.effect("concurrent updates lose nothing", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      const first = jarFor(cookie)
      const second = jarFor(cookie)
      yield* harness.sessions.get(first)
      yield* harness.sessions.get(second)
      let secondRuns = 0

      yield* harness.sessions.update(first, (data) => ({ ...data, theme: "dark" }))
      const merged = yield* harness.sessions.update(second, (data) => {
        secondRuns++
        return { ...data, visits: data.visits + 1 }
      })
      const reloaded = yield* harness.sessions.get(jarFor(cookie))

      assert.strictEqual(secondRuns, 2)
      assert.strictEqual(merged.data.theme, "dark")
      assert.strictEqual(merged.data.visits, 1)
      assert.deepStrictEqual(reloaded.data, { ...initial(), theme: "dark", visits: 1 })
    })
  )

  Vitest.effect("concurrent renewal keeps the update", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      const writer = jarFor(cookie)
      yield* harness.sessions.get(writer)
      yield* TestClock.setTime(renewal)
      yield* harness.sessions.read(jarFor(cookie))

      const updated = yield* harness.sessions.update(writer, (data) => ({ ...data, note: "kept" }))
      const reloaded = yield* harness.sessions.get(jarFor(cookie))

      assert.strictEqual(updated.data.note, "kept")
      assert.strictEqual(reloaded.data.note, "kept")
      assert.strictEqual(reloaded.lastActivityAt, renewal)
      assert.strictEqual(reloaded.idleExpiresAt, renewal + idle)
    })
  )

  Vitest.effect("parallel updates lose nothing", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      const jars = Array.from({ length: 4 }, () => jarFor(cookie))
      yield* Effect.forEach(jars, (jar) => harness.sessions.get(jar))

      yield* Effect.forEach(
        jars,
        (jar) => harness.sessions.update(jar, (data) => ({ ...data, visits: data.visits + 1 })),
        {
          concurrency: "unbounded"
        }
      )
      const reloaded = yield* harness.sessions.get(jarFor(cookie))

      assert.strictEqual(reloaded.data.visits, 4)
    })
  )

  Vitest.effect("update gives up after max attempts", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token, session } = yield* start(harness)
      // Another writer bumps the version just before each of this request's writes.
      harness.spy.beforeUpdate = (next) =>
        Effect.gen(function* () {
          const current = Option.getOrThrow(yield* harness.spy.inner.get(next.key))
          yield* harness.spy.inner.update({ ...current, version: current.version + 1 })
        })
      let runs = 0

      const error = yield* Effect.flip(
        harness.sessions.update(jarFor(cookie), (data) => {
          runs++
          return { ...data, note: "lost" }
        })
      )
      const record = Option.getOrThrow(yield* stored(harness, token))

      assert.instanceOf(error, SessionConflict)
      assert.strictEqual((error as SessionConflict).attempts, 10)
      assert.strictEqual((error as SessionConflict).sessionId, session.id)
      assert.strictEqual(runs, 10)
      assert.strictEqual(harness.spy.calls.update, 10)
      assert.notInclude(record.value, "lost")
    })
  )

  Vitest.effect("ten concurrent updates all land", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      // Each write waits a turn first, so every request reads the record before any of them writes.
      harness.spy.beforeUpdate = () => Effect.yieldNow
      const jars = Array.from({ length: 10 }, () => jarFor(cookie))

      yield* Effect.forEach(
        jars,
        (jar) => harness.sessions.update(jar, (data) => ({ ...data, visits: data.visits + 1 })),
        {
          concurrency: "unbounded"
        }
      )
      const record = Option.getOrThrow(yield* stored(harness, token))

      assert.include(record.value, '"visits":10')
      assert.isAbove(harness.spy.calls.update, 10)
    })
  )

  Vitest.effect("update honours maxUpdateAttempts", () =>
    Effect.gen(function* () {
      const harness = yield* setup({ policy: { maxUpdateAttempts: 1 } })
      const { cookie } = yield* start(harness)
      harness.spy.beforeUpdate = (next) =>
        Effect.gen(function* () {
          const current = Option.getOrThrow(yield* harness.spy.inner.get(next.key))
          yield* harness.spy.inner.update({ ...current, version: current.version + 1 })
        })

      const error = yield* Effect.flip(harness.sessions.update(jarFor(cookie), (data) => data))

      assert.instanceOf(error, SessionConflict)
      assert.strictEqual((error as SessionConflict).attempts, 1)
      assert.strictEqual(harness.spy.calls.update, 1)
    })
  )

  Vitest.effect("update after concurrent destroy is gone", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token, session } = yield* start(harness)
      const holder = jarFor(cookie)
      yield* harness.sessions.get(holder)
      yield* harness.sessions.destroy(jarFor(cookie))

      const error = yield* Effect.flip(harness.sessions.update(holder, (data) => ({ ...data, visits: 9 })))
      const again = yield* Effect.flip(harness.sessions.update(holder, (data) => ({ ...data, visits: 9 })))

      assert.instanceOf(error, SessionGone)
      assert.strictEqual((error as SessionGone).sessionId, session.id)
      assert.instanceOf(again, NoSession)
      assert.isTrue(Option.isNone(yield* stored(harness, token)))
      assert.strictEqual(harness.spy.calls.insert, 1)
      assert.deepStrictEqual(holder.setCookieHeaders(), [])
    })
  )

  Vitest.effect("renewal after concurrent destroy is absent", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      const holder = jarFor(cookie)
      yield* harness.sessions.read(holder)
      yield* harness.sessions.destroy(jarFor(cookie))
      yield* TestClock.setTime(renewal)

      const status = yield* harness.sessions.read(holder)

      assert.deepStrictEqual(status, { _tag: "Absent" })
      assert.isTrue(Option.isNone(yield* stored(harness, token)))
      assert.deepStrictEqual(holder.setCookieHeaders(), [])
    })
  )

  Vitest.effect("update at maxSize saves, one byte more fails", () =>
    Effect.gen(function* () {
      const maxSize = 512
      const harness = yield* setup({ policy: { maxSize } })
      const { cookie, token } = yield* start(harness)
      const base = Option.getOrThrow(yield* stored(harness, token)).value.length
      // Four-byte, two-byte and one-byte characters, so the size counts UTF-8 bytes, not string length.
      const room = maxSize - base
      const note = `${"😀".repeat(Math.floor(room / 4) - 1)}é${"x".repeat((room % 4) + 2)}`

      yield* harness.sessions.update(jarFor(cookie), (data) => ({ ...data, note }))
      const atLimit = Option.getOrThrow(yield* stored(harness, token))
      const error = yield* Effect.flip(
        harness.sessions.update(jarFor(cookie), (data) => ({ ...data, note: `${note}x` }))
      )
      const after = Option.getOrThrow(yield* stored(harness, token))

      assert.strictEqual(new TextEncoder().encode(atLimit.value).byteLength, maxSize)
      assert.instanceOf(error, SessionTooLarge)
      assert.strictEqual((error as SessionTooLarge).size, maxSize + 1)
      assert.strictEqual((error as SessionTooLarge).maxSize, maxSize)
      assert.deepStrictEqual(after, atLimit)
    })
  )

  Vitest.effect("update too large sends no cookie", () =>
    Effect.gen(function* () {
      const harness = yield* setup({ policy: { maxSize: 256 } })
      const { cookie } = yield* start(harness)
      yield* TestClock.setTime(renewal)
      const jar = jarFor(cookie, {})

      const error = yield* Effect.flip(harness.sessions.update(jar, (data) => ({ ...data, note: "x".repeat(300) })))

      assert.instanceOf(error, SessionTooLarge)
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      assert.strictEqual(harness.spy.calls.update, 0)
    })
  )
})

describe("Sessions.destroy", () => {
  Vitest.effect("destroy deletes then clears", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      const jar = jarFor(cookie)

      yield* harness.sessions.destroy(jar)
      const header = jar.setCookieHeaders()[0]!
      const replay = yield* harness.sessions.read(jarFor(cookie))

      assert.strictEqual(jar.setCookieHeaders().length, 1)
      assert.match(header, /^__Host-seshat=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=\/; /)
      assert.isTrue(Option.isNone(yield* stored(harness, token)))
      assert.deepStrictEqual(replay, { _tag: "Invalid", reason: "unknown" })
    })
  )

  Vitest.effect("destroy without a cookie sends nothing", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const jars = Array.from({ length: 1000 }, () => jarFor())

      yield* Effect.forEach(jars, (jar) => harness.sessions.destroy(jar))

      assert.isTrue(jars.every((jar) => jar.setCookieHeaders().length === 0))
      assert.strictEqual(harness.spy.calls.get, 0)
      assert.strictEqual(harness.spy.writes(), 0)
    })
  )

  Vitest.effect("destroy of an unknown token clears only the cookie", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const jar = jarFor(`${cookieName}=${unknownToken}`)

      yield* harness.sessions.destroy(jar)

      assert.strictEqual(jar.setCookieHeaders().length, 1)
      assert.include(jar.setCookieHeaders()[0]!, "Max-Age=0")
      assert.strictEqual(harness.spy.writes(), 0)
    })
  )

  Vitest.effect("destroy uses the configured Path and Domain", () =>
    Effect.gen(function* () {
      const harness = yield* setup({
        policy: { cookie: { name: "sid", path: "/app", domain: "app.example" } }
      })
      const created = jarFor()
      yield* harness.sessions.ensure(created)
      const jar = jarFor(cookieFrom(created))

      yield* harness.sessions.destroy(jar)

      assert.match(jar.setCookieHeaders()[0]!, /^sid=; Max-Age=0; Expires=[^;]+; Path=\/app; Domain=app\.example; /)
    })
  )

  Vitest.effect("destroy then ensure sets one cookie", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      const jar = jarFor(cookie)

      yield* harness.sessions.destroy(jar)
      const session = yield* harness.sessions.ensure(jar)
      const replacement = tokenIn(cookieFrom(jar))

      assert.strictEqual(session.origin, "created")
      assert.notStrictEqual(replacement, token)
      assert.isTrue(Option.isNone(yield* stored(harness, token)))
      assert.isTrue(Option.isSome(yield* stored(harness, replacement)))
    })
  )

  Vitest.effect("destroy in a read-only jar fails", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)

      const error = yield* Effect.flip(harness.sessions.destroy(jarFor(cookie, { writable: false })))

      assert.instanceOf(error, CookieNotWritable)
      assert.isTrue(Option.isSome(yield* stored(harness, token)))
    })
  )
})

describe("Sessions store outage", () => {
  Vitest.effect("outage warning names the cause once per interval", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      yield* captureLogs(
        Effect.gen(function* () {
          const harness = yield* setup()
          const { cookie } = yield* start(harness)
          harness.spy.faults.set("get", "fail")
          for (let i = 0; i < 5; i++) yield* Effect.flip(harness.sessions.read(jarFor(cookie)))
          yield* TestClock.adjust("10 seconds")
          yield* Effect.flip(harness.sessions.read(jarFor(cookie)))
        }),
        lines
      )

      const warnings = lines
        .filter((line) => line.includes("session store unavailable"))
        .map((line) => JSON.parse(line))
      assert.strictEqual(warnings.length, 2)
      assert.strictEqual(warnings[0].annotations.cause, "connection refused")
      assert.strictEqual(warnings[0].annotations.failures, 1)
      assert.strictEqual(warnings[1].annotations.failures, 5)
    })
  )

  Vitest.effect("failing get fails every operation", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      const writesBefore = harness.spy.writes()
      harness.spy.faults.set("get", "fail")
      const operations = {
        read: (jar: WebCookies.WebCookieJar) => harness.sessions.read(jar),
        get: (jar: WebCookies.WebCookieJar) => harness.sessions.get(jar),
        ensure: (jar: WebCookies.WebCookieJar) => harness.sessions.ensure(jar),
        update: (jar: WebCookies.WebCookieJar) => harness.sessions.update(jar, (data) => data),
        destroy: (jar: WebCookies.WebCookieJar) => harness.sessions.destroy(jar)
      }

      for (const [name, operation] of Object.entries(operations)) {
        const jar = jarFor(cookie)

        const error = yield* Effect.flip(operation(jar))

        assert.instanceOf(error, StoreUnavailable, name)
        assert.strictEqual((error as StoreUnavailable).operation, "get", name)
        assert.deepStrictEqual(jar.setCookieHeaders(), [], name)
      }
      assert.strictEqual(harness.spy.writes(), writesBefore)
      assert.isTrue(Option.isSome(yield* stored(harness, token)))
    })
  )

  Vitest.effect("failing insert mints nothing", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      harness.spy.faults.set("insert", "fail")
      const jar = jarFor()

      const error = yield* Effect.flip(harness.sessions.ensure(jar))

      assert.instanceOf(error, StoreUnavailable)
      assert.strictEqual((error as StoreUnavailable).operation, "insert")
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      assert.isTrue(Option.isNone(yield* harness.spy.inner.get(harness.spy.written[0]!.key)))
    })
  )

  Vitest.effect("failing update keeps the record", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      const before = yield* stored(harness, token)
      harness.spy.faults.set("update", "fail")
      yield* TestClock.setTime(renewal)
      const jar = jarFor(cookie)

      const error = yield* Effect.flip(harness.sessions.update(jar, (data) => ({ ...data, visits: 1 })))

      assert.instanceOf(error, StoreUnavailable)
      assert.strictEqual((error as StoreUnavailable).operation, "update")
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      assert.deepStrictEqual(yield* stored(harness, token), before)
    })
  )

  Vitest.effect("failing renewal sends no cookie", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      harness.spy.faults.set("update", "fail")
      yield* TestClock.setTime(renewal)
      const jar = jarFor(cookie)

      // The session loaded, so the request is served; only its renewal waits for the next request.
      const status = yield* harness.sessions.read(jar)

      assert.strictEqual(status._tag, "Active")
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
    })
  )

  Vitest.effect("failing delete keeps the cookie", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      harness.spy.faults.set("delete", "fail")
      const jar = jarFor(cookie)

      const error = yield* Effect.flip(harness.sessions.destroy(jar))

      assert.instanceOf(error, StoreUnavailable)
      assert.strictEqual((error as StoreUnavailable).operation, "delete")
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      assert.isTrue(Option.isSome(yield* stored(harness, token)))
    })
  )

  Vitest.effect("failing clean-up still reports expiry", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, session } = yield* start(harness)
      harness.spy.faults.set("delete", "fail")
      yield* TestClock.setTime(idle)

      const status = yield* harness.sessions.read(jarFor(cookie))

      assert.deepStrictEqual(status, { _tag: "Expired", reason: "idle", sessionId: session.id })
    })
  )

  Vitest.effect("hanging get times out", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      harness.spy.faults.set("get", "hang")
      const jar = jarFor(cookie)

      const fiber = yield* Effect.forkChild(Effect.flip(harness.sessions.ensure(jar)))
      yield* TestClock.adjust(storeTimeout - 1)
      const pending = fiber.pollUnsafe()
      yield* TestClock.adjust(1)
      const error = yield* Fiber.join(fiber)

      assert.isUndefined(pending)
      assert.instanceOf(error, StoreUnavailable)
      assert.strictEqual((error as StoreUnavailable).operation, "get")
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      assert.strictEqual(harness.spy.calls.insert, 1)
      assert.strictEqual(harness.spy.calls.delete, 0)
    })
  )

  Vitest.effect("hanging insert times out", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      harness.spy.faults.set("insert", "hang")
      const jar = jarFor()

      const fiber = yield* Effect.forkChild(Effect.flip(harness.sessions.ensure(jar)))
      yield* TestClock.adjust(storeTimeout - 1)
      const pending = fiber.pollUnsafe()
      yield* TestClock.adjust(1)
      const error = yield* Fiber.join(fiber)

      assert.isUndefined(pending)
      assert.instanceOf(error, StoreUnavailable)
      assert.strictEqual((error as StoreUnavailable).operation, "insert")
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      assert.isTrue(Option.isNone(yield* harness.spy.inner.get(harness.spy.written[0]!.key)))
    })
  )

  Vitest.effect("hanging delete keeps the cookie", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      harness.spy.faults.set("delete", "hang")
      const jar = jarFor(cookie)

      const fiber = yield* Effect.forkChild(Effect.flip(harness.sessions.destroy(jar)))
      yield* TestClock.adjust(storeTimeout)
      const error = yield* Fiber.join(fiber)

      assert.instanceOf(error, StoreUnavailable)
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      assert.isTrue(Option.isSome(yield* stored(harness, token)))
    })
  )
})

describe("Sessions corrupt records", () => {
  // Stored values that must decode as corrupt: junk text, and copies of a real record with one field broken.
  const corruptValues = (valid: Record<string, unknown>): Record<string, string> => ({
    notJson: "not json",
    empty: "",
    emptyObject: "{}",
    nullValue: "null",
    array: "[]",
    prototypeOnly: '{"__proto__":{"isAdmin":true}}',
    truncated: JSON.stringify(valid).slice(0, -5),
    userIdNumber: JSON.stringify({ ...valid, userId: 5 }),
    dataWrongType: JSON.stringify({ ...valid, data: { visits: "one", theme: "light", note: "" } }),
    dataMissing: JSON.stringify({ ...valid, data: undefined }),
    negativeTime: JSON.stringify({ ...valid, createdAt: -1 }),
    fractionalTime: JSON.stringify({ ...valid, lastActivityAt: 0.5 }),
    otherSessionId: JSON.stringify({ ...valid, id: "someone-else" }),
    futureCreatedAt: JSON.stringify({ ...valid, createdAt: 10 * hour }),
    blob: "x".repeat(10 * 1024 * 1024)
  })

  Vitest.effect("corrupt records are Invalid and deleted", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { token, session } = yield* start(harness)
      const valid = JSON.parse(Option.getOrThrow(yield* stored(harness, token)).value)

      for (const [name, value] of Object.entries(corruptValues(valid))) {
        const presented = canonicalToken()
        yield* seed(harness, presented, value, session.id)
        const jar = jarFor(`${cookieName}=${presented}`)

        const status = yield* harness.sessions.read(jar)

        assert.deepStrictEqual(status, { _tag: "Invalid", reason: "corrupt" }, name)
        assert.isTrue(Option.isNone(yield* stored(harness, presented)), name)
        assert.deepStrictEqual(jar.setCookieHeaders(), [], name)
        assert.isUndefined(emptyObject().isAdmin, name)
      }
    })
  )

  Vitest.effect("corrupt record gives NoSession corrupt", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const presented = canonicalToken()
      yield* seed(harness, presented, '{"__proto__":{"isAdmin":true}}')

      const error = yield* Effect.flip(harness.sessions.get(jarFor(`${cookieName}=${presented}`)))

      assert.instanceOf(error, NoSession)
      assert.strictEqual((error as NoSession).reason, "corrupt")
      assert.isUndefined(emptyObject().isAdmin)
      assert.isFalse(Object.hasOwn(Object.prototype, "isAdmin"))
    })
  )

  Vitest.effect("ensure replaces a corrupt record", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const presented = canonicalToken()
      yield* seed(harness, presented, "not json")
      const jar = jarFor(`${cookieName}=${presented}`)

      const session = yield* harness.sessions.ensure(jar)

      assert.strictEqual(session.replaced, "corrupt")
      assert.notStrictEqual(tokenIn(cookieFrom(jar)), presented)
      assert.isTrue(Option.isNone(yield* stored(harness, presented)))
    })
  )

  Vitest.effect("prototype keys in data stay inert", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { token, session } = yield* start(harness)
      const valid = Option.getOrThrow(yield* stored(harness, token)).value
      const hostile = valid.replace(
        '"data":{',
        '"data":{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}},'
      )
      const presented = canonicalToken()
      yield* seed(harness, presented, hostile, session.id)

      const loaded = yield* harness.sessions.get(jarFor(`${cookieName}=${presented}`))

      assert.include(hostile, "__proto__")
      assert.deepStrictEqual(Object.keys(loaded.data).sort(), ["note", "theme", "visits"])
      assert.isUndefined((loaded.data as Record<string, unknown>).isAdmin)
      assert.strictEqual(Object.getPrototypeOf(loaded.data), Object.prototype)
      assert.isUndefined(emptyObject().isAdmin)
    })
  )
})

describe("Sessions tokens", () => {
  Vitest.effect("malformed cookies never reach the store", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { token } = yield* start(harness)
      const values = [
        token.slice(0, 42),
        `${token}A`,
        `${token}=`,
        `${token.slice(0, 42)}B`,
        token.replaceAll("-", "+").replaceAll("_", "/").replace(/^./, "+"),
        `"${token.slice(0, 41)}"`,
        "%00",
        "a.b.c",
        "x".repeat(8192),
        "é".repeat(43)
      ]
      const getsBefore = harness.spy.calls.get

      for (const value of values) {
        const jar = jarFor(`${cookieName}=${value}`)

        const status = yield* harness.sessions.read(jar)

        assert.deepStrictEqual(status, { _tag: "Invalid", reason: "malformed" }, value.slice(0, 50))
        assert.deepStrictEqual(jar.setCookieHeaders(), [])
      }
      assert.strictEqual(harness.spy.calls.get, getsBefore)
      assert.strictEqual(harness.spy.writes(), 1)
    })
  )

  Vitest.effect("unknown tokens never create records", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const jars = Array.from({ length: 1000 }, () => jarFor(`${cookieName}=${canonicalToken()}`))

      const statuses = yield* Effect.forEach(jars, (jar) => harness.sessions.read(jar))
      const errors = yield* Effect.forEach(jars.slice(0, 100), (jar) => Effect.flip(harness.sessions.get(jar)))

      assert.isTrue(statuses.every((status) => status._tag === "Invalid" && status.reason === "unknown"))
      assert.isTrue(errors.every((error) => error._tag === "NoSession" && error.reason === "unknown"))
      assert.strictEqual(harness.spy.calls.get, 1000)
      assert.strictEqual(harness.spy.writes(), 0)
      assert.isTrue(jars.every((jar) => jar.setCookieHeaders().length === 0))
    })
  )

  Vitest.effect("store key as cookie is unknown", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { token } = yield* start(harness)

      const status = yield* harness.sessions.read(jarFor(`${cookieName}=${storeKeyOf(token)}`))

      assert.deepStrictEqual(status, { _tag: "Invalid", reason: "unknown" })
    })
  )

  Vitest.effect("raw token never reaches the store", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      const hex = Buffer.from(token, "base64url").toString("hex")
      yield* TestClock.setTime(renewal)
      yield* harness.sessions.update(jarFor(cookie), (data) => ({ ...data, note: "hello" }))
      yield* TestClock.setTime(2 * renewal)
      yield* harness.sessions.read(jarFor(cookie))
      yield* harness.sessions.destroy(jarFor(cookie))

      const seen = [
        ...harness.spy.keys,
        ...harness.spy.written.flatMap((session) => Object.values(session).map(String))
      ]

      assert.isAbove(harness.spy.written.length, 2)
      for (const text of seen) {
        assert.notInclude(text, token)
        assert.notInclude(text, hex)
      }
    })
  )

  Vitest.effect("token never appears in errors or logs", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const errors = yield* captureLogs(
        Effect.gen(function* () {
          const harness = yield* setup()
          const { cookie, token } = yield* start(harness)
          const found: Array<unknown> = []
          const holder = jarFor(cookie)
          yield* harness.sessions.get(holder)
          yield* harness.sessions.destroy(jarFor(cookie))
          found.push(yield* Effect.flip(harness.sessions.update(holder, (data) => data)))
          found.push(yield* Effect.flip(harness.sessions.get(jarFor(cookie))))
          const second = yield* start(harness)
          yield* TestClock.setTime(idle)
          found.push(yield* Effect.flip(harness.sessions.get(jarFor(second.cookie))))
          harness.spy.faults.set("get", "fail")
          found.push(yield* Effect.flip(harness.sessions.get(jarFor(cookie))))
          harness.spy.faults.set("get", "hang")
          const fiber = yield* Effect.forkChild(Effect.flip(harness.sessions.get(jarFor(cookie))))
          yield* TestClock.adjust(storeTimeout)
          found.push(yield* Fiber.join(fiber))
          return { found, tokens: [token, second.token] }
        }),
        lines
      )

      assert.isAbove(lines.length, 3)
      assert.strictEqual(errors.found.length, 5)
      for (const token of errors.tokens) {
        for (const error of errors.found) {
          assert.notInclude(String(error), token)
          assert.notInclude(JSON.stringify(error), token)
          assert.notInclude((error as Error).message, token)
        }
        for (const line of lines) assert.notInclude(line, token)
      }
    })
  )

  Vitest.effect("jar after a read prints no session", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token, session } = yield* start(harness)
      const jar = jarFor(cookie)
      const renewing = jarFor(cookie)

      yield* harness.sessions.read(jar)
      yield* TestClock.setTime(renewal)
      yield* harness.sessions.read(renewing)
      const printed = [jar, renewing].map((requestJar) =>
        inspect(requestJar, { depth: Number.POSITIVE_INFINITY, showHidden: true, getters: true })
      )

      assert.strictEqual(renewing.setCookieHeaders().length, 1)
      for (const text of printed) {
        assert.include(text, "RequestSlot(Active)")
        assert.notInclude(text, token)
        assert.notInclude(text, session.id)
      }
    })
  )

  Vitest.effect("session value holds no token", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)

      const session = yield* harness.sessions.get(jarFor(cookie))
      const status = yield* harness.sessions.read(jarFor(cookie))

      assert.notInclude(JSON.stringify(session), token)
      assert.notInclude(JSON.stringify(status), token)
      assert.notInclude(String(Object.values(session)), token)
    })
  )
})
