import { createHash, randomBytes } from "node:crypto"
import { Vitest } from "@seshat/core/testing"
import * as Token from "@seshat/core/Token"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import { afterEach, assert, describe, it, vi } from "vitest"
import { sha256Base64Url, sha256Base64UrlPortable } from "../src/internal/sha256.js"
import { sha256Base64Url as sha256Base64UrlNode } from "../src/internal/sha256.node.js"

const base64Url = /^[A-Za-z0-9_-]+$/

const generateWebCrypto = Token.generate.pipe(Effect.provide(Token.layerWebCrypto))

const nodeSha256 = (input: string) => createHash("sha256").update(input, "utf8").digest("base64url")

// A canonical token with 42 leading characters chosen by the caller and a valid final character.
const tokenOf = (prefix: string, last = "A") => prefix.repeat(42).slice(0, 42) + last

describe("Token", () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  Vitest.effect("generate reads 32 bytes from getRandomValues", () =>
    Effect.gen(function* () {
      const spy = vi.spyOn(globalThis.crypto, "getRandomValues")

      const token = yield* generateWebCrypto

      assert.strictEqual(spy.mock.calls.length, 1)
      const buffer = spy.mock.calls[0]![0]
      assert.instanceOf(buffer, Uint8Array)
      assert.strictEqual((buffer as Uint8Array).byteLength, 32)
      assert.strictEqual(Buffer.from(Redacted.value(token), "base64url").byteLength, 32)
    })
  )

  Vitest.effect("generate encodes the random bytes", () =>
    Effect.gen(function* () {
      const bytes = new Uint8Array(32).map((_, i) => i * 7)
      vi.spyOn(globalThis.crypto, "getRandomValues").mockImplementation((array) => {
        ;(array as Uint8Array).set(bytes)
        return array
      })

      const token = Redacted.value(yield* generateWebCrypto)

      assert.strictEqual(token, Buffer.from(bytes).toString("base64url"))
    })
  )

  Vitest.effect("generate gives 43 base64url characters", () =>
    Effect.gen(function* () {
      const token = Redacted.value(yield* generateWebCrypto)

      assert.strictEqual(token.length, 43)
      assert.match(token, base64Url)
      assert.isTrue(Token.isWellFormed(token))
      assert.strictEqual(Buffer.from(token, "base64url").toString("base64url"), token)
    })
  )

  Vitest.effect("generate 10k tokens all unique", () =>
    Effect.gen(function* () {
      const tokens = yield* Effect.replicateEffect(generateWebCrypto, 10_000)
      const values = new Set(tokens.map(Redacted.value))

      assert.strictEqual(values.size, 10_000)
      for (const value of values) assert.isTrue(Token.isWellFormed(value), value)
    })
  )

  Vitest.effect("generate ignores a seeded Random", () =>
    Effect.gen(function* () {
      const first = yield* generateWebCrypto.pipe(Random.withSeed("x"))
      const second = yield* generateWebCrypto.pipe(Random.withSeed("x"))
      const pair = yield* Effect.all([generateWebCrypto, generateWebCrypto]).pipe(Random.withSeed("x"))

      assert.notStrictEqual(Redacted.value(first), Redacted.value(second))
      assert.notStrictEqual(Redacted.value(pair[0]), Redacted.value(pair[1]))
    })
  )

  Vitest.effect("generate returns a redacted value", () =>
    Effect.gen(function* () {
      const token = yield* generateWebCrypto
      const raw = Redacted.value(token)

      assert.notInclude(String(token), raw)
      assert.notInclude(JSON.stringify({ token }), raw)
    })
  )

  Vitest.effect("generateSessionId is unrelated to token", () =>
    Effect.gen(function* () {
      const [token, sessionId] = yield* Effect.all([Token.generate, Token.generateSessionId]).pipe(
        Effect.provide(Token.layerWebCrypto)
      )

      assert.strictEqual(sessionId.length, 22)
      assert.match(sessionId, base64Url)
      assert.notInclude(Redacted.value(token), sessionId)
    })
  )

  Vitest.effect("layerTest tokens differ", () =>
    Effect.gen(function* () {
      const tokens = yield* Effect.replicateEffect(Token.generate, 1000).pipe(Effect.provide(Token.layerTest()))
      const values = new Set(tokens.map(Redacted.value))

      assert.strictEqual(values.size, 1000)
      for (const value of values) assert.isTrue(Token.isWellFormed(value), value)
    })
  )

  it("layerTest with seed 0 tokens differ", () =>
    Vitest.run(
      Effect.gen(function* () {
        const [first, second] = yield* Effect.all([Token.generate, Token.generate]).pipe(
          Effect.provide(Token.layerTest(0))
        )

        assert.notStrictEqual(Redacted.value(first), Redacted.value(second))
      })
    ))

  it("isWellFormed accepts canonical tokens", () => {
    const accepted = [tokenOf("a"), tokenOf("Z", "w"), tokenOf("-_09", "8"), randomBytes(32).toString("base64url")]

    for (const value of accepted) assert.isTrue(Token.isWellFormed(value), value)
  })

  it("isWellFormed rejects bad shapes", () => {
    const token = randomBytes(32).toString("base64url")
    const rejected = {
      empty: "",
      short: token.slice(0, 42),
      long: `${token}A`,
      padded: `${token}=`,
      paddedInPlace: `${token.slice(0, 42)}=`,
      nonCanonicalLast: tokenOf("a", "B"),
      nonCanonicalLastDigit: tokenOf("a", "1"),
      nonCanonicalLastDash: tokenOf("a", "-"),
      standardPlus: tokenOf("+"),
      standardSlash: tokenOf("/"),
      space: tokenOf(" "),
      dot: tokenOf("."),
      percentEncoded: tokenOf("%00"),
      astral: `${"😀".repeat(21)}A`,
      latin1: tokenOf("é"),
      quoted: `"${token.slice(0, 41)}"`,
      newline: `${token.slice(0, 42)}\n`
    }

    for (const [name, value] of Object.entries(rejected)) assert.isFalse(Token.isWellFormed(value), name)
  })

  it("isWellFormed matches canonical base64url decoding", () => {
    for (let i = 0; i < 64; i++) {
      const last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[i]!
      const value = tokenOf("Q", last)
      const canonical = Buffer.from(value, "base64url").toString("base64url") === value

      assert.strictEqual(Token.isWellFormed(value), canonical, value)
    }
  })

  it("storeKey matches a node:crypto vector", () => {
    const raw = "q3mW0v0m5J4l9n8A2c1X7y6Z5t4s3r2p1o0n9m8l7kE"
    const expected = createHash("sha256").update(raw).digest("base64url")

    const key = Token.storeKey(Redacted.make(raw))

    assert.strictEqual(key, expected)
    assert.strictEqual(key, "RKM-R0TtDxR5kMsuC8Ml7GDj2vTWUm4oFoL6bTFKthA")
    assert.notStrictEqual(key, raw)
  })

  it("storeKey differs from the token", () => {
    const raw = randomBytes(32).toString("base64url")

    const key = Token.storeKey(Redacted.make(raw))

    assert.strictEqual(key.length, 43)
    assert.match(key, base64Url)
    assert.notStrictEqual(key, raw)
    assert.notInclude(key, raw.slice(0, 8))
    assert.strictEqual(key, nodeSha256(raw))
  })

  it("portable SHA-256 agrees with node:crypto", () => {
    const fixed = ["", "a", "abc", "😀 é € \u0000", "lone \ud800", "x".repeat(55), "x".repeat(56), "x".repeat(64)]
    const random = Array.from({ length: 200 }, (_, i) => randomBytes(i).toString("latin1"))
    const unicode = Array.from({ length: 50 }, () =>
      String.fromCodePoint(...Array.from({ length: 20 }, randomCodePoint))
    )

    for (const input of [...fixed, ...random, ...unicode]) {
      assert.strictEqual(sha256Base64UrlPortable(input), nodeSha256(input), JSON.stringify(input))
    }
  })

  it("Node build of SHA-256 agrees with the default build", () => {
    const inputs = [
      "",
      "abc",
      "😀 é € \u0000",
      "lone \ud800",
      ...Array.from({ length: 50 }, (_, i) => randomBytes(i).toString("latin1"))
    ]

    for (const input of inputs) {
      assert.strictEqual(sha256Base64UrlNode(input), sha256Base64Url(input), JSON.stringify(input))
      assert.strictEqual(sha256Base64UrlNode(input), nodeSha256(input), JSON.stringify(input))
    }
  })
})

// A code point drawn uniformly from the Unicode range without the surrogate block, which has no UTF-8 form.
function randomCodePoint(): number {
  const n = randomBytes(4).readUInt32BE() % (0x110000 - 0x800)
  return n < 0xd800 ? n : n + 0x800
}
