/**
 * Validate with the memory store, no renewal due. The core reads through the Promise API and
 * through the Effect service, with a new `WebCookies` jar per request. The floor, measured in the
 * same process, is SHA-256, `Map.get`, `JSON.parse` and a Schema decode of the same stored record.
 * Other libraries' per-request work runs alongside.
 */
import { hash, randomBytes } from "node:crypto"
import { layerMemory, MemoryStore } from "@seshat/adapters-memory"
import { SessionManager, Sessions, Token, WebCookies } from "@seshat/core"
import signature from "cookie-signature"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import session from "express-session"
import { sealData, unsealData } from "iron-session"
import { cookieValue, initialData, quietLogs, SESHAT_COOKIE, SessionData } from "./lib/fixtures.ts"
import { type Candidate, compare, type Timing } from "./lib/micro.ts"
import { type Result as Report, runScript, type ScriptOptions } from "./lib/report.ts"

const STORE_KEY = "bench-validate"
const IRON_PASSWORD = "a-password-of-at-least-32-characters-for-iron"
const COOKIE_SECRET = "cookie-signature-secret"
let sink: unknown

class BenchSessions extends Context.Service<BenchSessions, Sessions.Sessions<SessionData>>()("bench/Sessions") {}

// The floor decodes the stored text with a Schema of the same shape and checks as the core's
// record codec, built here so the floor does not depend on the core's code.
const Millis = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))
const FloorRecord = Schema.Struct({
  id: Schema.String,
  userId: Schema.optionalKey(Schema.String),
  data: SessionData,
  createdAt: Millis,
  authenticatedAt: Schema.optionalKey(Millis),
  lastActivityAt: Millis,
  idleExpiresAt: Millis,
  absoluteExpiresAt: Millis,
  flash: Schema.optionalKey(Schema.String)
})
const decodeFloorRecord = Schema.decodeUnknownResult(FloorRecord)

// The one-shot `crypto.hash` (Node 20.12 and later) is the fastest SHA-256 on Node and the one the
// core uses, so the floor and the Lucia-style validator use it too.
const sha256 = (text: string, encoding: "base64url" | "hex") => hash("sha256", text, encoding)

interface LuciaSession {
  readonly id: string
  readonly userId: string
  expiresAt: Date
  readonly data: SessionData
}

const DAY_MS = 24 * 60 * 60 * 1000

// The validator that Lucia's documentation has apps write. The session id is the SHA-256 of the
// token in lowercase hex and the row comes back as an object. A session with less than half of its
// 30 days left is extended.
const luciaValidate = (sessions: Map<string, LuciaSession>, token: string): LuciaSession | null => {
  const id = sha256(token, "hex")
  const found = sessions.get(id)
  if (found === undefined) return null
  const now = Date.now()
  if (now >= found.expiresAt.getTime()) {
    sessions.delete(id)
    return null
  }
  if (now >= found.expiresAt.getTime() - 15 * DAY_MS) found.expiresAt = new Date(now + 30 * DAY_MS)
  return found
}

