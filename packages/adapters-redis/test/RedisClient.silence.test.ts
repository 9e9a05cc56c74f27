/**
 * A connection whose peer stops answering without closing it: a loopback TCP relay between the
 * client and a real redis-server stops forwarding on its open connections, the way a dropped
 * network path or a stuck proxy does, while new connections pass.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net"
import { RedisClient } from "@seshat/adapters-redis"
import * as Effect from "effect/Effect"
import * as Redis from "effect/persistence/Redis"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, type RedisServer, startRedis } from "./server.js"

interface Relay {
  readonly url: string
  /** Stops forwarding on the connections open now, without closing them. */
  readonly silenceOpenConnections: () => void
  readonly close: () => Promise<void>
}

const startRelay = async (target: number): Promise<Relay> => {
  const port = await freePort()
  const open = new Set<{ client: Socket; upstream: Socket; silent: boolean }>()
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: target })
    const pair = { client, upstream, silent: false }
    open.add(pair)
    client.on("data", (chunk) => pair.silent || upstream.write(chunk))
    upstream.on("data", (chunk) => pair.silent || client.write(chunk))
    const end = () => {
      open.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on("close", end).on("error", end)
    upstream.on("close", end).on("error", end)
  })
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve))
  return {
    url: `redis://127.0.0.1:${port}`,
    silenceOpenConnections: () => {
      for (const pair of open) pair.silent = true
    },
    close: () =>
      new Promise((resolve) => {
        for (const pair of open) {
          pair.client.destroy()
          pair.upstream.destroy()
        }
        server.close(() => resolve())
      })
  }
}

const timeoutMs = 300

describe("Redis silent connection", () => {
  let server: RedisServer
  let relay: Relay

  beforeAll(async () => {
    server = await startRedis()
    relay = await startRelay(server.port)
  })

  afterAll(async () => {
    await relay?.close()
    await server?.dispose()
  })

  it(
    "a silent connection is replaced",
    () =>
      Effect.runPromise(
        Effect.gen(function* () {
          const redis = yield* Redis.Redis
          const ping = Effect.result(redis.send<string>("PING"))
          const before = yield* ping
          relay.silenceOpenConnections()

          const during = [yield* ping, yield* ping]
          const after = yield* Effect.gen(function* () {
            // Reconnecting takes a moment; a healthy reply must come well within a few timeouts.
            for (let attempt = 0; attempt < 20; attempt++) {
              const reply = yield* ping
              if (reply._tag === "Success") return reply
              yield* Effect.sleep(timeoutMs / 3)
            }
            return yield* ping
          })

          assert.strictEqual(before._tag, "Success")
          assert.deepStrictEqual(
            during.map((reply) => reply._tag),
            ["Failure", "Failure"]
          )
          assert.strictEqual(after._tag, "Success")
        }).pipe(Effect.provide(RedisClient.layer({ url: relay.url, commandTimeoutMs: timeoutMs })), Effect.scoped)
      ),
    30_000
  )
})
