import { Vitest } from "@seshat/core/testing"
import * as Token from "@seshat/core/Token"
import * as Effect from "effect/Effect"
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

describe("Redis contents", () => {
  it("never hold a token", () =>
    Vitest.run(
      Effect.gen(function* () {
        const sessions = yield* RedisSessions
        const tokens: Array<string> = []
        for (const user of ["alice", undefined]) {
          const jar = request()
          yield* user === undefined ? sessions.ensure(jar) : sessions.login(jar, user)
          tokens.push(jar.setCookieHeaders()[0]!.split(";")[0]!.split("=")[1]!)
        }

        const dump = yield* Effect.promise(async () => {
          const keys = (await server.cli("--scan", "--pattern", "*")).split("\n").filter((key) => key !== "")
          const values = await Promise.all(
            keys.map(async (key) =>
              (await server.cli("TYPE", key)) === "string"
                ? server.cli("GET", key)
                : server.cli("ZRANGE", key, "0", "-1")
            )
          )
          return [...keys, ...values].join("\n")
        })

        assert.strictEqual(tokens.length, 2)
        for (const token of tokens) {
          const bytes = Uint8Array.from(atob(`${token.replace(/-/g, "+").replace(/_/g, "/")}=`), (c) => c.charCodeAt(0))
          const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")
          assert.notInclude(dump, token)
          assert.notInclude(dump, hex)
          assert.notInclude(dump, btoa(String.fromCharCode(...bytes)).replace(/=+$/, ""))
        }
      }).pipe(Effect.provide(sessionsOver(server.url, { tokens: Token.layerWebCrypto })))
    ))
})
