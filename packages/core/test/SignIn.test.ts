import { Vitest } from "@seshat/core/testing"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { TestClock } from "effect/testing"
import { assert, describe } from "vitest"
import { cookieFrom, type Harness, hour, jarFor, minute, setup, storeKeyOf, tokenIn } from "./fixtures.js"

// Starts an anonymous session and returns its Cookie header and token.
const start = (harness: Harness) =>
  Effect.gen(function* () {
    const jar = jarFor()
    yield* harness.sessions.ensure(jar)
    const cookie = cookieFrom(jar)
    return { cookie, token: tokenIn(cookie) }
  })

// Signs a new browser in as `userId` and returns its Cookie header.
const signIn = (harness: Harness, userId: string) =>
  Effect.gen(function* () {
    const jar = jarFor()
    yield* harness.sessions.login(jar, userId)
    return cookieFrom(jar)
  })

const isLive = (harness: Harness, cookie: string) =>
  Effect.map(harness.sessions.read(jarFor(cookie, { writable: false })), (status) => status._tag === "Active")

describe("Sessions.login", () => {
  Vitest.effect("login rotates and keeps anonymous data", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const before = yield* start(harness)
      yield* harness.sessions.update(jarFor(before.cookie), (data) => ({ ...data, note: "cart: book" }))

      const jar = jarFor(before.cookie)
      const session = yield* harness.sessions.login(jar, "alice")
      const after = cookieFrom(jar)
      const oldRecord = yield* harness.spy.inner.get(storeKeyOf(before.token))
      const oldStatus = yield* harness.sessions.read(jarFor(before.cookie))

      assert.notStrictEqual(tokenIn(after), before.token)
      assert.strictEqual(session.userId, "alice")
      assert.strictEqual(session.data.note, "cart: book")
      assert.strictEqual(session.authenticatedAt, 0)
      assert.isTrue(Option.isNone(oldRecord))
      assert.strictEqual(oldStatus._tag, "Invalid")
    })
  )

  Vitest.effect("login as another user clears data", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const alice = yield* signIn(harness, "alice")
      const first = yield* harness.sessions.update(jarFor(alice), (data) => ({ ...data, note: "alice's" }))

      const jar = jarFor(alice)
      const session = yield* harness.sessions.login(jar, "bob")

      assert.strictEqual(session.userId, "bob")
      assert.strictEqual(session.data.note, "")
      assert.notStrictEqual(session.id, first.id)
      assert.isFalse(yield* isLive(harness, alice))
    })
  )

  Vitest.effect("login without a session creates one", () =>
    Effect.gen(function* () {
      const harness = yield* setup()

      const jar = jarFor()
      const session = yield* harness.sessions.login(jar, "alice")

      assert.strictEqual(session.origin, "created")
      assert.strictEqual(session.userId, "alice")
      assert.strictEqual(jar.setCookieHeaders().length, 1)
    })
  )

  Vitest.effect("login restarts the absolute deadline", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const alice = yield* signIn(harness, "alice")
      // Activity every 20 minutes keeps the session within its 30-minute idle timeout.
      for (let i = 0; i < 30; i++) {
        yield* TestClock.adjust(20 * minute)
        yield* harness.sessions.read(jarFor(alice))
      }

      const session = yield* harness.sessions.login(jarFor(alice), "alice")

      assert.strictEqual(session.origin, "resumed")
      assert.strictEqual(session.createdAt, 0)
      assert.strictEqual(session.absoluteExpiresAt, 10 * hour + 12 * hour)
      assert.strictEqual(session.authenticatedAt, 10 * hour)
    })
  )

  Vitest.effect("concurrent logins both sign in", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie, token } = yield* start(harness)
      const jars = [jarFor(cookie), jarFor(cookie)]
      // Both requests load the session before either rotates it.
      yield* Effect.forEach(jars, (jar) => harness.sessions.get(jar))

      const sessions = yield* Effect.all(
        jars.map((jar) => harness.sessions.login(jar, "alice")),
        { concurrency: "unbounded" }
      )
      const tokens = jars.map((jar) => tokenIn(cookieFrom(jar)))
      const listed = yield* harness.sessions.listByUser("alice")
      const old = yield* harness.spy.inner.get(storeKeyOf(token))

      assert.deepStrictEqual(
        sessions.map((session) => session.origin),
        ["resumed", "created"]
      )
      assert.notStrictEqual(tokens[0], tokens[1])
      assert.strictEqual(listed.length, 2)
      assert.isTrue(Option.isNone(old))
      for (const next of tokens) assert.isTrue(yield* isLive(harness, `__Host-seshat=${next}`))
    })
  )

  Vitest.effect("login keeps the session when the new record cannot be written", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const before = yield* start(harness)
      harness.spy.faults.set("insert", "fail")

      const jar = jarFor(before.cookie)
      const error = yield* Effect.flip(harness.sessions.login(jar, "alice"))

      assert.strictEqual(error._tag, "StoreUnavailable")
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      // The failed insert may still land on a store that timed out, so a delete of it follows.
      assert.strictEqual(harness.spy.calls.delete, 1)
      assert.notStrictEqual(harness.spy.keys.at(-1), storeKeyOf(before.token))
      harness.spy.faults.clear()
      assert.isTrue(yield* isLive(harness, before.cookie))
    })
  )

  Vitest.effect("login after a concurrent update leaves one new record", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const before = yield* start(harness)
      const jar = jarFor(before.cookie)
      yield* harness.sessions.get(jar)
      // Another request changes the session after this one loaded it, so the first rotation attempt
      // writes its new record, loses the versioned delete, and must take that record back.
      yield* harness.sessions.update(jarFor(before.cookie), (data) => ({ ...data, note: "concurrent" }))

      const session = yield* harness.sessions.login(jar, "alice")
      const listed = yield* harness.sessions.listByUser("alice")

      assert.strictEqual(session.data.note, "concurrent")
      assert.strictEqual(listed.length, 1)
      assert.isFalse(yield* isLive(harness, before.cookie))
    })
  )

  Vitest.effect("login past the limit ends the oldest", () =>
    Effect.gen(function* () {
      const harness = yield* setup({ policy: { maxSessionsPerUser: 3 } })
      const cookies: Array<string> = []
      for (let i = 0; i < 5; i++) {
        cookies.push(yield* signIn(harness, "alice"))
        yield* TestClock.adjust(minute)
      }

      const live = yield* Effect.forEach(cookies, (cookie) => isLive(harness, cookie))
      const listed = yield* harness.sessions.listByUser("alice")

      assert.deepStrictEqual(live, [false, false, true, true, true])
      assert.strictEqual(listed.length, 3)
    })
  )

  Vitest.effect("login survives a failed eviction", () =>
    Effect.gen(function* () {
      const harness = yield* setup({ policy: { maxSessionsPerUser: 1 } })
      yield* signIn(harness, "alice")
      const before = yield* start(harness)
      harness.spy.faults.set("listByUser", "fail")

      const jar = jarFor(before.cookie)
      const session = yield* harness.sessions.login(jar, "alice")
      harness.spy.faults.clear()

      assert.strictEqual(session.userId, "alice")
      assert.isTrue(yield* isLive(harness, cookieFrom(jar)))
      assert.isFalse(yield* isLive(harness, before.cookie))
    })
  )

  Vitest.effect("login too large keeps the old session", () =>
    Effect.gen(function* () {
      const maxSize = 512
      const harness = yield* setup({ policy: { maxSize } })
      const before = yield* start(harness)
      const base = Option.getOrThrow(yield* harness.spy.inner.get(storeKeyOf(before.token))).value.length
      // Fills the anonymous record to the limit, so the user id that login adds no longer fits.
      yield* harness.sessions.update(jarFor(before.cookie), (data) => ({ ...data, note: "x".repeat(maxSize - base) }))
      const writesBefore = harness.spy.writes()

      const jar = jarFor(before.cookie)
      const error = yield* Effect.flip(harness.sessions.login(jar, "alice"))

      assert.strictEqual(error._tag, "SessionTooLarge")
      assert.strictEqual(harness.spy.writes(), writesBefore)
      assert.deepStrictEqual(jar.setCookieHeaders(), [])
      assert.isTrue(yield* isLive(harness, before.cookie))
    })
  )
})

