import { Vitest } from "@seshat/core/testing"
import * as Effect from "effect/Effect"
import { TestClock } from "effect/testing"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { RedisSessions, request, sessionsOver } from "./fixtures.js"
import { type RedisServer, startRedis } from "./server.js"

let server: RedisServer

beforeAll(async () => {
  server = await startRedis()
})

afterAll(async () => {
  await server?.dispose()
})

// The commands the store sends over the network. INFO commandstats also counts the commands that
// run inside a Lua script (HGET, HSET, PEXPIRE, ...), which cost no round trip, so only these count.
const clientCommands = ["hgetall", "evalsha", "eval", "zrem", "script|load"]

// Reads INFO commandstats and returns the calls of each command the store sent.
const commandCalls = async (): Promise<Record<string, number>> => {
  const info = await server.cli("INFO", "commandstats")
  const calls: Record<string, number> = {}
  for (const line of info.split("\n")) {
    const match = /^cmdstat_([a-z|]+):calls=(\d+)/.exec(line.trim())
    if (match && clientCommands.includes(match[1]!)) calls[match[1]!] = Number(match[2])
  }
  return calls
}

const measure = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    yield* Effect.promise(() => server.cli("CONFIG", "RESETSTAT"))
    yield* self
    return yield* Effect.promise(commandCalls)
  })

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

        assert.deepStrictEqual(validate, { hgetall: 1 })
        assert.deepStrictEqual(renew, { hgetall: 1, evalsha: 1 })
        assert.deepStrictEqual(update, { evalsha: 1 })
      }).pipe(Effect.provide(sessionsOver(server.url, { policy: { renewalInterval: "1 minute" } })))
    ))
})
