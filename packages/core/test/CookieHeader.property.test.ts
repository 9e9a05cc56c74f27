import { layerMemory } from "@seshat/adapters-memory"
import * as Cookie from "@seshat/core/Cookie"
import * as Sessions from "@seshat/core/Sessions"
import { SessionStore } from "@seshat/core/SessionStore"
import { Vitest } from "@seshat/core/testing"
import * as Token from "@seshat/core/Token"
import * as WebCookies from "@seshat/core/WebCookies"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"

const Data = Schema.Struct({ visits: Schema.Number })
class FuzzSessions extends Context.Service<FuzzSessions, Sessions.Sessions<typeof Data.Type>>()("test/FuzzSessions") {}

const name = Cookie.defaults.name

// Cookie values an attacker or a broken client might send, beyond plain random strings.
const hostileValue = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 64 }),
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.string({ minLength: 8000, maxLength: 9000 }),
  fc.constantFrom("", " ", "%00", "\u0000", '"quoted"', "a.b.c.d.e", "====", "A".repeat(43), "A".repeat(44)),
  fc.stringMatching(/^[A-Za-z0-9_-]{42}[A-Za-z0-9_-]$/),
  fc.stringMatching(/^[A-Za-z0-9_-]{43}[^;,]{1,8}$/)
)

const header = fc.oneof(
  hostileValue.map((value) => `${name}=${value}`),
  fc.tuple(hostileValue, hostileValue).map(([a, b]) => `${name}=${a}; ${name}=${b}`),
  fc.tuple(fc.string(), hostileValue).map(([other, value]) => `${other}; ${name}=${value}`),
  fc.string({ unit: "binary", maxLength: 256 })
)

type Outcome<A, E> = {
  readonly exit: Exit.Exit<A, E>
  readonly gets: number
  readonly jar: WebCookies.WebCookieJar
}

// Runs one operation on a fresh memory store, counting store reads. Resolves to undefined when the
// Fetch API itself rejects the header (control characters), before any session code could run.
const run = <A, E>(
  cookie: string,
  f: (sessions: Sessions.Sessions<typeof Data.Type>, jar: WebCookies.WebCookieJar) => Effect.Effect<A, E>
): Promise<Outcome<A, E> | undefined> => {
  let request: Request
  try {
    request = new Request("http://127.0.0.1/", { headers: { cookie } })
  } catch {
    return Promise.resolve(undefined)
  }
  let gets = 0
  const counting = Layer.effect(
    SessionStore,
    Effect.map(SessionStore, (store) =>
      SessionStore.of({ ...store, get: (key) => Effect.tap(store.get(key), () => Effect.sync(() => void gets++)) })
    )
  ).pipe(Layer.provide(layerMemory()))
  const layer = Sessions.layer(FuzzSessions, { schema: Data, initial: () => ({ visits: 0 }) }).pipe(
    Layer.provide(Layer.merge(counting, Token.layerTest()))
  )
  const jar = WebCookies.fromRequest(request)
  return Vitest.run(
    Effect.gen(function* () {
      const sessions = yield* FuzzSessions
      const exit = yield* Effect.exit(f(sessions, jar))
      return { exit, gets, jar }
    }).pipe(Effect.provide(layer))
  )
}

describe("any Cookie header", () => {
  it("read gives a typed status", async () => {
    await fc.assert(
      fc.asyncProperty(header, async (cookie) => {
        const outcome = await run(cookie, (sessions, jar) => sessions.read(jar))
        if (outcome === undefined) return

        expect(Exit.isSuccess(outcome.exit)).toBe(true)
        if (Exit.isSuccess(outcome.exit)) expect(outcome.exit.value._tag).not.toBe("Active")
      }),
      { numRuns: 300 }
    )
  })

  it("malformed values make no store calls", async () => {
    await fc.assert(
      fc.asyncProperty(hostileValue, async (value) => {
        fc.pre(!Token.isWellFormed(value.trim()))
        const outcome = await run(`${name}=${value}`, (sessions, jar) => sessions.read(jar))
        if (outcome === undefined) return

        expect(outcome.gets).toBe(0)
      }),
      { numRuns: 300 }
    )
  })

  it("ensure replaces any presented value", async () => {
    await fc.assert(
      fc.asyncProperty(hostileValue, async (value) => {
        const outcome = await run(`${name}=${value}`, (sessions, jar) => sessions.ensure(jar))
        if (outcome === undefined) return
        const issued = Cookie.read(outcome.jar.setCookieHeaders()[0]?.split(";")[0], name)

        expect(Exit.isSuccess(outcome.exit)).toBe(true)
        expect(issued._tag).toBe("Present")
        if (issued._tag === "Present") expect(issued.value).not.toBe(value.trim())
      }),
      { numRuns: 200 }
    )
  })
})
