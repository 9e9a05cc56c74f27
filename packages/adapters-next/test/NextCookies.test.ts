import { NextCookies } from "@seshat/adapters-next"
import { NextRequest } from "next/server.js"
import { beforeEach, describe, expect, it, vi } from "vitest"
import { COOKIE_NAME, MINUTE, setup } from "./support.js"

// A stand-in for Next's request context: `cookies()` and `headers()` return the objects of the
// request the test is serving, each the same object for the whole request, as Next's do.
interface FakeRequest {
  readonly cookies: NextCookies.NextCookieStore
  readonly headers: Headers
  /** What `connection()` returns: pending during a prerender, resolved for a real request. */
  connection: Promise<void>
}

let serving: FakeRequest | undefined

vi.mock("next/headers.js", () => ({
  cookies: async () => {
    if (serving === undefined) throw new Error("`cookies` was called outside a request scope")
    return serving.cookies
  },
  headers: async () => {
    if (serving === undefined) throw new Error("`headers` was called outside a request scope")
    return serving.headers
  }
}))

vi.mock("next/server.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("next/server.js")>()),
  connection: () => {
    if (serving === undefined) throw new Error("`connection` was called outside a request scope")
    return serving.connection
  }
}))

/**
 * Serves one request with `cookie` as its `Cookie` header. Its cookie store contains the values as
 * Next's parser decodes them, and shows a write at once, as the store of a Route Handler does.
 */
const serve = (cookie: string | undefined): void => {
  const parsed = new NextRequest("http://127.0.0.1/", { headers: cookie === undefined ? {} : { cookie } }).cookies
  const values = new Map(parsed.getAll().map((entry) => [entry.name, entry.value]))
  serving = {
    cookies: {
      get: (name) => (values.has(name) ? { value: values.get(name)! } : undefined),
      set: (name, value) => values.set(name, value)
    },
    headers: new Headers(cookie === undefined ? {} : { cookie }),
    connection: Promise.resolve()
  }
}

beforeEach(() => {
  serving = undefined
})

describe("NextCookies.make", () => {
  const jar = (cookie: string, stored: Record<string, string>) =>
    NextCookies.make({
      store: { get: (name) => (name in stored ? { value: stored[name]! } : undefined), set: () => undefined },
      writable: false,
      header: cookie
    })

  it("returns the raw value Next decoded", () => {
    const result = jar(`${COOKIE_NAME}=abc%41def`, { [COOKIE_NAME]: "abcAdef" }).read(COOKIE_NAME)

    expect(result).toEqual({ _tag: "Present", value: "abc%41def" })
  })

  it("returns a value Next dropped", () => {
    // decodeURIComponent throws on a truncated escape, and Next's store then omits the cookie.
    const result = jar(`${COOKIE_NAME}=abc%E0%A4%A`, {}).read(COOKIE_NAME)

    expect(result).toEqual({ _tag: "Present", value: "abc%E0%A4%A" })
  })

  it("returns a value written in the request", () => {
    // Proxy's renewal or an earlier write of this request replaced the value in Next's store.
    const result = jar(`${COOKIE_NAME}=old`, { [COOKIE_NAME]: "new" }).read(COOKIE_NAME)

    expect(result).toEqual({ _tag: "Present", value: "new" })
  })

  it("reads a cleared value as missing", () => {
    const result = jar(`${COOKIE_NAME}=old`, { [COOKIE_NAME]: "" }).read(COOKIE_NAME)

    expect(result).toEqual({ _tag: "Missing" })
  })

  it("reads a duplicate as ambiguous", () => {
    const result = jar(`${COOKIE_NAME}=one; ${COOKIE_NAME}=two`, { [COOKIE_NAME]: "two" }).read(COOKIE_NAME)

    expect(result).toEqual({ _tag: "Duplicate" })
  })
})

describe("NextCookies.current", () => {
  it("shares a scope between the jars of a request", async () => {
    serve(undefined)

    const readOnly = await NextCookies.current(false)
    const writable = await NextCookies.current(true)

    expect(readOnly).not.toBe(writable)
    expect(readOnly.scope).toBeDefined()
    expect(readOnly.scope).toBe(writable.scope)
  })
})

