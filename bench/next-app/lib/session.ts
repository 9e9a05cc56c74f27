import { layerMemory } from "@seshat/adapters-memory"
import { NextSessions } from "@seshat/adapters-next"
import { initialData, SessionData } from "../../src/lib/fixtures"

/** The sessions of the benchmark app, in the memory store shared by every route bundle. */
export const sessions = NextSessions.make({
  schema: SessionData,
  initial: initialData,
  store: layerMemory({ globalKey: "seshat-bench-next" })
})
