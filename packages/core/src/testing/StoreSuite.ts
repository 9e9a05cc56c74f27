/**
 * The conformance suite that every `SessionStore` must pass: compare-and-set, conflicts, no
 * resurrection after delete, TTL, the user index, revoke-all, listing, expiry clean-up and large
 * values. A store runs it in a few lines:
 *
 * ```ts
 * import { StoreSuite } from "@seshat/core/testing"
 * import { layerMemory } from "@seshat/adapters-memory"
 *
 * StoreSuite.run("MemoryStore", { layer: () => layerMemory() })
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import { TestClock } from "effect/testing"
import { assert, describe, it } from "vitest"
import { SessionStore, type StoredSession } from "../SessionStore.js"
import * as Vitest from "./Vitest.js"

/**
 * The capabilities of a store, so the suite skips the checks that do not apply.
 *
 * @since 0.1.0
 * @category models
 */
export interface Capabilities {
  /**
   * Whether the store reads time from Effect's `Clock`, so `TestClock` can move it past an expiry.
   * A store whose server keeps time (Redis TTLs) sets this to false and checks expiry in its own hook.
   */
  readonly effectClock: boolean
}

/**
 * Options of a suite run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** A fresh, empty store for each test. */
  readonly layer: () => Layer.Layer<SessionStore, unknown>
  readonly capabilities?: Partial<Capabilities> | undefined
  /** Store-specific checks, registered inside the suite's `describe` block. */
  readonly extra?: ((test: StoreTest) => void) | undefined
}

/**
 * Registers one test that runs with a fresh store and a `TestClock`.
 *
 * @since 0.1.0
 * @category models
 */
export type StoreTest = <A, E>(name: string, self: () => Effect.Effect<A, E, SessionStore | Scope.Scope>) => void

/**
 * A stored session for tests. Keys in one test must differ; pass `key` to choose one.
 *
 * @since 0.1.0
 * @category fixtures
 */
export const stored = (overrides: Partial<StoredSession> = {}): StoredSession => ({
  key: "k-default",
  sessionId: "s-default",
  userId: undefined,
  version: 1,
  expiresAt: 60_000,
  deadline: 120_000,
  value: JSON.stringify({ hello: "world" }),
  ...overrides
})

const failureReason = <A>(result: Result.Result<A, { readonly reason: string }>): string | undefined =>
  Result.isFailure(result) ? result.failure.reason : undefined

/**
 * Registers the suite with Vitest.
 *
 * @since 0.1.0
 * @category suites
 */
