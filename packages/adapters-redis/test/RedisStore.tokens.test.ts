import { layerRedis } from "@seshat/adapters-redis"
import * as Sessions from "@seshat/core/Sessions"
import { Vitest } from "@seshat/core/testing"
import * as Token from "@seshat/core/Token"
import * as WebCookies from "@seshat/core/WebCookies"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { type RedisServer, startRedis } from "./server.js"

const Data = Schema.Struct({ visits: Schema.Number })
class TokenSessions extends Context.Service<TokenSessions, Sessions.Sessions<typeof Data.Type>>()(
  "test/TokenSessions"
) {}

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
        const sessions = yield* TokenSessions
        const tokens: Array<string> = []
        for (const user of ["alice", undefined]) {
          const jar = WebCookies.fromRequest(new Request("http://127.0.0.1/"))
          yield* user === undefined ? sessions.ensure(jar) : sessions.login(jar, user)
          tokens.push(jar.setCookieHeaders()[0]!.split(";")[0]!.split("=")[1]!)
        }

        const dump = yield* Effect.promise(async () => {
          const keys = (await server.cli("--scan", "--pattern", "*")).split("\n").filter((key) => key !== "")
          const values = await Promise.all(
            keys.map(async (key) =>
              (await server.cli("TYPE", key)) === "hash"
                ? server.cli("HGETALL", key)
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
      }).pipe(
        Effect.provide(
          Sessions.layer(TokenSessions, { schema: Data, initial: () => ({ visits: 0 }) }).pipe(
            Layer.provide(Layer.merge(layerRedis({ url: server.url }), Token.layerWebCrypto))
          )
        )
      )
    ))
})
