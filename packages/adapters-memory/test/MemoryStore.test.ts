import { layerMemory, MemoryStore } from "@seshat/adapters-memory"
import { SessionStore, type StoredSession } from "@seshat/core/SessionStore"
import { Vitest } from "@seshat/core/testing"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { TestClock } from "effect/testing"
import { assert, describe, it } from "vitest"

const session = (key: string, overrides: Partial<StoredSession> = {}): StoredSession => ({
  key,
  sessionId: `id-${key}`,
  userId: undefined,
  version: 1,
  expiresAt: 60_000,
  value: `{"key":"${key}"}`,
  ...overrides
})

// Reads the reason of a failed store call.
const reasonOf = <A, R>(effect: Effect.Effect<A, { readonly reason: string }, R>) =>
  Effect.map(Effect.flip(effect), (error) => error.reason)

const present = (store: SessionStore["Service"], keys: ReadonlyArray<string>) =>
  Effect.forEach(keys, (key) => Effect.map(store.get(key), Option.isSome))

describe("MemoryStore", () => {
  it("make rejects a bad maxEntries", () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => MemoryStore.make({ maxEntries }), RangeError, undefined, String(maxEntries))
    }
  })

  Vitest.effect("insert then get", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore

      yield* store.insert(session("a", { version: 7 }))
      const found = yield* store.get("a")
      const missing = yield* store.get("b")

      assert.isTrue(Option.isSome(found))
      assert.strictEqual(Option.getOrThrow(found).value, '{"key":"a"}')
      assert.strictEqual(Option.getOrThrow(found).version, 1)
      assert.isTrue(Option.isNone(missing))
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("insert collision keeps the first", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a"))

      const reason = yield* reasonOf(store.insert(session("a", { value: "intruder", sessionId: "other" })))
      const kept = Option.getOrThrow(yield* store.get("a"))

      assert.strictEqual(reason, "Collision")
      assert.strictEqual(kept.value, '{"key":"a"}')
      assert.strictEqual(kept.sessionId, "id-a")
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("insert over an expired entry", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a", { expiresAt: 1000 }))
      yield* TestClock.setTime(1000)

      yield* store.insert(session("a", { value: "fresh", expiresAt: 5000 }))
      const found = Option.getOrThrow(yield* store.get("a"))

      assert.strictEqual(found.value, "fresh")
      assert.strictEqual(found.version, 1)
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("update with the next version", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a"))

      yield* store.update(session("a", { version: 2, value: "second" }))
      yield* store.update(session("a", { version: 3, value: "third" }))
      const found = Option.getOrThrow(yield* store.get("a"))

      assert.strictEqual(found.version, 3)
      assert.strictEqual(found.value, "third")
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("update with a stale version conflicts", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a"))
      yield* store.update(session("a", { version: 2, value: "winner" }))

      const stale = yield* reasonOf(store.update(session("a", { version: 2, value: "loser" })))
      const ahead = yield* reasonOf(store.update(session("a", { version: 4, value: "loser" })))
      const found = Option.getOrThrow(yield* store.get("a"))

      assert.strictEqual(stale, "Conflict")
      assert.strictEqual(ahead, "Conflict")
      assert.strictEqual(found.value, "winner")
      assert.strictEqual(found.version, 2)
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("update of a missing key is gone", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore

      const reason = yield* reasonOf(store.update(session("a", { version: 2 })))
      const found = yield* store.get("a")

      assert.strictEqual(reason, "Gone")
      assert.isTrue(Option.isNone(found))
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("update after delete never recreates", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a"))
      yield* store.delete("a")

      const reason = yield* reasonOf(store.update(session("a", { version: 2, value: "resurrected" })))
      const found = yield* store.get("a")

      assert.strictEqual(reason, "Gone")
      assert.isTrue(Option.isNone(found))
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("update after expiry is gone", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a", { expiresAt: 1000 }))
      yield* TestClock.setTime(1000)

      const reason = yield* reasonOf(store.update(session("a", { version: 2, expiresAt: 9000 })))
      const found = yield* store.get("a")

      assert.strictEqual(reason, "Gone")
      assert.isTrue(Option.isNone(found))
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("delete of a missing key succeeds", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore

      yield* store.delete("never-stored")
      yield* store.insert(session("a"))
      yield* store.delete("a")
      yield* store.delete("a")

      assert.isTrue(Option.isNone(yield* store.get("a")))
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("versioned delete checks the version", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a"))
      yield* store.update(session("a", { version: 2 }))

      const stale = yield* reasonOf(store.delete("a", 1))
      const kept = yield* store.get("a")
      yield* store.delete("a", 2)
      const again = yield* reasonOf(store.delete("a", 2))

      assert.strictEqual(stale, "Conflict")
      assert.isTrue(Option.isSome(kept))
      assert.isTrue(Option.isNone(yield* store.get("a")))
      assert.strictEqual(again, "Gone")
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("get expiry boundary", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a", { expiresAt: 60_000 }))

      yield* TestClock.setTime(59_999)
      const before = yield* store.get("a")
      yield* TestClock.setTime(60_000)
      const at = yield* store.get("a")

      assert.isTrue(Option.isSome(before))
      assert.isTrue(Option.isNone(at))
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("update moves the expiry", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a", { expiresAt: 1000 }))
      yield* TestClock.setTime(999)
      yield* store.update(session("a", { version: 2, expiresAt: 5000 }))

      yield* TestClock.setTime(4999)
      const before = yield* store.get("a")
      yield* TestClock.setTime(5000)
      const at = yield* store.get("a")

      assert.isTrue(Option.isSome(before))
      assert.isTrue(Option.isNone(at))
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("expired entries leave the user index", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a", { userId: "u1", expiresAt: 1000 }))
      yield* store.insert(session("b", { userId: "u1", expiresAt: 2000 }))

      yield* TestClock.setTime(1000)
      const listed = yield* store.listByUser("u1")

      assert.deepStrictEqual(
        listed.map((entry) => entry.key),
        ["b"]
      )
    }).pipe(Effect.provide(layerMemory()))
  )

  Vitest.effect("LRU evicts at maxEntries", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a", { expiresAt: 1e9 }))
      yield* store.insert(session("b", { expiresAt: 1e9 }))
      yield* store.insert(session("c", { expiresAt: 1e9 }))

      const full = yield* present(store, ["a", "b", "c"])
      yield* store.insert(session("d", { expiresAt: 1e9 }))
      const after = yield* present(store, ["a", "b", "c", "d"])

      assert.deepStrictEqual(full, [true, true, true])
      assert.deepStrictEqual(after, [false, true, true, true])
    }).pipe(Effect.provide(layerMemory({ maxEntries: 3 })))
  )

  Vitest.effect("LRU counts reads and updates as use", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a", { expiresAt: 1e9 }))
      yield* store.insert(session("b", { expiresAt: 1e9 }))
      yield* store.insert(session("c", { expiresAt: 1e9 }))
      yield* store.get("a")
      yield* store.update(session("b", { version: 2, expiresAt: 1e9 }))

      yield* store.insert(session("d", { expiresAt: 1e9 }))
      const kept = yield* present(store, ["a", "b", "c", "d"])

      assert.deepStrictEqual(kept, [true, true, false, true])
    }).pipe(Effect.provide(layerMemory({ maxEntries: 3 })))
  )

  Vitest.effect("LRU eviction leaves the user index", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("a", { userId: "u1", expiresAt: 1e9 }))
      yield* store.insert(session("b", { userId: "u1", expiresAt: 1e9 }))

      yield* store.insert(session("c", { userId: "u2", expiresAt: 1e9 }))
      const listed = yield* store.listByUser("u1")

      assert.deepStrictEqual(
        listed.map((entry) => entry.key),
        ["b"]
      )
    }).pipe(Effect.provide(layerMemory({ maxEntries: 2 })))
  )

  Vitest.effect("sweep drops expired entries before evicting", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.insert(session("live", { expiresAt: 1e9 }))
      yield* store.insert(session("stale", { expiresAt: 100 }))
      yield* TestClock.setTime(200)

      yield* store.insert(session("new", { expiresAt: 1e9 }))
      const kept = yield* present(store, ["live", "new"])

      assert.deepStrictEqual(kept, [true, true])
    }).pipe(Effect.provide(layerMemory({ maxEntries: 2, sweepIntervalMs: 100 })))
  )

  Vitest.effect("layers do not share entries", () =>
    Effect.gen(function* () {
      const first = yield* SessionStore.pipe(Effect.provide(layerMemory()))
      const second = yield* SessionStore.pipe(Effect.provide(layerMemory()))

      yield* first.insert(session("a"))
      const seen = yield* second.get("a")

      assert.isTrue(Option.isNone(seen))
    })
  )
})