describe("NextSessions in one request", () => {
  it("read sees an earlier update", async () => {
    const { sessions, start } = setup()
    serve(await start())

    const before = await sessions.read()
    await sessions.update((data) => ({ visits: data.visits + 1 }))
    const after = await sessions.read()

    expect(before).toMatchObject({ _tag: "Active", session: { data: { visits: 0 } } })
    expect(after).toMatchObject({ _tag: "Active", session: { data: { visits: 1 } } })
  })

  it("read sees a login", async () => {
    const { sessions } = setup()
    serve(undefined)

    const before = await sessions.read()
    await sessions.login("ada")
    const after = await sessions.read()

    expect(before).toEqual({ _tag: "Absent" })
    expect(after).toMatchObject({ _tag: "Active", session: { userId: "ada" } })
  })

  it("waits for a real request", async () => {
    const { sessions, store, start } = setup()
    serve(await start())
    // During a prerender, Next's connection() does not resolve, and a clock read there is an error.
    let connect = () => {}
    serving!.connection = new Promise<void>((resolve) => {
      connect = resolve
    })
    const gets = store.calls.get

    const status = sessions.read()
    // One turn of the event loop lets the read reach the store, unless it waits for connection().
    await new Promise((resolve) => setImmediate(resolve))
    const getsWhilePrerendering = store.calls.get - gets
    connect()

    expect(getsWhilePrerendering).toBe(0)
    expect(await status).toMatchObject({ _tag: "Active" })
  })

  it("loads the session once", async () => {
    const { sessions, store, start } = setup()
    serve(await start())
    const gets = store.calls.get

    await sessions.read()
    await sessions.update((data) => ({ visits: data.visits + 1 }))
    await sessions.read()

    expect(store.calls.get - gets).toBe(1)
  })

  it("rejects a percent-encoded token", async () => {
    const { sessions, store, start } = setup()
    const cookie = await start()
    const [pair, token] = cookie.split("=") as [string, string]
    serve(`${pair}=%${token.charCodeAt(0).toString(16)}${token.slice(1)}`)
    const gets = store.calls.get

    const status = await sessions.read()

    expect(status).toEqual({ _tag: "Invalid", reason: "malformed" })
    expect(store.calls.get).toBe(gets)
  })

  it("maps a lost update race to 409", async () => {
    const { sessions, store, start } = setup()
    serve(await start())
    store.faults.conflict = true
    const handler = sessions.route(async () => {
      const session = await sessions.update((data) => ({ visits: data.visits + 1 }))
      return Response.json(session.data)
    })

    const response = await handler()

    expect(response.status).toBe(409)
    expect(await response.json()).toMatchObject({ code: "SessionConflict" })
  })

  it("maps a store outage to one logged 503", async () => {
    const { sessions, store, logs, start } = setup()
    serve(await start())
    store.faults.unavailable = true
    const handler = sessions.route(async () => Response.json(await sessions.read()))

    const response = await handler()

    expect(response.status).toBe(503)
    const answered = logs.filter((line) => line.message.includes("answered 503"))
    expect(answered).toHaveLength(1)
    expect(answered[0]!.annotations.cause).toContain("connection refused")
  })

  it("marks a response that set the cookie", async () => {
    const { sessions, time, start } = setup()
    serve(await start())
    time.advance(2 * MINUTE)
    const handler = sessions.route(async () => Response.json(await sessions.ensure()))

    const response = await handler()

    expect(response.headers.get("cache-control")).toBe("no-store")
    expect(response.headers.get("vary")).toBe("Cookie")
  })

  it("leaves a response without a cookie alone", async () => {
    const { sessions, start } = setup()
    serve(await start())
    const handler = sessions.route(async () => Response.json(await sessions.read()))

    const response = await handler()

    expect(response.headers.get("cache-control")).toBeNull()
    expect(response.headers.get("vary")).toBeNull()
  })
})