const measure = async (options: ScriptOptions): Promise<Report> => {
  const poolSize = options.short ? 1024 : 4096
  const settings = { rounds: options.short ? 5 : 9, roundMs: options.short ? 150 : 400, sessions: poolSize }

  // Both faces of the core share one memory store, so they read the same sessions. Both log at Warn
  // and above only, so the Info line for each new session stays out of the output.
  const store = () => layerMemory({ globalKey: STORE_KEY, maxEntries: poolSize * 2 })
  const manager = SessionManager.make({ schema: SessionData, initial: initialData, store: store(), logLevel: "Warn" })
  const runtime = ManagedRuntime.make(
    Sessions.layer(BenchSessions, { schema: SessionData, initial: initialData }).pipe(
      Layer.provide(Layer.merge(store(), Token.layerWebCrypto)),
      Layer.merge(quietLogs)
    )
  )
  const sessions = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* BenchSessions
    })
  )
  const storeReader = MemoryStore.make({ globalKey: STORE_KEY, maxEntries: poolSize * 2 })

  const tokens: Array<string> = []
  const requests: Array<Request> = []
  const floor = new Map<string, string>()
  for (let i = 0; i < poolSize; i++) {
    const jar = WebCookies.fromRequest(new Request("http://127.0.0.1/"))
    await runtime.runPromise(sessions.ensure(jar))
    const token = cookieValue(jar.setCookieHeaders()[0]!, SESHAT_COOKIE)
    tokens.push(token)
    requests.push(new Request("http://127.0.0.1/", { headers: { cookie: `${SESHAT_COOKIE}=${token}` } }))
    const key = sha256(token, "base64url")
    const stored = Effect.runSync(storeReader.get(key))
    if (Option.isNone(stored)) throw new Error("a session just created is missing from the memory store")
    floor.set(key, stored.value.value)
  }
  const recordBytes = Buffer.byteLength(floor.values().next().value!)

  const lucia = new Map<string, LuciaSession>()
  for (const [i, token] of tokens.entries()) {
    lucia.set(sha256(token, "hex"), {
      id: sha256(token, "hex"),
      userId: `user-${i}`,
      expiresAt: new Date(Date.now() + 30 * DAY_MS),
      data: initialData()
    })
  }

  const seals = await Promise.all(
    Array.from({ length: 64 }, () => sealData(initialData(), { password: IRON_PASSWORD, ttl: 14 * 24 * 3600 }))
  )
  const signedIds = Array.from({ length: 256 }, () =>
    signature.sign(randomBytes(24).toString("base64url"), COOKIE_SECRET)
  )
  const expressStore = new session.MemoryStore()
  const expressIds = signedIds.map((signed) => signed.slice(0, signed.lastIndexOf(".")))
  for (const id of expressIds) {
    // The cookie fields that express-session keeps with each session. MemoryStore.get checks `expires`.
    const cookie = {
      originalMaxAge: 30 * DAY_MS,
      expires: new Date(Date.now() + 30 * DAY_MS),
      path: "/",
      httpOnly: true
    }
    const data = { cookie: cookie as session.Cookie, ...initialData() }
    await new Promise<void>((resolve, reject) =>
      expressStore.set(id, data, (error) => (error ? reject(error) : resolve()))
    )
  }

  // Sanity checks: every path must see a live session, or the timings measure a miss.
  const firstStatus = await manager.read(WebCookies.fromRequest(requests[0]!))
  if (firstStatus._tag !== "Active") throw new Error(`the Promise API read ${firstStatus._tag}, expected Active`)
  if (firstStatus.session.data.visits !== initialData().visits) throw new Error("the Promise API read other data")
  const effectStatus = runtime.runSync(sessions.read(WebCookies.fromRequest(requests[1]!)))
  if (effectStatus._tag !== "Active") throw new Error(`the Effect API read ${effectStatus._tag}, expected Active`)
  if (luciaValidate(lucia, tokens[0]!) === null) throw new Error("the Lucia-style validator found no session")
  if ((await unsealData<SessionData>(seals[0]!, { password: IRON_PASSWORD })).visits !== initialData().visits) {
    throw new Error("iron-session unsealed other data")
  }
  const expressFirst = await new Promise<unknown>((resolve, reject) =>
    expressStore.get(expressIds[0]!, (error, data) => (error ? reject(error) : resolve(data)))
  )
  if ((expressFirst as Partial<SessionData> | undefined)?.visits !== initialData().visits) {
    throw new Error("express-session's MemoryStore returned no session")
  }
  if (signature.unsign(signedIds[0]!, COOKIE_SECRET) === false)
    throw new Error("cookie-signature rejected its own signature")

  const mask = poolSize - 1
  const candidates: ReadonlyArray<Candidate> = [
    {
      name: "floor: SHA-256 + Map.get + JSON.parse + Schema decode",
      run: (count) => {
        for (let i = 0; i < count; i++) {
          const text = floor.get(sha256(tokens[i & mask]!, "base64url"))!
          const decoded = decodeFloorRecord(JSON.parse(text))
          if (Result.isFailure(decoded)) throw new Error("the floor failed to decode a record")
          const record = decoded.success
          sink = Date.now() < Math.min(record.idleExpiresAt, record.absoluteExpiresAt) ? record : undefined
        }
      }
    },
    {
      name: "Seshat SessionManager.read (Promise API)",
      run: async (count) => {
        for (let i = 0; i < count; i++) sink = await manager.read(WebCookies.fromRequest(requests[i & mask]!))
      }
    },
    {
      name: "Seshat Sessions.read (Effect API, runSync)",
      run: (count) => {
        for (let i = 0; i < count; i++)
          sink = runtime.runSync(sessions.read(WebCookies.fromRequest(requests[i & mask]!)))
      }
    },
    {
      name: "Lucia-style validator (SHA-256 hex + Map.get + expiry)",
      run: (count) => {
        for (let i = 0; i < count; i++) sink = luciaValidate(lucia, tokens[i & mask]!)
      }
    },
    {
      name: "cookie-signature unsign",
      run: (count) => {
        for (let i = 0; i < count; i++) sink = signature.unsign(signedIds[i & 255]!, COOKIE_SECRET)
      }
    },
    {
      name: "express-session: unsign + MemoryStore.get",
      run: async (count) => {
        for (let i = 0; i < count; i++) {
          const id = signature.unsign(signedIds[i & 255]!, COOKIE_SECRET)
          if (id === false) throw new Error("cookie-signature rejected its own signature")
          sink = await new Promise((resolve, reject) =>
            expressStore.get(id, (error, data) => (error ? reject(error) : resolve(data)))
          )
        }
      }
    },
    {
      name: "iron-session 8 unsealData",
      run: async (count) => {
        for (let i = 0; i < count; i++) sink = await unsealData(seals[i & 63]!, { password: IRON_PASSWORD })
      }
    }
  ]

  const timings = await compare(candidates, settings)
  void sink
  await manager.dispose()
  await runtime.dispose()

  const byName = (prefix: string): Timing => timings.find((timing) => timing.name.startsWith(prefix))!
  const floorTiming = byName("floor")
  const promiseApi = byName("Seshat SessionManager")
  const effectApi = byName("Seshat Sessions")
  const target = { bound: "at most", limit: 2 } as const
  return {
    id: "validate",
    title: "Validate with the memory store, no renewal due",
    settings: { ...settings, recordBytes },
    figures: timings.map((timing) => ({
      name: timing.name,
      value: timing.medianNs / 1000,
      unit: "µs/validate",
      rounds: timing.roundsNs.map((ns) => ns / 1000)
    })),
    ratios: [
      { name: "Seshat Promise API / floor", value: promiseApi.medianNs / floorTiming.medianNs, target },
      { name: "Seshat Effect API (runSync) / floor", value: effectApi.medianNs / floorTiming.medianNs, target },
      ...timings
        .filter((timing) => timing !== floorTiming && timing !== promiseApi && timing !== effectApi)
        .map((timing) => ({
          name: `Seshat Promise API / ${timing.name}`,
          value: promiseApi.medianNs / timing.medianNs
        }))
    ],
    notes: [
      `Every Seshat read gets a new WebCookies jar over a prebuilt Request, so the cookie header parse counts and the Request construction does not. The stored record is ${recordBytes} bytes.`,
      `Each path cycles through ${poolSize} live sessions (iron-session through 64 seals, cookie-signature through 256 signed ids).`
    ]
  }
}

runScript(measure)
