import * as Cookie from "@seshat/core/Cookie"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"

const token = "Y2xhc3NpYy1zZXNzaW9uLXRva2VuLWZvci10ZXN0c0A"

const setWrite = (maxAgeSeconds: number, expiresAt: number): Cookie.CookieWrite => ({
  _tag: "Set",
  value: Redacted.make(token),
  maxAgeSeconds,
  expiresAt
})

// Splits a Set-Cookie header into its name=value pair and a map of lower-cased attribute names.
const parseSetCookie = (header: string) => {
  const [pair, ...rest] = header.split("; ")
  const attributes = new Map<string, string>()
  for (const part of rest) {
    const equals = part.indexOf("=")
    const name = (equals === -1 ? part : part.slice(0, equals)).toLowerCase()
    assert.isFalse(attributes.has(name), `attribute ${name} appears twice in ${header}`)
    attributes.set(name, equals === -1 ? "" : part.slice(equals + 1))
  }
  return { pair: pair!, attributes }
}

const configError = (result: Result.Result<Cookie.CookieOptions, unknown>) => {
  assert.isTrue(Result.isFailure(result), "expected a SessionConfigError")
  return (result as Result.Failure<Cookie.CookieOptions, { _tag: string; field: string }>).failure
}

describe("Cookie.read", () => {
  it("read finds the exact name", () => {
    const header = `theme=dark; __Host-seshat=${token}; lang=en`

    const value = Cookie.read(header, "__Host-seshat")

    assert.deepStrictEqual(value, { _tag: "Present", value: token })
  })

  it("read without a header is Missing", () => {
    const values = [Cookie.read(undefined, "s"), Cookie.read(null, "s"), Cookie.read("", "s")]

    for (const value of values) assert.deepStrictEqual(value, { _tag: "Missing" })
  })

  it("read of another name is Missing", () => {
    const value = Cookie.read("theme=dark; session=abc", "s")

    assert.deepStrictEqual(value, { _tag: "Missing" })
  })

  it("read is case-sensitive", () => {
    const lower = Cookie.read(`__host-x=${token}`, "__Host-x")
    const upper = Cookie.read(`__HOST-x=${token}`, "__Host-x")
    const name = Cookie.read(`S=${token}`, "s")

    assert.deepStrictEqual(lower, { _tag: "Missing" })
    assert.deepStrictEqual(upper, { _tag: "Missing" })
    assert.deepStrictEqual(name, { _tag: "Missing" })
  })

  it("read rejects name prefixes and suffixes", () => {
    const values = [Cookie.read(`xs=${token}`, "s"), Cookie.read(`sx=${token}`, "s"), Cookie.read(`a=s=${token}`, "s")]

    for (const value of values) assert.deepStrictEqual(value, { _tag: "Missing" })
  })

  it("read of duplicates is Duplicate", () => {
    const attacker = "QXR0YWNrZXItdG9rZW4tdGhhdC1pcy10b3NzZWQtaW4"

    const twice = Cookie.read(`s=${attacker}; s=${token}`, "s")
    const sameValue = Cookie.read(`s=${token}; other=1; s=${token}`, "s")
    const oneEmpty = Cookie.read(`s=; s=${token}`, "s")

    assert.deepStrictEqual(twice, { _tag: "Duplicate" })
    assert.deepStrictEqual(sameValue, { _tag: "Duplicate" })
    assert.deepStrictEqual(oneEmpty, { _tag: "Duplicate" })
  })

  it("read does not split on commas", () => {
    const planted = Cookie.read(`lang=en,s=${token}`, "s")
    const joined = Cookie.read(`theme=dark, s=${token}`, "s")

    assert.deepStrictEqual(planted, { _tag: "Missing" })
    assert.deepStrictEqual(joined, { _tag: "Missing" })
  })

  it("read of an empty value is Missing", () => {
    const values = [Cookie.read("s=", "s"), Cookie.read("s=  ; a=1", "s"), Cookie.read("a=1; s=", "s")]

    for (const value of values) assert.deepStrictEqual(value, { _tag: "Missing" })
  })

  it("read trims whitespace around pairs", () => {
    const value = Cookie.read(`  a=1 ;   s = ${token}  ;b=2`, "s")

    assert.deepStrictEqual(value, { _tag: "Present", value: token })
  })

  it("read keeps equals signs in the value", () => {
    const value = Cookie.read("s=a=b==", "s")

    assert.deepStrictEqual(value, { _tag: "Present", value: "a=b==" })
  })

  it("read ignores a bare name", () => {
    const value = Cookie.read(`s; a=${token}`, "s")

    assert.deepStrictEqual(value, { _tag: "Missing" })
  })

  it("read never throws on junk", () => {
    const headers = [";;;", "===", ",,,", "s", "=s", "; s=", "\u0000s=\u0000", "😀=😀; s=😀", "s=".repeat(3000)]

    for (const header of headers) {
      const value = Cookie.read(header, "s")

      assert.include(["Missing", "Present", "Duplicate"], value._tag, header.slice(0, 40))
    }
  })

  it("read agrees with a plain split", () => {
    const names = ["s", Cookie.defaults.name]
    const piece = fc.oneof(
      fc.constantFrom(...names, " ", "=", ";", "; ", "\t", "\u00a0", "\ufeff", token, ""),
      fc.string({ maxLength: 8 })
    )
    const header = fc.array(piece, { maxLength: 12 }).map((pieces) => pieces.join(""))

    fc.assert(
      fc.property(header, fc.constantFrom(...names), (text, name) => {
        assert.deepStrictEqual(Cookie.read(text, name), readBySplitting(text, name), JSON.stringify(text))
      }),
      { numRuns: 2000 }
    )
  })
})

