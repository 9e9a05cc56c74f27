import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as Cookie from "@seshat/core/Cookie"
import * as NodeCookies from "@seshat/core/NodeCookies"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { assert, describe, it } from "vitest"

const token = "bm9kZS1jb29raWVzLXRlc3QtdG9rZW4tZm9yLWphcnNB"
const otherToken = "b3RoZXItbm9kZS1jb29raWVzLXRlc3QtdG9rZW4tMDA"

const set = (value: string): Cookie.CookieWrite => ({
  _tag: "Set",
  value: Redacted.make(value),
  maxAgeSeconds: 1800,
  expiresAt: 1_800_000
})

const write = (jar: NodeCookies.NodeCookieJar, cookieWrite: Cookie.CookieWrite, options = Cookie.defaults) =>
  Effect.runSync(jar.write(options, cookieWrite))

const jarFor = (cookie?: string, options: { readonly writable?: boolean } = {}) =>
  NodeCookies.fromIncoming({ headers: cookie === undefined ? {} : { cookie } }, options)

// A stand-in for a ServerResponse that records its headers the way Node stores them.
const responseWith = (headers: Record<string, number | string | ReadonlyArray<string>> = {}, headersSent = false) => {
  const stored = new Map<string, number | string | ReadonlyArray<string>>(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])
  )
  return {
    headersSent,
    stored,
    getHeader: (name: string) => stored.get(name.toLowerCase()),
    setHeader: (name: string, value: string | ReadonlyArray<string>) => stored.set(name.toLowerCase(), value)
  }
}

describe("NodeCookies", () => {
  it("fromIncoming is writable by default", () => {
    const jar = jarFor()
    const readOnly = jarFor(undefined, { writable: false })

    assert.isTrue(jar.writable)
    assert.isFalse(readOnly.writable)
  })

  it("read finds the request cookie", () => {
    const present = jarFor(`theme=dark; __Host-seshat=${token}`).read(Cookie.defaults.name)
    const missing = jarFor("theme=dark").read(Cookie.defaults.name)
    const duplicate = jarFor(`__Host-seshat=${token}; __Host-seshat=${otherToken}`).read(Cookie.defaults.name)

    assert.deepStrictEqual(present, { _tag: "Present", value: token })
    assert.deepStrictEqual(missing, { _tag: "Missing" })
    assert.deepStrictEqual(duplicate, { _tag: "Duplicate" })
  })

  it("read sees a write from the same request", () => {
    const jar = jarFor(`__Host-seshat=${token}`)

    write(jar, set(otherToken))
    const afterSet = jar.read(Cookie.defaults.name)
    write(jar, { _tag: "Clear" })
    const afterClear = jar.read(Cookie.defaults.name)

    assert.deepStrictEqual(afterSet, { _tag: "Present", value: otherToken })
    assert.deepStrictEqual(afterClear, { _tag: "Missing" })
  })

  it("applyTo without writes changes nothing", () => {
    const response = responseWith({ "cache-control": "public, max-age=60" })

    jarFor(`__Host-seshat=${token}`).applyTo(response)

    assert.deepStrictEqual([...response.stored], [["cache-control", "public, max-age=60"]])
  })

  it("applyTo adds cookie and cache headers", () => {
    const jar = jarFor()
    const response = responseWith({ "cache-control": "public, max-age=60" })
    write(jar, set(token))

    jar.applyTo(response)

    assert.deepStrictEqual(response.stored.get("set-cookie"), [Cookie.serialize(Cookie.defaults, set(token))])
    assert.strictEqual(response.stored.get("cache-control"), "no-store")
    assert.strictEqual(response.stored.get("vary"), "Cookie")
    assert.deepStrictEqual(jar.setCookieHeaders(), [Cookie.serialize(Cookie.defaults, set(token))])
  })

  it("applyTo keeps other Set-Cookie headers", () => {
    const cases: ReadonlyArray<string | ReadonlyArray<string>> = ["theme=dark; Path=/", ["theme=dark; Path=/"]]

    for (const existing of cases) {
      const jar = jarFor()
      const response = responseWith({ "set-cookie": existing })
      write(jar, set(token))

      jar.applyTo(response)

      assert.deepStrictEqual(response.stored.get("set-cookie"), [
        "theme=dark; Path=/",
        Cookie.serialize(Cookie.defaults, set(token))
      ])
    }
  })

  it("applyTo replaces an earlier session Set-Cookie", () => {
    const jar = jarFor()
    const twice = responseWith()
    const preset = responseWith({ "set-cookie": ["__Host-seshat=stale; Path=/", "theme=dark; Path=/"] })
    write(jar, set(token))

    jar.applyTo(twice)
    jar.applyTo(twice)
    jar.applyTo(preset)

    const expected = Cookie.serialize(Cookie.defaults, set(token))
    assert.deepStrictEqual(twice.stored.get("set-cookie"), [expected])
    assert.deepStrictEqual(preset.stored.get("set-cookie"), ["theme=dark; Path=/", expected])
  })

  it("applyTo keeps an existing Vary", () => {
    const cases = [
      ["Accept-Encoding", "Accept-Encoding, Cookie"],
      ["Accept-Encoding, Cookie", "Accept-Encoding, Cookie"],
      ["accept-encoding,cookie", "accept-encoding,cookie"],
      ["*", "*"]
    ] as const

    for (const [vary, expected] of cases) {
      const jar = jarFor()
      const response = responseWith({ vary })
      write(jar, set(token))

      jar.applyTo(response)

      assert.strictEqual(response.stored.get("vary"), expected, vary)
    }
  })

  it("applyTo sends one Set-Cookie per name", () => {
    const jar = jarFor(`__Host-seshat=${token}`)
    const response = responseWith()
    write(jar, set(otherToken))
    write(jar, { _tag: "Clear" })

    jar.applyTo(response)

    assert.deepStrictEqual(response.stored.get("set-cookie"), [Cookie.serialize(Cookie.defaults, { _tag: "Clear" })])
  })

  it("applyTo after the headers were sent throws", () => {
    const jar = jarFor()
    write(jar, set(token))

    assert.throws(() => jar.applyTo(responseWith({}, true)), /already sent its headers/)
  })

  it("applyTo sets headers on a node:http response", async () => {
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const jar = NodeCookies.fromIncoming(request)
      const presented = jar.read(Cookie.defaults.name)
      write(jar, set(otherToken))
      response.setHeader("set-cookie", "theme=dark; Path=/")
      jar.applyTo(response)
      response.end(JSON.stringify(presented))
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const { port } = server.address() as AddressInfo

    try {
      const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie: `__Host-seshat=${token}` } })

      assert.deepStrictEqual(await response.json(), { _tag: "Present", value: token })
      assert.deepStrictEqual(response.headers.getSetCookie(), [
        "theme=dark; Path=/",
        Cookie.serialize(Cookie.defaults, set(otherToken))
      ])
      assert.strictEqual(response.headers.get("cache-control"), "no-store")
      assert.strictEqual(response.headers.get("vary"), "Cookie")
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