describe("Sessions.rotate", () => {
  Vitest.effect("rotate keeps data and deadlines", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const alice = yield* signIn(harness, "alice")
      yield* TestClock.adjust(5 * minute)

      const jar = jarFor(alice)
      const session = yield* harness.sessions.rotate(jar)
      const rotated = cookieFrom(jar)

      assert.notStrictEqual(rotated, alice)
      assert.strictEqual(session.userId, "alice")
      assert.strictEqual(session.absoluteExpiresAt, 12 * hour)
      assert.strictEqual(session.authenticatedAt, 0)
      assert.isFalse(yield* isLive(harness, alice))
      assert.isTrue(yield* isLive(harness, rotated))
    })
  )

  Vitest.effect("rotate without a session fails", () =>
    Effect.gen(function* () {
      const harness = yield* setup()

      const result = yield* Effect.result(harness.sessions.rotate(jarFor()))

      assert.strictEqual(Result.isFailure(result) && result.failure._tag, "NoSession")
    })
  )
})

describe("Sessions.requireRecentAuth", () => {
  Vitest.effect("recent auth boundary", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const alice = yield* signIn(harness, "alice")

      yield* TestClock.adjust(5 * minute)
      const atLimit = yield* Effect.result(harness.sessions.requireRecentAuth(jarFor(alice), "5 minutes"))
      yield* TestClock.adjust(1)
      const past = yield* Effect.result(harness.sessions.requireRecentAuth(jarFor(alice), "5 minutes"))

      assert.isTrue(Result.isSuccess(atLimit))
      assert.strictEqual(Result.isFailure(past) && past.failure._tag, "ReauthenticationRequired")
    })
  )

  Vitest.effect("anonymous session needs sign-in", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)

      const result = yield* Effect.result(harness.sessions.requireRecentAuth(jarFor(cookie), "1 hour"))

      assert.strictEqual(Result.isFailure(result) && result.failure._tag, "ReauthenticationRequired")
    })
  )

  Vitest.effect("reauthenticate rotates and restarts deadlines", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const alice = yield* signIn(harness, "alice")
      yield* TestClock.adjust(20 * minute)
      yield* harness.sessions.read(jarFor(alice))
      yield* TestClock.adjust(20 * minute)

      const jar = jarFor(alice)
      const session = yield* harness.sessions.reauthenticate(jar)
      const fresh = cookieFrom(jar)
      const check = yield* Effect.result(harness.sessions.requireRecentAuth(jarFor(fresh), "1 minute"))

      assert.notStrictEqual(fresh, alice)
      assert.strictEqual(session.authenticatedAt, 40 * minute)
      assert.strictEqual(session.absoluteExpiresAt, 40 * minute + 12 * hour)
      assert.strictEqual(session.idleExpiresAt, 40 * minute + 30 * minute)
      assert.isTrue(Result.isSuccess(check))
      assert.isFalse(yield* isLive(harness, alice))
    })
  )
})