// The reading rule spelled out with `split`: pairs end at `;`, the name is the trimmed text before
// the first `=`, and the value the trimmed text after it.
const readBySplitting = (header: string, name: string): Cookie.CookieValue => {
  const values = header.split(";").flatMap((pair) => {
    const equals = pair.indexOf("=")
    return equals !== -1 && pair.slice(0, equals).trim() === name ? [pair.slice(equals + 1).trim()] : []
  })
  if (values.length > 1) return { _tag: "Duplicate" }
  return values.length === 0 || values[0] === "" ? { _tag: "Missing" } : { _tag: "Present", value: values[0]! }
}

describe("Cookie.serialize", () => {
  it("serialize default attributes", () => {
    const expiresAt = Date.UTC(2030, 0, 2, 3, 4, 5)

    const header = Cookie.serialize(Cookie.defaults, setWrite(1800, expiresAt))
    const { pair, attributes } = parseSetCookie(header)

    assert.strictEqual(pair, `__Host-seshat=${token}`)
    assert.deepStrictEqual(
      [...attributes.keys()].sort(),
      ["expires", "httponly", "max-age", "path", "samesite", "secure"].sort()
    )
    assert.strictEqual(attributes.get("max-age"), "1800")
    assert.strictEqual(attributes.get("expires"), "Wed, 02 Jan 2030 03:04:05 GMT")
    assert.strictEqual(attributes.get("path"), "/")
    assert.strictEqual(attributes.get("samesite"), "Lax")
    assert.isFalse(attributes.has("domain"))
  })

  it("serialize custom attributes", () => {
    const options: Cookie.CookieOptions = {
      name: "sid",
      path: "/app",
      domain: "example.com",
      secure: true,
      sameSite: "strict"
    }

    const { pair, attributes } = parseSetCookie(Cookie.serialize(options, setWrite(60, 60_000)))

    assert.strictEqual(pair, `sid=${token}`)
    assert.strictEqual(attributes.get("path"), "/app")
    assert.strictEqual(attributes.get("domain"), "example.com")
    assert.strictEqual(attributes.get("samesite"), "Strict")
    assert.isTrue(attributes.has("httponly"))
    assert.isTrue(attributes.has("secure"))
  })

  it("serialize without secure omits Secure", () => {
    const options: Cookie.CookieOptions = { ...Cookie.defaults, name: "dev", secure: false, sameSite: "none" }

    const { attributes } = parseSetCookie(Cookie.serialize(options, setWrite(60, 60_000)))

    assert.isFalse(attributes.has("secure"))
    assert.isTrue(attributes.has("httponly"))
    assert.strictEqual(attributes.get("samesite"), "None")
  })

  it("serialize clear expires the cookie", () => {
    const options: Cookie.CookieOptions = {
      name: "sid",
      path: "/app",
      domain: "example.com",
      secure: true,
      sameSite: "lax"
    }

    const { pair, attributes } = parseSetCookie(Cookie.serialize(options, { _tag: "Clear" }))

    assert.strictEqual(pair, "sid=")
    assert.strictEqual(attributes.get("max-age"), "0")
    assert.strictEqual(attributes.get("expires"), "Thu, 01 Jan 1970 00:00:00 GMT")
    assert.strictEqual(attributes.get("path"), "/app")
    assert.strictEqual(attributes.get("domain"), "example.com")
    assert.isTrue(attributes.has("httponly"))
    assert.isTrue(attributes.has("secure"))
    assert.strictEqual(attributes.get("samesite"), "Lax")
  })

  it("serialize clear of defaults has no Domain", () => {
    const { attributes } = parseSetCookie(Cookie.serialize(Cookie.defaults, { _tag: "Clear" }))

    assert.isFalse(attributes.has("domain"))
    assert.strictEqual(attributes.get("path"), "/")
  })
})

