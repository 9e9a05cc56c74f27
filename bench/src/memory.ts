/**
 * Memory: the heap that the memory store uses for many sessions of a 200-byte record, and the
 * overhead per session beyond the record. The floor is a plain `Map` from 43-character keys to
 * records of the same size. Run with `--expose-gc`, so each reading follows a full collection.
 */
import { createHash, randomBytes } from "node:crypto"
import { layerMemory, MemoryStore } from "@seshat/adapters-memory"
import { Sessions, Token, WebCookies } from "@seshat/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { cookieValue, initialData, quietLogs, SESHAT_COOKIE, SessionData } from "./lib/fixtures.ts"
import { type Result, runScript, type ScriptOptions } from "./lib/report.ts"

const STORE_KEY = "bench-memory"
const MB = 1024 * 1024

class BenchSessions extends Context.Service<BenchSessions, Sessions.Sessions<SessionData>>()("bench/Sessions") {}

const collect = (): void => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("run this script with node --expose-gc")
  // Two passes let objects with finalizers or weak references go too.
  gc()
  gc()
}

const heapUsed = (): number => {
  collect()
  return process.memoryUsage().heapUsed
}

const measure = async (options: ScriptOptions): Promise<Result> => {
  const count = options.short ? 100_000 : 1_000_000
  const runtime = ManagedRuntime.make(
    Sessions.layer(BenchSessions, { schema: SessionData, initial: initialData }).pipe(
      Layer.provide(Layer.merge(layerMemory({ globalKey: STORE_KEY, maxEntries: count }), Token.layerWebCrypto)),
      Layer.merge(quietLogs)
    )
  )
  const sessions = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* BenchSessions
    })
  )
  const anonymous = new Request("http://127.0.0.1/")
  const create = () => {
    const jar = WebCookies.fromRequest(anonymous)
    runtime.runSync(sessions.ensure(jar))
    return jar
  }

  // One session first, so the heap baseline already contains the compiled code and the store's Map.
  const first = create()
  const firstToken = cookieValue(first.setCookieHeaders()[0]!, SESHAT_COOKIE)
  const firstKey = createHash("sha256").update(firstToken).digest("base64url")
  const stored = Effect.runSync(MemoryStore.make({ globalKey: STORE_KEY }).get(firstKey))
  if (Option.isNone(stored)) throw new Error("the first session is missing from the memory store")
  const recordBytes = Buffer.byteLength(stored.value.value)

  const started = performance.now()
  const before = heapUsed()
  for (let i = 1; i < count; i++) create()
  const after = heapUsed()
  const seconds = (performance.now() - started) / 1000
  const seshatPerSession = (after - before) / (count - 1)
  const seshatHeap = after

  // The floor: the same number of 43-character keys mapped to distinct records of the same size.
  const template = JSON.parse(stored.value.value) as Record<string, unknown>
  const floorBefore = heapUsed()
  const floor = new Map<string, string>()
  for (let i = 0; i < count; i++) {
    const key = createHash("sha256").update(randomBytes(32)).digest("base64url")
    // JSON.stringify gives a flat string of its own per entry, as each stored record is.
    floor.set(key, JSON.stringify({ ...template, id: randomBytes(16).toString("base64url") }))
  }
  const floorPerEntry = (heapUsed() - floorBefore) / count
  if (floor.size !== count) throw new Error("the floor Map lost entries")
  await runtime.dispose()

  return {
    id: "memory",
    title: `Memory store heap for ${count.toLocaleString("en-US")} sessions of a ${recordBytes}-byte record`,
    settings: { sessions: count, recordBytes, secondsToCreate: Math.round(seconds) },
    figures: [
      { name: "heap used with every session in the store (whole process)", value: seshatHeap / MB, unit: "MB" },
      { name: "heap per session in the memory store", value: seshatPerSession, unit: "bytes" },
      { name: "overhead per session beyond the record", value: seshatPerSession - recordBytes, unit: "bytes" },
      { name: "heap per entry of the floor Map<key, record>", value: floorPerEntry, unit: "bytes" },
      {
        name: "heap for 1,000,000 sessions, from the per-session figure",
        value: (seshatPerSession * 1_000_000) / MB,
        unit: "MB"
      }
    ],
    ratios: [
      {
        name: "heap for 1,000,000 sessions / 1 GB",
        value: (seshatPerSession * 1_000_000) / (1024 * MB),
        target: { bound: "at most", limit: 1 }
      },
      { name: "memory store per session / floor Map per entry", value: seshatPerSession / floorPerEntry }
    ],
    notes: [
      "Heap figures are process.memoryUsage().heapUsed after two forced garbage collections, so strings, objects and Map tables count. The runtime's own baseline is subtracted.",
      "Sessions are created through the Effect service (ensure with a new cookie jar each), so the store holds exactly what the core writes: key, public id, version, expiry, deadline and the encoded record."
    ]
  }
}

runScript(measure)