describe("Sessions.flash", () => {
  Vitest.effect("flash is read once", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      yield* harness.sessions.flash(jarFor(cookie), "Signed in")

      const first = yield* harness.sessions.takeFlash(jarFor(cookie))
      const second = yield* harness.sessions.takeFlash(jarFor(cookie))

      assert.deepStrictEqual(first, Option.some("Signed in"))
      assert.isTrue(Option.isNone(second))
    })
  )

  Vitest.effect("concurrent takes deliver once", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      yield* harness.sessions.flash(jarFor(cookie), "once")

      const taken = yield* Effect.all(
        [harness.sessions.takeFlash(jarFor(cookie)), harness.sessions.takeFlash(jarFor(cookie))],
        { concurrency: "unbounded" }
      )

      assert.strictEqual(taken.filter(Option.isSome).length, 1)
    })
  )

  Vitest.effect("takeFlash without a message writes nothing", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const { cookie } = yield* start(harness)
      const writes = harness.spy.writes()

      const jar = jarFor(cookie)
      const taken = yield* harness.sessions.takeFlash(jar)

      assert.isTrue(Option.isNone(taken))
      assert.strictEqual(harness.spy.writes(), writes)
      assert.strictEqual(jar.setCookieHeaders().length, 0)
    })
  )
})

