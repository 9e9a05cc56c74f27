import { Vitest } from "@seshat/core/testing"
import * as Effect from "effect/Effect"
import { TestClock } from "effect/testing"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { monitor, RedisSessions, request, sessionsOver } from "./fixtures.js"
import { type RedisServer, startRedis } from "./server.js"

let server: RedisServer

beforeAll(async () => {
  server = await startRedis()
})

afterAll(async () => {
  await server?.dispose()
})

// Counts the commands the store sends over the network while `self` runs, from MONITOR. The
// commands that a Lua script runs (a GET inside `update`, for example) cost no round trip, and
// MONITOR marks them `[0 lua]`, so they do not count.
const measure = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const commands = yield* monitor(server)
      yield* self
      const lines = yield* commands.linesUntil("measured")
      const calls: Record<string, number> = {}
      for (const line of lines) {
        const command = /"([^"]+)"/.exec(line)?.[1]?.toUpperCase()
        if (command !== undefined && !line.includes("[0 lua]")) calls[command] = (calls[command] ?? 0) + 1
      }
      return calls
    })
  )

describe("Redis round trips", () => {
  it("one command per validate, renewal and update", () =>
    Vitest.run(
      Effect.gen(function* () {
        const sessions = yield* RedisSessions
        const first = request()
        yield* sessions.ensure(first)
        const cookie = first.setCookieHeaders()[0]!.split(";")[0]!
        // Warm the script cache, so SCRIPT LOAD is not counted below.
        yield* TestClock.adjust("2 minutes")
        yield* sessions.update(request(cookie), (data) => ({ visits: data.visits + 1 }))

        const validate = yield* measure(sessions.read(request(cookie)))
        yield* TestClock.adjust("2 minutes")
        const renew = yield* measure(sessions.read(request(cookie)))
        const jar = request(cookie)
        yield* sessions.read(jar)
        const update = yield* measure(sessions.update(jar, (data) => ({ visits: data.visits + 1 })))

        assert.deepStrictEqual(validate, { GET: 1 })
        assert.deepStrictEqual(renew, { GET: 1, EVALSHA: 1 })
        assert.deepStrictEqual(update, { EVALSHA: 1 })
      }).pipe(Effect.provide(sessionsOver(server.url, { policy: { renewalInterval: "1 minute" } })))
    ))
})
