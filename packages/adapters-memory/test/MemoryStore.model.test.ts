import { layerMemory } from "@seshat/adapters-memory"
import { SessionModel } from "@seshat/core/testing"
import { describe, it } from "vitest"

describe("MemoryStore", () => {
  it("agrees with the session model", () => SessionModel.check({ store: () => layerMemory(), numRuns: 150 }), 120_000)
})
