import { StoreSuite } from "@seshat/core/testing"
import { SessionStore } from "@seshat/core/SessionStore"
import { layerMemory } from "@seshat/adapters-memory"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { assert } from "vitest"

StoreSuite.run("MemoryStore", {
  layer: () => layerMemory(),
  extra: (test) => {
    test("evicts the least recently used entry", () =>
      Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.insert(StoreSuite.stored({ key: "k0" }))
        yield* store.insert(StoreSuite.stored({ key: "k1" }))
        yield* store.get("k0")

        for (let i = 2; i < 4; i++) yield* store.insert(StoreSuite.stored({ key: `k${i}` }))
        const kept = yield* Effect.forEach(["k0", "k1", "k2", "k3"], (key) => store.get(key))

        assert.deepStrictEqual(kept.map(Option.isSome), [true, false, true, true])
      }).pipe(Effect.provide(layerMemory({ maxEntries: 3 }))))
  }
})
