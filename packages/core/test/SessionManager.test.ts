import { layerMemory, MemoryStore } from "@seshat/adapters-memory"
import { NoSession, SessionConfigError, SessionExpired, SessionGone, StoreUnavailable } from "@seshat/core/SessionError"
import * as SessionManager from "@seshat/core/SessionManager"
import { SessionStore, StoreError } from "@seshat/core/SessionStore"
import { Vitest } from "@seshat/core/testing"
import * as Token from "@seshat/core/Token"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { TestClock } from "effect/testing"
import { afterEach, assert, describe, it, vi } from "vitest"
import { cookieFrom, Data, initial, jarFor, minute, policy, tokenIn } from "./fixtures.js"

const idle = 30 * minute

const managers: Array<SessionManager.SessionManager<Data>> = []

// Creates a manager over a fresh memory store and disposes of it after the test.
const makeManager = (options: Partial<SessionManager.Options<Data, Data>> = {}) => {
  const manager = SessionManager.make({
    schema: Data,
    initial,
    policy,
    store: layerMemory(),
    tokens: Token.layerTest(),
    ...options
  })
  managers.push(manager)
  return manager
}

// Resolves to the reason a promise rejected with, and fails the test if it resolved.
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (value) => assert.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (error: unknown) => error
  )

const refused = () => Effect.fail(new StoreError({ reason: "Unavailable", cause: new Error("connection refused") }))

const unavailable = SessionStore.of({
  get: refused,
  insert: refused,
  update: refused,
  delete: refused,
  listByUser: refused
})