export const run = (name: string, options: Options): void => {
  const capabilities: Capabilities = { effectClock: true, ...options.capabilities }
  const test: StoreTest = (testName, self) =>
    Vitest.effect(testName, () =>
      Effect.gen(function* () {
        const layer = options.layer()
        return yield* self().pipe(Effect.provide(layer))
      })
    )

  describe(`${name} conformance`, () => {
    test("get of a missing key is none", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore

        const found = yield* store.get("missing")

        assert.isTrue(Option.isNone(found))
      }))

    test("insert then get round-trips", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        const session = stored({ key: "k1", sessionId: "s1", userId: "u1", value: '{"ünïcode":"✓ 😀"}' })
        yield* store.insert(session)

        const found = yield* store.get("k1")

        assert.isTrue(Option.isSome(found))
        assert.deepStrictEqual(Option.getOrThrow(found), session)
      }))

    test("insert of a live key is a collision", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.insert(stored({ key: "k1", value: "first" }))

        const result = yield* Effect.result(store.insert(stored({ key: "k1", value: "second" })))
        const found = yield* store.get("k1")

        assert.strictEqual(failureReason(result), "Collision")
        assert.strictEqual(Option.getOrThrow(found).value, "first")
      }))

    test("get matches the whole key", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.insert(stored({ key: "abcdef" }))

        const prefix = yield* store.get("abc")
        const longer = yield* store.get("abcdefg")

        assert.isTrue(Option.isNone(prefix))
        assert.isTrue(Option.isNone(longer))
      }))

    test("update with the next version succeeds", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.insert(stored({ key: "k1" }))

        yield* store.update(stored({ key: "k1", version: 2, value: "changed" }))
        const found = Option.getOrThrow(yield* store.get("k1"))

        assert.strictEqual(found.version, 2)
        assert.strictEqual(found.value, "changed")
      }))

    test("update with a stale version conflicts", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.insert(stored({ key: "k1" }))
        yield* store.update(stored({ key: "k1", version: 2, value: "winner" }))

        const result = yield* Effect.result(store.update(stored({ key: "k1", version: 2, value: "loser" })))
        const found = Option.getOrThrow(yield* store.get("k1"))

        assert.strictEqual(failureReason(result), "Conflict")
        assert.strictEqual(found.value, "winner")
        assert.strictEqual(found.version, 2)
      }))

    test("concurrent updates let one win", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.insert(stored({ key: "k1" }))

        const results = yield* Effect.all(
          Array.from({ length: 8 }, (_, i) =>
            Effect.result(store.update(stored({ key: "k1", version: 2, value: `writer ${i}` })))
          ),
          { concurrency: "unbounded" }
        )
        const found = Option.getOrThrow(yield* store.get("k1"))

        assert.strictEqual(results.filter(Result.isSuccess).length, 1)
        assert.strictEqual(results.filter((result) => failureReason(result) === "Conflict").length, 7)
        assert.strictEqual(found.version, 2)
      }))

    test("update of a missing key is gone", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore

        const result = yield* Effect.result(store.update(stored({ key: "k1", version: 2 })))
        const found = yield* store.get("k1")

        assert.strictEqual(failureReason(result), "Gone")
        assert.isTrue(Option.isNone(found))
      }))

    test("update after delete never resurrects", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.insert(stored({ key: "k1", userId: "u1" }))
        yield* store.delete("k1")

        const result = yield* Effect.result(store.update(stored({ key: "k1", userId: "u1", version: 2 })))
        const found = yield* store.get("k1")
        const listed = yield* store.listByUser("u1")

        assert.strictEqual(failureReason(result), "Gone")
        assert.isTrue(Option.isNone(found))
        assert.strictEqual(listed.length, 0)
      }))

    test("delete of a missing key succeeds", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore

        const result = yield* Effect.result(store.delete("missing"))

        assert.isTrue(Result.isSuccess(result))
      }))

    test("versioned delete checks the version", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.insert(stored({ key: "k1" }))

        const stale = yield* Effect.result(store.delete("k1", 7))
        const kept = yield* store.get("k1")
        yield* store.delete("k1", 1)
        const gone = yield* store.get("k1")
        const again = yield* Effect.result(store.delete("k1", 1))

        assert.strictEqual(failureReason(stale), "Conflict")
        assert.isTrue(Option.isSome(kept))
        assert.isTrue(Option.isNone(gone))
        assert.strictEqual(failureReason(again), "Gone")
      }))

    test("concurrent versioned deletes let one win", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.insert(stored({ key: "k1" }))

        const results = yield* Effect.all(
          Array.from({ length: 4 }, () => Effect.result(store.delete("k1", 1))),
          { concurrency: "unbounded" }
        )

        assert.strictEqual(results.filter(Result.isSuccess).length, 1)
      }))

    test("listByUser returns that user's live sessions", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.insert(stored({ key: "a1", sessionId: "sa1", userId: "alice" }))
        yield* store.insert(stored({ key: "a2", sessionId: "sa2", userId: "alice" }))
        yield* store.insert(stored({ key: "b1", sessionId: "sb1", userId: "bob" }))
        yield* store.insert(stored({ key: "n1", sessionId: "sn1" }))

        const alice = yield* store.listByUser("alice")
        const bob = yield* store.listByUser("bob")
        const nobody = yield* store.listByUser("carol")

        assert.deepStrictEqual(alice.map((session) => session.sessionId).sort(), ["sa1", "sa2"])
        assert.deepStrictEqual(
          bob.map((session) => session.sessionId),
          ["sb1"]
        )
        assert.strictEqual(nobody.length, 0)
      }))

    test("user ids round trip exactly, the empty one included", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.insert(stored({ key: "e1", sessionId: "se1", userId: "" }))
        yield* store.insert(stored({ key: "p1", sessionId: "sp1", userId: "=alice" }))
        yield* store.insert(stored({ key: "n1", sessionId: "sn1" }))

        const empty = yield* store.listByUser("")
        const prefixed = yield* store.listByUser("=alice")
        const read = yield* Effect.forEach(["e1", "p1", "n1"], (key) => store.get(key))
        yield* store.delete("e1")
        const afterDelete = yield* store.listByUser("")

        assert.deepStrictEqual(
          empty.map((session) => session.sessionId),
          ["se1"]
        )
        assert.deepStrictEqual(
          prefixed.map((session) => session.sessionId),
          ["sp1"]
        )
        assert.deepStrictEqual(
          read.map((session) => Option.getOrThrow(session).userId),
          ["", "=alice", undefined]
        )
        assert.strictEqual(afterDelete.length, 0)
      }))

    test("listByUser drops deleted sessions", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.insert(stored({ key: "a1", sessionId: "sa1", userId: "alice" }))
        yield* store.insert(stored({ key: "a2", sessionId: "sa2", userId: "alice" }))
        yield* store.delete("a1")

        const alice = yield* store.listByUser("alice")

        assert.deepStrictEqual(
          alice.map((session) => session.sessionId),
          ["sa2"]
        )
      }))

    test("revoking all of a user's sessions", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        for (let i = 0; i < 5; i++) {
          yield* store.insert(stored({ key: `a${i}`, sessionId: `sa${i}`, userId: "alice" }))
        }
        yield* store.insert(stored({ key: "b1", sessionId: "sb1", userId: "bob" }))

        for (const session of yield* store.listByUser("alice")) {
          if (session.sessionId !== "sa0") yield* store.delete(session.key)
        }
        const alice = yield* store.listByUser("alice")
        const bob = yield* store.listByUser("bob")
        const revoked = yield* store.get("a1")

        assert.deepStrictEqual(
          alice.map((session) => session.sessionId),
          ["sa0"]
        )
        assert.strictEqual(bob.length, 1)
        assert.isTrue(Option.isNone(revoked))
      }))

    test("large values round-trip intact", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        const value = JSON.stringify({ blob: "x".repeat(256 * 1024), text: "ünïcode ✓ 😀" })
        yield* store.insert(stored({ key: "big", value }))

        const found = Option.getOrThrow(yield* store.get("big"))

        assert.strictEqual(found.value.length, value.length)
        assert.strictEqual(found.value, value)
      }))

    test("values are stored verbatim, even when not JSON", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        const values = ["not json", "{", '{"__proto__":{"isAdmin":true}}', ""]
        for (const [i, value] of values.entries()) {
          yield* store.insert(stored({ key: `raw${i}`, value }))
        }

        const found = yield* Effect.forEach(values, (_, i) => store.get(`raw${i}`))

        assert.deepStrictEqual(
          found.map((entry) => Option.getOrThrow(entry).value),
          values
        )
      }))

    if (capabilities.effectClock) {
      test("records expire at expiresAt", () =>
        Effect.gen(function* () {
          const store = yield* SessionStore
          yield* store.insert(stored({ key: "k1", userId: "alice", expiresAt: 10_000 }))

          yield* TestClock.setTime(9_999)
          const before = yield* store.get("k1")
          yield* TestClock.setTime(10_000)
          const after = yield* store.get("k1")
          const listed = yield* store.listByUser("alice")

          assert.isTrue(Option.isSome(before))
          assert.isTrue(Option.isNone(after))
          assert.strictEqual(listed.length, 0)
        }))

      test("an expired key can be inserted again", () =>
        Effect.gen(function* () {
          const store = yield* SessionStore
          yield* store.insert(stored({ key: "k1", expiresAt: 10_000, value: "old" }))
          yield* TestClock.setTime(10_000)

          yield* store.insert(stored({ key: "k1", expiresAt: 20_000, value: "new" }))
          const found = Option.getOrThrow(yield* store.get("k1"))

          assert.strictEqual(found.value, "new")
          assert.strictEqual(found.version, 1)
        }))

      test("update of an expired record is gone", () =>
        Effect.gen(function* () {
          const store = yield* SessionStore
          yield* store.insert(stored({ key: "k1", expiresAt: 10_000 }))
          yield* TestClock.setTime(10_000)

          const result = yield* Effect.result(store.update(stored({ key: "k1", version: 2, expiresAt: 30_000 })))
          const found = yield* store.get("k1")

          assert.strictEqual(failureReason(result), "Gone")
          assert.isTrue(Option.isNone(found))
        }))

      test("update moves the expiry", () =>
        Effect.gen(function* () {
          const store = yield* SessionStore
          yield* store.insert(stored({ key: "k1", expiresAt: 10_000 }))
          yield* store.update(stored({ key: "k1", version: 2, expiresAt: 30_000 }))

          yield* TestClock.setTime(29_999)
          const before = yield* store.get("k1")
          yield* TestClock.setTime(30_000)
          const after = yield* store.get("k1")

          assert.isTrue(Option.isSome(before))
          assert.isTrue(Option.isNone(after))
        }))
    } else {
      it.skip("records expire at expiresAt (the store keeps its own time)")
    }

    options.extra?.(test)
  })
}
