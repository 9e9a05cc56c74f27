import { SessionConflict, StoreUnavailable } from "@seshat/core/SessionError"
// `next/server` exports NextFetchEvent as a type only; this is the class Next itself constructs.
import { NextFetchEvent } from "next/dist/server/web/spec-extension/fetch-event.js"
import { NextRequest, type NextProxy, NextResponse } from "next/server.js"
import { describe, expect, it } from "vitest"
import { COOKIE_NAME, MINUTE, readLater, setup } from "./support.js"

const request = (cookie: string | undefined, init: { method?: string; headers?: Record<string, string> } = {}) =>
  new NextRequest("http://127.0.0.1/page", {
    method: init.method ?? "GET",
    headers: { ...(cookie === undefined ? {} : { cookie }), ...init.headers }
  })

const sessionCookies = (response: Response) =>
  response.headers.getSetCookie().filter((header) => header.startsWith(`${COOKIE_NAME}=`))

const varyFields = (response: Response) =>
  (response.headers.get("vary") ?? "").split(",").map((field) => field.trim().toLowerCase())

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

  it("works as the exported proxy", async () => {
    const { sessions, time, start } = setup()
    const cookie = await start()
    time.advance(2 * MINUTE)
    // Next 16 calls the exported proxy with the request and a NextFetchEvent.
    const proxy: NextProxy = sessions.proxy
    const incoming = request(cookie)
    const event = new NextFetchEvent({ request: incoming, page: "/page", context: undefined })

    const response = await proxy(incoming, event)

    expect(response).toBeInstanceOf(NextResponse)
    expect(sessionCookies(response as NextResponse)).toHaveLength(1)
    expect(sessionCookies(response as NextResponse)[0]).toContain(cookie)
  })

  it("writes to a given response", async () => {
    const { sessions, time, start } = setup()
    const cookie = await start()
    time.advance(2 * MINUTE)
    const own = NextResponse.rewrite(new URL("http://127.0.0.1/other"))

    const response = await sessions.proxy(request(cookie), own)

    expect(response).toBe(own)
    expect(sessionCookies(own)).toHaveLength(1)
  })

  it("renewal response is not cacheable", async () => {
    const { sessions, time, start } = setup()
    const cookie = await start()
    time.advance(2 * MINUTE)
    const own = NextResponse.next({ headers: { vary: "Accept-Encoding" } })

    const response = await sessions.proxy(request(cookie), own)

    expect(sessionCookies(response)).toHaveLength(1)
    expect(response.headers.get("cache-control")).toBe("no-store")
    expect(varyFields(response)).toEqual(["accept-encoding", "cookie"])
  })

  it("leaves a fresh session alone", async () => {
    const { sessions, time, start } = setup()
    const cookie = await start()
    time.advance(MINUTE - 1)

    const response = await sessions.proxy(request(cookie))

    expect(sessionCookies(response)).toHaveLength(0)
    expect(response.headers.get("cache-control")).toBeNull()
    expect(response.headers.get("vary")).toBeNull()
  })

  it("never creates a session", async () => {
    const { sessions, store } = setup()

    const response = await sessions.proxy(request(undefined))

    expect(sessionCookies(response)).toHaveLength(0)
    expect(store.calls.insert).toBe(0)
  })

  it("keeps an expired record", async () => {
    const { sessions, time, store, start } = setup()
    const cookie = await start()
    time.advance(31 * MINUTE)

    const response = await sessions.proxy(request(cookie))

    expect(sessionCookies(response)).toHaveLength(0)
    expect(store.calls.delete).toBe(0)
    // The request that follows proxy still learns why the session ended.
    expect(await readLater(sessions, cookie)).toMatchObject({ _tag: "Expired", reason: "idle" })
  })

  it("keeps a corrupt record", async () => {
    const { sessions, time, store, start } = setup()
    const cookie = await start()
    time.advance(2 * MINUTE)
    store.faults.corrupt = true

    const response = await sessions.proxy(request(cookie))

    expect(sessionCookies(response)).toHaveLength(0)
    expect(store.calls.delete).toBe(0)
    expect(await readLater(sessions, cookie)).toEqual({ _tag: "Invalid", reason: "corrupt" })
  })

  it("rejects a percent-encoded token", async () => {
    const { sessions, time, store, start } = setup()
    const cookie = await start()
    time.advance(2 * MINUTE)
    const [pair, token] = cookie.split("=") as [string, string]
    // Next's request.cookies decodes %41 to A, which would turn this back into the live token.
    const encoded = `${pair}=${token.slice(0, 5)}%${token.charCodeAt(5).toString(16)}${token.slice(6)}`
    const gets = store.calls.get

    const response = await sessions.proxy(request(encoded))

    expect(sessionCookies(response)).toHaveLength(0)
    expect(store.calls.get).toBe(gets)
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
    const { sessions, time, store, start } = setup()
    const cookie = await start()
    time.advance(2 * MINUTE)
    store.faults.unavailable = true

    const response = await sessions.proxy(request(cookie))

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
    expect(response.headers.get("retry-after")).toBe("1")
    expect(response.headers.get("cache-control")).toBe("no-store")
    expect(response.headers.getSetCookie()).toHaveLength(0)
    expect(await response.json()).toMatchObject({ code: "StoreUnavailable" })
  })

  it("logs a store outage once per interval", async () => {
    const { sessions, logs } = setup()
    const handler = sessions.route(async (_request: Request) => {
      throw new StoreUnavailable({ operation: "get", cause: new Error("connection refused") })
    })

    await handler(new Request("http://127.0.0.1/api/me"))
    await handler(new Request("http://127.0.0.1/api/me"))

    expect(logs).toHaveLength(1)
    expect(logs[0]!.level).toBe("Warn")
    expect(logs[0]!.message).toBe("session store unavailable, answered 503")
    expect(logs[0]!.annotations.request).toBe("GET /api/me")
    expect(logs[0]!.annotations.cause).toContain("connection refused")
  })

  it("maps a conflict to 409", async () => {
    const { sessions } = setup()
    const handler = sessions.route(async () => {
      throw new SessionConflict({ sessionId: "abc", attempts: 5 })
    })

    const response = await handler()

    expect(response.status).toBe(409)
    expect(response.headers.get("retry-after")).toBe("1")
    expect(response.headers.get("cache-control")).toBe("no-store")
    expect(response.headers.get("content-type")).toContain("application/json")
    expect(await response.json()).toMatchObject({ code: "SessionConflict" })
  })

  it("rethrows other errors", async () => {
    const { sessions } = setup()
    const handler = sessions.route(async () => {
      throw new TypeError("bug in the handler")
    })

    await expect(handler()).rejects.toThrow("bug in the handler")
  })
})