describe("SessionManager", () => {
  afterEach(async () => {
    vi.restoreAllMocks()
    await Promise.all(managers.splice(0).map((manager) => manager.dispose()))
  })

  it("make throws on an unsafe policy", () => {
    const unsafe = () =>
      makeManager({ policy: { cookie: { name: "s", sameSite: "none", secure: false }, allowInsecureCookie: true } })

    const error = (() => {
      try {
        unsafe()
      } catch (thrown) {
        return thrown
      }
      return assert.fail("expected make to throw")
    })()

    assert.instanceOf(error, SessionConfigError)
    assert.strictEqual((error as SessionConfigError).field, "cookie.sameSite")
  })

  it("make exposes the validated policy", () => {
    const manager = makeManager()

    assert.strictEqual(manager.policy.idleTimeoutMs, idle)
    assert.strictEqual(manager.policy.cookie.name, "__Host-seshat")
  })

  it("ensure then get resolves the session", async () => {
    const manager = makeManager()
    const jar = jarFor()

    const created = await manager.ensure(jar)
    const cookie = cookieFrom(jar)
    const loaded = await manager.get(jarFor(cookie))
    const status = await manager.read(jarFor(cookie))

    assert.strictEqual(created.origin, "created")
    assert.strictEqual(loaded.id, created.id)
    assert.strictEqual(loaded.origin, "resumed")
    assert.strictEqual(status._tag, "Active")
  })

  it("update and destroy round trip", async () => {
    const manager = makeManager()
    const jar = jarFor()
    await manager.ensure(jar)
    const cookie = cookieFrom(jar)

    const updated = await manager.update(jarFor(cookie), (data) => ({ ...data, visits: data.visits + 1 }))
    const closing = jarFor(cookie)
    await manager.destroy(closing)
    const after = await manager.read(jarFor(cookie))

    assert.strictEqual(updated.data.visits, 1)
    assert.include(closing.setCookieHeaders()[0]!, "Max-Age=0")
    assert.deepStrictEqual(after, { _tag: "Invalid", reason: "unknown" })
  })

  it("concurrent first calls share one store", async () => {
    const manager = makeManager()
    const jars = [jarFor(), jarFor(), jarFor()]

    await Promise.all(jars.map((jar) => manager.ensure(jar)))
    const statuses = await Promise.all(jars.map((jar) => manager.read(jarFor(cookieFrom(jar)))))

    for (const status of statuses) assert.strictEqual(status._tag, "Active")
  })

  it("waiting store resolves and rejects", async () => {
    const memory = MemoryStore.make()
    const waiting = (fail: boolean) =>
      Layer.succeed(
        SessionStore,
        SessionStore.of({
          ...memory,
          get: (key) =>
            Effect.andThen(
              Effect.promise(() => Promise.resolve()),
              fail ? refused() : memory.get(key)
            )
        })
      )
    const manager = makeManager({ store: waiting(false) })
    const failing = makeManager({ store: waiting(true) })
    const jar = jarFor()
    await manager.ensure(jar)

    const loaded = await manager.get(jarFor(cookieFrom(jar)))
    const error = await rejection(failing.get(jarFor(cookieFrom(jar))))

    assert.strictEqual(loaded.origin, "resumed")
    assert.instanceOf(error, StoreUnavailable)
  })

  it("calls after dispose reject", async () => {
    const manager = SessionManager.make({ schema: Data, initial, policy, store: layerMemory() })
    await manager.ensure(jarFor())

    await manager.dispose()
    const error = await rejection(manager.get(jarFor()))

    assert.include(String(error), "disposed")
  })

  it("get rejects with NoSession", async () => {
    const manager = makeManager()

    const error = await rejection(manager.get(jarFor()))

    assert.instanceOf(error, NoSession)
    assert.strictEqual((error as NoSession)._tag, "NoSession")
    assert.strictEqual((error as NoSession).reason, "absent")
  })

  it("update rejects with SessionGone", async () => {
    const manager = makeManager()
    const jar = jarFor()
    await manager.ensure(jar)
    const cookie = cookieFrom(jar)
    const holder = jarFor(cookie)
    await manager.get(holder)
    await manager.destroy(jarFor(cookie))

    const error = await rejection(manager.update(holder, (data) => data))

    assert.instanceOf(error, SessionGone)
    assert.strictEqual((error as SessionGone)._tag, "SessionGone")
  })

  it("failing store rejects with StoreUnavailable", async () => {
    const manager = makeManager({ store: Layer.succeed(SessionStore, unavailable) })
    const jar = jarFor()

    const error = await rejection(manager.ensure(jar))

    assert.instanceOf(error, StoreUnavailable)
    assert.strictEqual((error as StoreUnavailable).operation, "insert")
    assert.deepStrictEqual(jar.setCookieHeaders(), [])
  })

  it("logs go to the given logger at the given level", async () => {
    const quiet: Array<string> = []
    const verbose: Array<string> = []
    const collect = (lines: Array<string>) =>
      Logger.make((entry) => lines.push(`${entry.logLevel} ${String(entry.message)}`))
    const warnOnly = makeManager({
      store: Layer.succeed(SessionStore, unavailable),
      logger: collect(quiet),
      logLevel: "Warn"
    })
    const everything = makeManager({ logger: collect(verbose), logLevel: "Debug" })

    await rejection(warnOnly.ensure(jarFor()))
    await warnOnly.read(jarFor())
    await everything.ensure(jarFor())

    assert.deepStrictEqual(quiet, ["Warn session store unavailable"])
    assert.deepStrictEqual(verbose, ["Info session created"])
  })

  it("default tokens come from Web Crypto", async () => {
    const spy = vi.spyOn(globalThis.crypto, "getRandomValues")
    const manager = makeManager({ tokens: undefined })
    const jar = jarFor()

    await manager.ensure(jar)
    const token = tokenIn(cookieFrom(jar))

    const sizes = spy.mock.calls.map(([array]) => (array as Uint8Array).byteLength)
    assert.include(sizes, Token.TOKEN_BYTES)
    assert.strictEqual(Buffer.from(token, "base64url").byteLength, Token.TOKEN_BYTES)
  })

  Vitest.effect("given clock decides expiry", () =>
    Effect.gen(function* () {
      const clock = yield* Clock.Clock
      const manager = makeManager({ clock })
      const jar = jarFor()
      yield* Effect.promise(() => manager.ensure(jar))
      const cookie = cookieFrom(jar)

      yield* TestClock.adjust(idle - 1)
      const before = yield* Effect.promise(() => manager.get(jarFor(cookie, { writable: false })))
      yield* TestClock.adjust(1)
      const error = yield* Effect.promise(() => rejection(manager.get(jarFor(cookie))))

      assert.strictEqual(before.origin, "resumed")
      assert.instanceOf(error, SessionExpired)
      assert.strictEqual((error as SessionExpired).reason, "idle")
    })
  )
})
