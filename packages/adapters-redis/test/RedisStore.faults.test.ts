import { StoreUnavailable } from "@seshat/core/SessionError"
import { Vitest } from "@seshat/core/testing"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import { afterEach, assert, beforeEach, describe, it } from "vitest"
import { cookieOf, monitor, RedisSessions, request, sessionsOver } from "./fixtures.js"
import { type RedisServer, startRedis } from "./server.js"

let server: RedisServer

beforeEach(async () => {
  server = await startRedis()
})

afterEach(async () => {
  await server?.dispose()
})

// The client's deadline bounds every store call; the policy's `storeTimeout` does not apply to it.
const timeoutMs = 500
// Time allowed past the deadline for the timer to run and the error to arrive, on a busy machine.
const latenessMs = 400

const sessionsLayer = (connection: { readonly connectTimeoutMs?: number } = {}) =>
  sessionsOver(server.url, {
    policy: { renewalInterval: "1 minute" },
    connection: { maxReconnectDelayMs: 100, commandTimeoutMs: timeoutMs, ...connection }
  })

// Runs an operation and returns its result with the real time it took, in milliseconds.
const timed = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const started = performance.now()
    const result = yield* Effect.result(self)
    return { result, elapsedMs: performance.now() - started }
  })

// The message of a StoreUnavailable failure's cause, which must be a plain Error.
const causeOf = <A, E>(result: Result.Result<A, E>): string => {
  if (Result.isSuccess(result)) return "succeeded"
  const failure: unknown = result.failure
  if (!(failure instanceof StoreUnavailable)) return `failed with ${String(failure)}`
  const cause: unknown = failure.cause
  if (!(cause instanceof Error)) return `cause is not an Error: ${String(cause)}`
  if (Object.getPrototypeOf(cause) !== Error.prototype) return `cause is a ${cause.constructor.name}`
  return cause.message
}

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

          // The TestClock never moves here, so only the client's own deadline can end the call.
          const jar = request(cookie)
          const { result, elapsedMs } = yield* timed(sessions.read(jar))
          server.resume()
          const recovered = yield* untilAvailable(sessions.get(request(cookie)))

          assert.strictEqual(Result.isFailure(result) && result.failure._tag, "StoreUnavailable")
          assert.strictEqual(causeOf(result), `timed out after ${timeoutMs} ms`)
          assert.isAtLeast(elapsedMs, timeoutMs)
          assert.isBelow(elapsedMs, timeoutMs + latenessMs)
          assert.strictEqual(jar.setCookieHeaders().length, 0)
          assert.strictEqual(recovered.data.visits, 0)
        }).pipe(Effect.provide(sessionsLayer()))
      ),
    60_000
  )

  it("store deadline replaces the policy's", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const sessions = yield* RedisSessions
        const first = request()
        yield* sessions.ensure(first)
        server.pause()

        const { result, elapsedMs } = yield* timed(sessions.read(request(cookieOf(first))))
        server.resume()

        assert.strictEqual(causeOf(result), `timed out after ${timeoutMs} ms`)
        assert.isAtLeast(elapsedMs, timeoutMs)
      }).pipe(
        // The live clock: a policy deadline of 100 ms would end the call first if it applied.
        Effect.provide(
          sessionsOver(server.url, {
            policy: { storeTimeout: "100 millis" },
            connection: { commandTimeoutMs: timeoutMs }
          })
        ),
        Effect.scoped
      )
    ))

  it(
    "unavailable cause says why",
    () =>
      Vitest.run(
        Effect.gen(function* () {
          yield* Effect.promise(() => server.stop())
          const context = yield* Layer.build(sessionsLayer({ connectTimeoutMs: 300 }))
          const sessions = Context.get(context, RedisSessions)

          const refused = yield* Effect.result(sessions.ensure(request()))
          yield* Effect.promise(() => server.start())
          const first = yield* untilAvailable(Effect.suspend(() => sessions.ensure(request())))
          const jar = request()
          yield* sessions.ensure(jar)
          server.pause()
          const timedOut = yield* Effect.result(sessions.read(request(cookieOf(jar))))
          server.resume()

          assert.strictEqual(first.origin, "created")
          assert.strictEqual(
            causeOf(refused),
            `not connected to Redis (last error: connect ECONNREFUSED 127.0.0.1:${server.port})`
          )
          assert.strictEqual(causeOf(timedOut), `timed out after ${timeoutMs} ms`)
        })
      ),
    60_000
  )

  it(
    "timed-out writes apply whole on resume",
    () =>
      Vitest.run(
        Effect.gen(function* () {
          const sessions = yield* RedisSessions
          // Session A is signed in as alice and updated three times; B and C are anonymous.
          const created = request()
          yield* sessions.ensure(created)
          const signIn = request(cookieOf(created))
          const a = yield* sessions.login(signIn, "alice")
          const cookieA = cookieOf(signIn)
          let acknowledged = 0
          for (let i = 0; i < 3; i++) {
            yield* sessions.update(request(cookieA), (data) => ({ visits: data.visits + 1 }))
            acknowledged++
          }
          const jars = { a: request(cookieA), b: request(), c: request() }
          yield* sessions.ensure(jars.b)
          yield* sessions.ensure(jars.c)
          const cookieB = cookieOf(jars.b)
          const cookieC = cookieOf(jars.c)
          // Each jar keeps its loaded session, so the writes below send no read first.
          const logoutJar = request(cookieB)
          const loginJar = request(cookieC)
          yield* sessions.get(jars.a)
          yield* sessions.get(logoutJar)
          yield* sessions.get(loginJar)
          const commands = yield* monitor(server)

          server.pause()
          const update = yield* Effect.result(sessions.update(jars.a, (data) => ({ visits: data.visits + 1 })))
          const logout = yield* Effect.result(sessions.destroy(logoutJar))
          const login = yield* Effect.result(sessions.login(loginJar, "alice"))
          server.resume()
          const afterA = yield* untilAvailable(sessions.get(request(cookieA)))
          const window = yield* commands.linesUntil("resumed")
          const afterB = yield* Effect.result(sessions.get(request(cookieB)))
          const afterC = yield* Effect.result(sessions.get(request(cookieC)))
          const alice = yield* sessions.listByUser("alice")
          const keys = yield* Effect.promise(() => server.cli("--scan", "--pattern", "seshat:*"))
          const ttls = yield* Effect.forEach(
            keys.split("\n").filter((key) => key !== ""),
            (key) => Effect.promise(async () => ({ key, ttl: Number(await server.cli("PTTL", key)) }))
          )
          // Commands the store sent from the pause until the server replied again, without reads
          // and the commands that scripts ran.
          const sent = window
            .filter((line) => !line.includes("[0 lua]"))
            .map((line) => /"([^"]+)"/.exec(line)?.[1]?.toUpperCase())
            .filter((command) => command !== "GET")

          // Each write failed as unavailable and changed no cookie.
          assert.strictEqual(causeOf(update), `timed out after ${timeoutMs} ms`)
          assert.strictEqual(causeOf(logout), `timed out after ${timeoutMs} ms`)
          assert.strictEqual(causeOf(login), `timed out after ${timeoutMs} ms`)
          assert.strictEqual(jars.a.setCookieHeaders().length, 0)
          assert.strictEqual(logoutJar.setCookieHeaders().length, 0)
          assert.strictEqual(loginJar.setCookieHeaders().length, 0)
          // Every acknowledged write survived, and the timed-out update applied whole on resume.
          assert.strictEqual(afterA.data.visits, acknowledged + 1)
          // The timed-out logout applied too. The login stopped at its first write, the user index
          // entry of its new record, and took that record back, so C is still the anonymous
          // session it was and alice has no new session.
          assert.strictEqual(Result.isFailure(afterB) && afterB.failure._tag, "NoSession")
          assert.isTrue(Result.isSuccess(afterC) && afterC.success.userId === undefined)
          assert.deepStrictEqual(
            alice.map((session) => session.id),
            [a.id]
          )
          // No key is left without a TTL.
          assert.isAbove(ttls.length, 0)
          for (const { key, ttl } of ttls) assert.isAbove(ttl, 0, `${key} has no TTL`)
          // One script per write, each sent once: the update, the logout, the login's index entry
          // and the delete that takes the login's record back. Nothing was sent again.
          assert.deepStrictEqual(sent, ["EVALSHA", "EVALSHA", "EVALSHA", "EVALSHA"])
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
