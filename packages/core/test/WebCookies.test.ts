import * as Cookie from "@seshat/core/Cookie"
import * as WebCookies from "@seshat/core/WebCookies"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { assert, describe, it } from "vitest"

const token = "d2ViLWNvb2tpZXMtdGVzdC10b2tlbi1mb3ItamFyc0A"
const otherToken = "b3RoZXItd2ViLWNvb2tpZXMtdGVzdC10b2tlbi0wMDA"

const set = (value: string): Cookie.CookieWrite => ({
  _tag: "Set",
  value: Redacted.make(value),
  maxAgeSeconds: 1800,
  expiresAt: 1_800_000
})

const write = (jar: WebCookies.WebCookieJar, cookieWrite: Cookie.CookieWrite, options = Cookie.defaults) =>
  Effect.runSync(jar.write(options, cookieWrite))

const read = (jar: WebCookies.WebCookieJar, name = Cookie.defaults.name) => jar.read(name)

const jarFor = (cookie?: string) =>
  WebCookies.fromRequest(new Request("https://app.example/", cookie === undefined ? {} : { headers: { cookie } }))

describe("WebCookies", () => {
  it("fromRequest is writable by default", () => {
    const jar = jarFor()

    const readOnly = WebCookies.fromRequest(new Request("https://app.example/"), { writable: false })

    assert.isTrue(jar.writable)
    assert.isFalse(readOnly.writable)
  })

  it("read finds the request cookie", () => {
    const jar = jarFor(`theme=dark; __Host-seshat=${token}`)

    const value = read(jar)

    assert.deepStrictEqual(value, { _tag: "Present", value: token })
  })

  it("read joins split Cookie header lines", () => {
    const headers = new Headers()
    headers.append("cookie", "theme=dark")
    headers.append("cookie", `__Host-seshat=${token}`)
    const duplicated = new Headers()
    duplicated.append("cookie", `__Host-seshat=${token}`)
    duplicated.append("cookie", `__Host-seshat=${otherToken}`)

    const split = read(WebCookies.fromRequest(new Request("https://app.example/", { headers })))
    const twice = read(WebCookies.fromRequest(new Request("https://app.example/", { headers: duplicated })))

    assert.deepStrictEqual(split, { _tag: "Present", value: token })
    assert.deepStrictEqual(twice, { _tag: "Duplicate" })
  })

  it("read sees a write from the same request", () => {
    const jar = jarFor(`__Host-seshat=${token}`)

    write(jar, set(otherToken))
    const afterSet = read(jar)
    write(jar, { _tag: "Clear" })
    const afterClear = read(jar)

    assert.deepStrictEqual(afterSet, { _tag: "Present", value: otherToken })
    assert.deepStrictEqual(afterClear, { _tag: "Missing" })
  })

  it("applyTo without writes returns the response", () => {
    const jar = jarFor(`__Host-seshat=${token}`)
    const response = new Response("hello", { headers: { "cache-control": "public, max-age=60" } })

    const applied = jar.applyTo(response)

    assert.strictEqual(applied, response)
    assert.strictEqual(applied.headers.get("cache-control"), "public, max-age=60")
    assert.isNull(applied.headers.get("vary"))
    assert.deepStrictEqual(applied.headers.getSetCookie(), [])
  })

  it("applyTo adds cookie and cache headers", async () => {
    const jar = jarFor()
    write(jar, set(token))

    const applied = jar.applyTo(new Response("hello", { status: 201, statusText: "Created" }))

    assert.deepStrictEqual(applied.headers.getSetCookie(), [Cookie.serialize(Cookie.defaults, set(token))])
    assert.strictEqual(applied.headers.get("cache-control"), "no-store")
    assert.strictEqual(applied.headers.get("vary"), "Cookie")
    assert.strictEqual(applied.status, 201)
    assert.strictEqual(applied.statusText, "Created")
    assert.strictEqual(await applied.text(), "hello")
  })

  it("applyTo adds headers for a clear", () => {
    const jar = jarFor(`__Host-seshat=${token}`)
    write(jar, { _tag: "Clear" })

    const applied = jar.applyTo(new Response(null))

    assert.deepStrictEqual(applied.headers.getSetCookie(), [Cookie.serialize(Cookie.defaults, { _tag: "Clear" })])
    assert.strictEqual(applied.headers.get("cache-control"), "no-store")
    assert.strictEqual(applied.headers.get("vary"), "Cookie")
  })

  it("applyTo replaces an earlier session Set-Cookie", () => {
    const jar = jarFor()
    const preset = new Headers()
    preset.append("set-cookie", "__Host-seshat=stale; Path=/")
    preset.append("set-cookie", "theme=dark; Path=/")
    write(jar, set(token))

    const twice = jar.applyTo(jar.applyTo(new Response(null)))
    const replaced = jar.applyTo(new Response(null, { headers: preset }))

    const expected = Cookie.serialize(Cookie.defaults, set(token))
    assert.deepStrictEqual(twice.headers.getSetCookie(), [expected])
    assert.deepStrictEqual(replaced.headers.getSetCookie(), ["theme=dark; Path=/", expected])
  })

  it("applyTo replaces a cacheable Cache-Control", () => {
    const jar = jarFor()
    write(jar, set(token))

    const applied = jar.applyTo(new Response("x", { headers: { "cache-control": "public, max-age=3600" } }))

    assert.strictEqual(applied.headers.get("cache-control"), "no-store")
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
      write(jar, set(token))

      const applied = jar.applyTo(new Response("x", { headers: { vary } }))

      assert.strictEqual(applied.headers.get("vary"), expected, vary)
    }
  })

  it("applyTo keeps other Set-Cookie headers", () => {
    const jar = jarFor()
    write(jar, set(token))
    const response = new Response("x")
    response.headers.append("set-cookie", "theme=dark; Path=/")

    const applied = jar.applyTo(response)

    assert.deepStrictEqual(applied.headers.getSetCookie(), [
      "theme=dark; Path=/",
      Cookie.serialize(Cookie.defaults, set(token))
    ])
  })

  it("applyTo sends one Set-Cookie per name", () => {
    const jar = jarFor(`__Host-seshat=${token}`)
    write(jar, set(otherToken))
    write(jar, { _tag: "Clear" })
    write(jar, set(token))

    const applied = jar.applyTo(new Response("x"))
    const headers = applied.headers.getSetCookie()

    assert.strictEqual(headers.length, 1)
    assert.strictEqual(headers[0], Cookie.serialize(Cookie.defaults, set(token)))
    assert.deepStrictEqual(jar.setCookieHeaders(), headers)
  })

  it("applyTo sends one header per cookie name", () => {
    const jar = jarFor()
    const other = { ...Cookie.defaults, name: "__Host-other" }
    write(jar, set(token))
    write(jar, set(otherToken), other)

    const headers = jar.applyTo(new Response("x")).headers.getSetCookie()

    assert.strictEqual(headers.length, 2)
    assert.isTrue(headers[0]!.startsWith(`__Host-seshat=${token};`))
    assert.isTrue(headers[1]!.startsWith(`__Host-other=${otherToken};`))
  })

  it("applyTo works on a redirect", () => {
    const jar = jarFor()
    write(jar, set(token))
    const redirect = Response.redirect("https://app.example/home", 303)

    const applied = jar.applyTo(redirect)

    assert.strictEqual(applied.status, 303)
    assert.strictEqual(applied.headers.get("location"), "https://app.example/home")
    assert.strictEqual(applied.headers.getSetCookie().length, 1)
    assert.strictEqual(applied.headers.get("cache-control"), "no-store")
    assert.strictEqual(applied.headers.get("vary"), "Cookie")
  })

  it("applyTo works on a fetched response", async () => {
    const jar = jarFor()
    write(jar, set(token))
    const fetched = await fetch("data:text/plain,hello")

    const applied = jar.applyTo(fetched)

    assert.strictEqual(applied.headers.getSetCookie().length, 1)
    assert.strictEqual(await applied.text(), "hello")
  })

  it("applyTo leaves the original response unchanged", () => {
    const jar = jarFor()
    write(jar, set(token))
    const response = new Response("x")

    jar.applyTo(response)

    assert.deepStrictEqual(response.headers.getSetCookie(), [])
    assert.isNull(response.headers.get("vary"))
  })
})
