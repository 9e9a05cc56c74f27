import { Vitest } from "@seshat/core/testing"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import { TestClock } from "effect/testing"
import { afterEach, assert, beforeEach, describe, it } from "vitest"
import { cookieOf, RedisSessions, request, sessionsOver } from "./fixtures.js"
import { type RedisServer, startRedis } from "./server.js"

let server: RedisServer

beforeEach(async () => {
  server = await startRedis()
})

afterEach(async () => {
  await server?.dispose()
})

const sessionsLayer = () =>
  sessionsOver(server.url, {
    policy: { storeTimeout: "500 millis", renewalInterval: "1 minute" },
    connection: { maxReconnectDelayMs: 100 }
  })

// Retries an operation until the store answers again, within a bound, while the client reconnects.
const untilAvailable = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    for (let attempt = 0; attempt < 200; attempt++) {
      const result = yield* Effect.result(self)
      if (Result.isSuccess(result)) return result.success
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))
    }
    return yield* Effect.die(new Error("the store did not recover"))
  })

describe("Redis faults", () => {
  it("stopped server is unavailable, not absent", () =>
    Vitest.run(
      Effect.gen(function* () {
        const sessions = yield* RedisSessions
        const first = request()
        yield* sessions.ensure(first)
        const cookie = cookieOf(first)
        yield* Effect.promise(() => server.stop())

        const readJar = request(cookie)
        const read = yield* Effect.result(sessions.read(readJar))
        const ensureJar = request(cookie)
        const ensured = yield* Effect.result(sessions.ensure(ensureJar))
        const anonymous = request()
        const minted = yield* Effect.result(sessions.ensure(anonymous))

        assert.strictEqual(Result.isFailure(read) && read.failure._tag, "StoreUnavailable")
        assert.strictEqual(Result.isFailure(ensured) && ensured.failure._tag, "StoreUnavailable")
        assert.strictEqual(Result.isFailure(minted) && minted.failure._tag, "StoreUnavailable")
        assert.strictEqual(readJar.setCookieHeaders().length, 0)
        assert.strictEqual(ensureJar.setCookieHeaders().length, 0)
        assert.strictEqual(anonymous.setCookieHeaders().length, 0)
      }).pipe(Effect.provide(sessionsLayer()))
    ))

  it(
    "restarted server keeps acknowledged writes",
    () =>
      Vitest.run(
        Effect.gen(function* () {
          const sessions = yield* RedisSessions
          const first = request()
          yield* sessions.ensure(first)
          const cookie = cookieOf(first)
          let acknowledged = 0
          for (let i = 0; i < 5; i++) {
            yield* sessions.update(request(cookie), (data) => ({ visits: data.visits + 1 }))
            acknowledged++
          }
          yield* Effect.promise(() => server.stop())
          const during = yield* Effect.result(sessions.update(request(cookie), (data) => ({ visits: data.visits + 1 })))
          yield* Effect.promise(() => server.start())

          const after = yield* untilAvailable(sessions.get(request(cookie)))
          yield* sessions.update(request(cookie), (data) => ({ visits: data.visits + 1 }))
          acknowledged++
          const final = yield* sessions.get(request(cookie))

          assert.isTrue(Result.isFailure(during))
          assert.strictEqual(after.data.visits, 5)
          assert.strictEqual(final.data.visits, acknowledged)
        }).pipe(Effect.provide(sessionsLayer()))
      ),
    60_000
  )

  it(
    "paused server times out as unavailable",
    () =>
      Vitest.run(
        Effect.gen(function* () {
          const sessions = yield* RedisSessions
          const first = request()
          yield* sessions.ensure(first)
          const cookie = cookieOf(first)
          server.pause()

          const jar = request(cookie)
          const fiber = yield* Effect.forkChild(Effect.result(sessions.read(jar)))
          yield* TestClock.adjust("499 millis")
          const early = fiber.pollUnsafe()
          yield* TestClock.adjust("1 millis")
          const result = yield* Fiber.join(fiber)
          server.resume()
          const recovered = yield* untilAvailable(sessions.get(request(cookie)))

          assert.isUndefined(early)
          assert.strictEqual(Result.isFailure(result) && result.failure._tag, "StoreUnavailable")
          assert.strictEqual(jar.setCookieHeaders().length, 0)
          assert.strictEqual(recovered.data.visits, 0)
        }).pipe(Effect.provide(sessionsLayer()))
      ),
    60_000
  )

  it(
    "app started during an outage recovers",
    () =>
      Vitest.run(
        Effect.gen(function* () {
          yield* Effect.promise(() => server.stop())
          const context = yield* Layer.build(sessionsLayer())
          const sessions = Context.get(context, RedisSessions)

          const down = yield* Effect.result(sessions.ensure(request()))
          yield* Effect.promise(() => server.start())
          const up = yield* untilAvailable(sessions.ensure(request()))

          assert.strictEqual(Result.isFailure(down) && down.failure._tag, "StoreUnavailable")
          assert.strictEqual(up.origin, "created")
        })
      ),
    60_000
  )
})