describe("Sessions.revokeAll", () => {
  Vitest.effect("revokeAll keeps the current session", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const phone = yield* signIn(harness, "alice")
      const laptop = yield* signIn(harness, "alice")
      const tablet = yield* signIn(harness, "alice")
      const bob = yield* signIn(harness, "bob")

      const revoked = yield* harness.sessions.revokeAll("alice", { except: jarFor(laptop) })
      const listed = yield* harness.sessions.list(jarFor(laptop))

      assert.strictEqual(revoked, 2)
      assert.isFalse(yield* isLive(harness, phone))
      assert.isFalse(yield* isLive(harness, tablet))
      assert.isTrue(yield* isLive(harness, laptop))
      assert.isTrue(yield* isLive(harness, bob))
      assert.strictEqual(listed.length, 1)
      assert.isTrue(listed[0]!.current)
    })
  )

  Vitest.effect("write after revoke is gone", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const phone = yield* signIn(harness, "alice")
      const jar = jarFor(phone)
      yield* harness.sessions.get(jar)

      yield* harness.sessions.revokeAll("alice")
      const result = yield* Effect.result(harness.sessions.update(jar, (data) => ({ ...data, visits: 1 })))
      const listed = yield* harness.sessions.listByUser("alice")

      assert.strictEqual(Result.isFailure(result) && result.failure._tag, "SessionGone")
      assert.strictEqual(listed.length, 0)
    })
  )

  Vitest.effect("expired sessions leave the list", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      yield* signIn(harness, "alice")
      yield* signIn(harness, "alice")

      yield* TestClock.adjust(30 * minute - 1)
      const before = yield* harness.sessions.listByUser("alice")
      yield* TestClock.adjust(1)
      const after = yield* harness.sessions.listByUser("alice")

      assert.strictEqual(before.length, 2)
      assert.strictEqual(after.length, 0)
    })
  )
})

describe("Sessions.list and revoke", () => {
  Vitest.effect("list shows no tokens or data", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const alice = yield* signIn(harness, "alice")
      yield* TestClock.adjust(minute)
      yield* signIn(harness, "alice")

      const listed = yield* harness.sessions.list(jarFor(alice))
      const text = JSON.stringify(listed)

      assert.strictEqual(listed.length, 2)
      assert.deepStrictEqual(
        listed.map((info) => info.current),
        [false, true]
      )
      assert.notInclude(text, tokenIn(alice))
      assert.notInclude(text, "visits")
    })
  )

  Vitest.effect("revoke ends another device", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const phone = yield* signIn(harness, "alice")
      const laptop = yield* signIn(harness, "alice")
      const phoneId = (yield* harness.sessions.get(jarFor(phone))).id

      const ended = yield* harness.sessions.revoke(jarFor(laptop), phoneId)

      assert.isTrue(ended)
      assert.isFalse(yield* isLive(harness, phone))
      assert.isTrue(yield* isLive(harness, laptop))
    })
  )

  Vitest.effect("revoke cannot reach another user", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const alice = yield* signIn(harness, "alice")
      const bob = yield* signIn(harness, "bob")
      const bobId = (yield* harness.sessions.get(jarFor(bob))).id

      const ended = yield* harness.sessions.revoke(jarFor(alice), bobId)

      assert.isFalse(ended)
      assert.isTrue(yield* isLive(harness, bob))
    })
  )

  Vitest.effect("revoke of the current session clears the cookie", () =>
    Effect.gen(function* () {
      const harness = yield* setup()
      const alice = yield* signIn(harness, "alice")
      const id = (yield* harness.sessions.get(jarFor(alice))).id

      const jar = jarFor(alice)
      const ended = yield* harness.sessions.revoke(jar, id)

      assert.isTrue(ended)
      assert.match(jar.setCookieHeaders()[0]!, /Max-Age=0/)
      assert.isFalse(yield* isLive(harness, alice))
    })
  )
})
