import { layerRedis, layerRedisCluster, RedisStore } from "@seshat/adapters-redis"
import { SessionStore } from "@seshat/core/SessionStore"
import { SessionModel, StoreSuite } from "@seshat/core/testing"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { type RedisCluster, type RedisServer, startCluster, startRedis } from "./server.js"

let server: RedisServer
let cluster: RedisCluster
let prefixes = 0
// Each test gets its own key prefix, so tests share one server without seeing each other's keys.
const nextPrefix = () => `t${++prefixes}:`

beforeAll(async () => {
  server = await startRedis()
  cluster = await startCluster()
}, 60_000)

afterAll(async () => {
  await server?.dispose()
  await cluster?.dispose()
})

const ttlChecks = (test: StoreSuite.StoreTest) => {
  test("every key has a TTL", () => {
    const prefix = nextPrefix()
    return Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(StoreSuite.stored({ key: "k1", userId: "alice", expiresAt: 60_000, deadline: 120_000 }))
      yield* store.update(StoreSuite.stored({ key: "k1", userId: "alice", version: 2, expiresAt: 90_000 }))
      yield* store.insert(StoreSuite.stored({ key: "k2", expiresAt: 60_000 }))

      const keys = yield* Effect.promise(() => server.cli("--scan", "--pattern", `${prefix}*`))
      const ttls = yield* Effect.forEach(
        keys.split("\n").filter((key) => key !== ""),
        (key) => Effect.promise(async () => ({ key, ttl: Number(await server.cli("PTTL", key)) }))
      )

      assert.strictEqual(ttls.length, 3)
      for (const { key, ttl } of ttls) assert.isAbove(ttl, 0, `${key} has no TTL`)
    }).pipe(Effect.provide(layerRedis({ url: server.url, prefix })))
  })

  test("the TTL follows expiresAt", () => {
    const prefix = nextPrefix()
    const key = RedisStore.sessionKey(prefix, "k1")
    return Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(StoreSuite.stored({ key: "k1", expiresAt: 60_000 }))
      const before = Number(yield* Effect.promise(() => server.cli("PTTL", key)))
      yield* store.update(StoreSuite.stored({ key: "k1", version: 2, expiresAt: 600_000 }))
      const after = Number(yield* Effect.promise(() => server.cli("PTTL", key)))

      assert.isAbove(before, 0)
      assert.isAtMost(before, 60_000)
      assert.isAbove(after, 60_000)
      assert.isAtMost(after, 600_000)
    }).pipe(Effect.provide(layerRedis({ url: server.url, prefix })))
  })
}

const layoutChecks = (test: StoreSuite.StoreTest) => {
  test("line feeds in header fields round-trip", () => {
    const prefix = nextPrefix()
    const userId = "=a\nb%0A%"
    return Effect.gen(function* () {
      const store = yield* SessionStore
      const session = StoreSuite.stored({ key: "k1", sessionId: "s\n%25", userId, value: "{\n}\n" })
      yield* store.insert(session)
      yield* store.update({ ...session, version: 2 })
      const found = yield* store.get("k1")
      const listed = yield* store.listByUser(userId)
      yield* store.delete("k1", 2)
      const indexed = yield* Effect.promise(() => server.cli("ZCARD", RedisStore.indexKey(prefix, userId)))

      assert.deepStrictEqual(Option.getOrThrow(found), { ...session, version: 2 })
      assert.deepStrictEqual(
        listed.map((entry) => entry.key),
        ["k1"]
      )
      assert.strictEqual(indexed, "0")
    }).pipe(Effect.provide(layerRedis({ url: server.url, prefix })))
  })

  test("value without a header is no session", () => {
    const prefix = nextPrefix()
    const key = RedisStore.sessionKey(prefix, "k1")
    return Effect.gen(function* () {
      const store = yield* SessionStore
      yield* Effect.promise(() => server.cli("SET", key, "no header", "PX", "60000"))
      const found = yield* store.get("k1")
      const update = yield* Effect.result(store.update(StoreSuite.stored({ key: "k1", version: 2 })))
      const versionedDelete = yield* Effect.result(store.delete("k1", 1))
      yield* store.delete("k1")
      const exists = yield* Effect.promise(() => server.cli("EXISTS", key))

      assert.isTrue(Option.isNone(found))
      assert.strictEqual(Result.isFailure(update) && update.failure.reason, "Gone")
      assert.strictEqual(Result.isFailure(versionedDelete) && versionedDelete.failure.reason, "Gone")
      assert.strictEqual(exists, "0")
    }).pipe(Effect.provide(layerRedis({ url: server.url, prefix })))
  })
}

describe("Redis server", () => {
  StoreSuite.run("RedisStore", {
    layer: () => layerRedis({ url: server.url, prefix: nextPrefix() }),
    capabilities: { effectClock: false },
    extra: (test) => {
      ttlChecks(test)
      layoutChecks(test)
    }
  })

  it("keys are laid out by hash tag", () => {
    assert.strictEqual(RedisStore.sessionKey("app:", "abc"), "app:s:{abc}")
    assert.strictEqual(RedisStore.indexKey("app:", "alice"), "app:u:{alice}")
  })

  it(
    "agrees with the session model",
    () => SessionModel.check({ store: () => layerRedis({ url: server.url, prefix: nextPrefix() }), numRuns: 25 }),
    120_000
  )
})

describe("Redis Cluster", () => {
  StoreSuite.run("RedisStore on a cluster", {
    layer: () => layerRedisCluster({ rootNodes: cluster.rootNodes, prefix: nextPrefix() }),
    capabilities: { effectClock: false }
  })

  it(
    "agrees with the session model",
    () =>
      SessionModel.check({
        store: () => layerRedisCluster({ rootNodes: cluster.rootNodes, prefix: nextPrefix() }),
        numRuns: 10
      }),
    120_000
  )
})
