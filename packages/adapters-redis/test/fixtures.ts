// Shared set-up of the Redis tests that run the session service: the app Schema, its service key,
// a layer over a Redis server, request jars, and a MONITOR client.
import { layerRedis, type RedisClient } from "@seshat/adapters-redis"
import type * as Policy from "@seshat/core/Policy"
import * as Sessions from "@seshat/core/Sessions"
import * as Token from "@seshat/core/Token"
import * as WebCookies from "@seshat/core/WebCookies"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { createClient } from "redis"
import type { RedisServer } from "./server.js"

export const Data = Schema.Struct({ visits: Schema.Number })

export class RedisSessions extends Context.Service<RedisSessions, Sessions.Sessions<typeof Data.Type>>()(
  "test/RedisSessions"
) {}

/** The session service over the Redis server at `url`, with deterministic tokens unless `tokens` is given. */
export const sessionsOver = (
  url: string,
  options: {
    readonly policy?: Policy.PolicyOptions
    readonly connection?: RedisClient.ConnectionOptions
    readonly tokens?: Layer.Layer<Token.TokenGenerator>
  } = {}
) =>
  Sessions.layer(RedisSessions, { schema: Data, initial: () => ({ visits: 0 }), policy: options.policy }).pipe(
    Layer.provide(Layer.merge(layerRedis({ url, ...options.connection }), options.tokens ?? Token.layerTest()))
  )

/** The jar of a request with an optional Cookie header. */
export const request = (cookie?: string) =>
  WebCookies.fromRequest(new Request("http://127.0.0.1/", cookie === undefined ? {} : { headers: { cookie } }))

/** The `name=value` pair of the jar's session Set-Cookie. */
export const cookieOf = (jar: WebCookies.WebCookieJar) => jar.setCookieHeaders()[0]!.split(";")[0]!

/** Collects the commands `server` runs, as MONITOR reports them: `[0 lua]` marks those a script ran. */
export const monitor = (server: RedisServer) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const lines: Array<string> = []
      const client = createClient({ url: server.url })
      client.on("error", () => {})
      await client.connect()
      await client.monitor((line) => lines.push(String(line)))
      return { lines, client }
    }),
    ({ client }) => Effect.sync(() => client.destroy())
  ).pipe(
    Effect.map(({ lines }) => ({
      /** Sends `ECHO marker` and returns the lines reported from the start up to the marker. */
      linesUntil: (marker: string) =>
        Effect.promise(async () => {
          await server.cli("ECHO", marker)
          for (let attempt = 0; attempt < 200; attempt++) {
            const end = lines.findIndex((line) => line.includes(`"${marker}"`))
            if (end >= 0) return lines.slice(0, end)
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
          throw new Error(`MONITOR did not report ECHO ${marker}`)
        })
    }))
  )