describe("Cookie.validate", () => {
  it("validate accepts the defaults", () => {
    const result = Cookie.validate(Cookie.defaults, false)

    assert.isTrue(Result.isSuccess(result))
  })

  it("validate accepts insecure with allowInsecure", () => {
    const result = Cookie.validate({ ...Cookie.defaults, name: "dev", secure: false }, true)

    assert.isTrue(Result.isSuccess(result))
  })

  it("validate accepts correct prefixes", () => {
    const host = Cookie.validate({ ...Cookie.defaults, name: "__Host-s" }, false)
    const secure = Cookie.validate(
      { ...Cookie.defaults, name: "__Secure-s", path: "/app", domain: "example.com" },
      false
    )

    assert.isTrue(Result.isSuccess(host))
    assert.isTrue(Result.isSuccess(secure))
  })

  const bad: ReadonlyArray<{
    readonly name: string
    readonly options: Partial<Cookie.CookieOptions>
    readonly allowInsecure?: boolean
    readonly field: string
  }> = [
    { name: "empty name", options: { name: "" }, field: "cookie.name" },
    { name: "name with space", options: { name: "my session" }, field: "cookie.name" },
    { name: "name with equals", options: { name: "a=b" }, field: "cookie.name" },
    { name: "name with semicolon", options: { name: "a;b" }, field: "cookie.name" },
    { name: "name with non-ASCII", options: { name: "séance" }, field: "cookie.name" },
    { name: "lower-case __host- prefix", options: { name: "__host-s" }, field: "cookie.name" },
    { name: "lower-case __secure- prefix", options: { name: "__secure-s" }, field: "cookie.name" },
    { name: "path injecting Domain", options: { name: "s", path: "/;Domain=evil" }, field: "cookie.path" },
    { name: "relative path", options: { name: "s", path: "app" }, field: "cookie.path" },
    { name: "empty path", options: { name: "s", path: "" }, field: "cookie.path" },
    { name: "path with space", options: { name: "s", path: "/a b" }, field: "cookie.path" },
    { name: "path with newline", options: { name: "s", path: "/a\r\nSet-Cookie: x=1" }, field: "cookie.path" },
    { name: "domain injecting Path", options: { name: "s", domain: "example.com;Path=/" }, field: "cookie.domain" },
    { name: "empty domain", options: { name: "s", domain: "" }, field: "cookie.domain" },
    { name: "domain with space", options: { name: "s", domain: "exa mple.com" }, field: "cookie.domain" },
    { name: "__Host- with domain", options: { name: "__Host-s", domain: "example.com" }, field: "cookie.domain" },
    { name: "__Host- with other path", options: { name: "__Host-s", path: "/app" }, field: "cookie.path" },
    {
      name: "__Host- without secure",
      options: { name: "__Host-s", secure: false },
      allowInsecure: true,
      field: "cookie.secure"
    },
    {
      name: "__Secure- without secure",
      options: { name: "__Secure-s", secure: false },
      allowInsecure: true,
      field: "cookie.secure"
    },
    {
      name: "sameSite none without secure",
      options: { name: "s", sameSite: "none", secure: false },
      allowInsecure: true,
      field: "cookie.sameSite"
    },
    { name: "unknown sameSite", options: { name: "s", sameSite: "loose" as "lax" }, field: "cookie.sameSite" },
    { name: "secure false by default", options: { name: "s", secure: false }, field: "cookie.secure" }
  ]

  it.each(bad)("validate rejects $name", (row) => {
    const result = Cookie.validate({ ...Cookie.defaults, ...row.options }, row.allowInsecure ?? false)

    const error = configError(result)
    assert.strictEqual(error._tag, "SessionConfigError")
    assert.strictEqual(error.field, row.field)
  })
})
