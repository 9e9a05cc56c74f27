import { layerMemory } from "@seshat/adapters-memory"
import { NextSessions } from "@seshat/adapters-next"
import { StoreUnavailable } from "@seshat/core/SessionError"
import { SessionStore, StoreError } from "@seshat/core/SessionStore"
import * as WebCookies from "@seshat/core/WebCookies"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { NextRequest, NextResponse } from "next/server.js"
import { describe, expect, it } from "vitest"

const MINUTE = 60_000
const name = "__Host-seshat"

// A clock the test moves by hand; the session service reads it through Effect's Clock port.
const manualClock = (start: number) => {
  let now = start
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: () => now,
    currentTimeMillis: Effect.sync(() => now),
    currentTimeNanosUnsafe: () => BigInt(now) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
    monotonicTimeNanosUnsafe: () => BigInt(now) * 1_000_000n,
    monotonicTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
    sleep: () => Effect.void
  }
  const advance = (ms: number) => {
    now += ms
  }
  return { clock, advance }
}

const Data = Schema.Struct({ visits: Schema.Number })

const setup = (store: Layer.Layer<SessionStore> = layerMemory()) => {
  const time = manualClock(Date.UTC(2026, 0, 1))
  const sessions = NextSessions.make({
    schema: Data,
    initial: () => ({ visits: 0 }),
    store,
    clock: time.clock,
    policy: { idleTimeout: "30 minutes", renewalInterval: "1 minute" }
  })
  const start = async () => {
    const jar = WebCookies.fromRequest(new Request("http://127.0.0.1/"))
    await sessions.manager.ensure(jar)
    return jar.setCookieHeaders()[0]!.split(";")[0]!
  }
  return { sessions, time, start }
}

const request = (cookie: string | undefined, init: { method?: string; headers?: Record<string, string> } = {}) =>
  new NextRequest("http://127.0.0.1/page", {
    method: init.method ?? "GET",
    headers: { ...(cookie === undefined ? {} : { cookie }), ...init.headers }
  })

const sessionCookies = (response: Response) =>
  response.headers.getSetCookie().filter((header) => header.startsWith(`${name}=`))

describe("NextSessions.proxy", () => {
  it("renews a due session", async () => {
    const { sessions, time, start } = setup()
    const cookie = await start()
    time.advance(2 * MINUTE)

    const response = await sessions.proxy(request(cookie))

    expect(sessionCookies(response)).toHaveLength(1)
    expect(sessionCookies(response)[0]).toContain(cookie)
    expect(sessionCookies(response)[0]).toContain("Max-Age=1800")
    // Next copies this header onto the request, so the same request's render sees the cookie.
    expect(response.headers.get("x-middleware-set-cookie")).toContain(cookie)
  })

  it("leaves a fresh session alone", async () => {
    const { sessions, time, start } = setup()
    const cookie = await start()
    time.advance(MINUTE - 1)

    const response = await sessions.proxy(request(cookie))

    expect(sessionCookies(response)).toHaveLength(0)
  })

  it("never creates a session", async () => {
    const { sessions } = setup()

    const response = await sessions.proxy(request(undefined))

    expect(sessionCookies(response)).toHaveLength(0)
  })

  it("leaves an expired cookie alone", async () => {
    const { sessions, time, start } = setup()
    const cookie = await start()
    time.advance(31 * MINUTE)

    const response = await sessions.proxy(request(cookie))

    expect(sessionCookies(response)).toHaveLength(0)
  })

  it("ignores duplicated session cookies", async () => {
    const { sessions, time, start } = setup()
    const cookie = await start()
    const other = await start()
    time.advance(2 * MINUTE)

    const response = await sessions.proxy(request(`${cookie}; ${other}`))

    expect(sessionCookies(response)).toHaveLength(0)
  })

  it("skips Server Action posts", async () => {
    const { sessions, time, start } = setup()
    const cookie = await start()
    time.advance(2 * MINUTE)

    const action = await sessions.proxy(request(cookie, { method: "POST", headers: { "next-action": "abc123" } }))
    const post = await sessions.proxy(request(cookie, { method: "POST" }))

    expect(sessionCookies(action)).toHaveLength(0)
    expect(sessionCookies(post)).toHaveLength(0)
  })

  it("renews once per request", async () => {
    const { sessions, time, start } = setup()
    const cookie = await start()
    time.advance(2 * MINUTE)
    const once = request(cookie)
    const response = NextResponse.next()

    await sessions.proxy(once, response)
    const first = sessionCookies(response)
    time.advance(2 * MINUTE)
    await sessions.proxy(once, response)

    // A second renewal would carry a later Expires.
    expect(sessionCookies(response)).toEqual(first)
  })

  it("passes through a store outage", async () => {
    const down = Layer.succeed(
      SessionStore,
      SessionStore.of({
        get: () => Effect.fail(new StoreError({ reason: "Unavailable", cause: new Error("connection refused") })),
        insert: () => Effect.void,
        update: () => Effect.void,
        delete: () => Effect.void,
        listByUser: () => Effect.succeed([])
      })
    )
    const { sessions } = setup(down)
    const token = `${"A".repeat(42)}A`

    const response = await sessions.proxy(request(`${name}=${token}`))

    expect(response.status).toBe(200)
    expect(sessionCookies(response)).toHaveLength(0)
  })
})

describe("NextSessions.route", () => {
  it("maps a store outage to 503", async () => {
    const { sessions } = setup()
    const handler = sessions.route(async () => {
      throw new StoreUnavailable({ operation: "get", cause: new Error("connection refused") })
    })

    const response = await handler()

    expect(response.status).toBe(503)
    expect(response.headers.get("cache-control")).toBe("no-store")
    expect(response.headers.getSetCookie()).toHaveLength(0)
  })

  it("rethrows other errors", async () => {
    const { sessions } = setup()
    const handler = sessions.route(async () => {
      throw new TypeError("bug in the handler")
    })

    await expect(handler()).rejects.toThrow("bug in the handler")
  })
})
