/**
 * Session tokens: 256 random bits from Web Crypto, encoded as base64url and carried only in the
 * cookie. The store sees the SHA-256 of a token, never the token itself.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { encodeBase64Url } from "./internal/base64url.js"
import { sha256Base64Url } from "#sha256"

/**
 * Number of random bytes in a token.
 *
 * @since 0.1.0
 * @category constants
 */
export const TOKEN_BYTES = 32

/**
 * Length of an encoded token: 32 bytes in unpadded base64url.
 *
 * @since 0.1.0
 * @category constants
 */
export const TOKEN_LENGTH = 43

/**
 * Number of random bytes in a public session id.
 *
 * @since 0.1.0
 * @category constants
 */
export const SESSION_ID_BYTES = 16

/**
 * Source of random bytes for tokens and public session ids.
 *
 * The production layer reads `crypto.getRandomValues`. Effect's `Random` service is a seeded PRNG and
 * must never fill this port.
 *
 * @since 0.1.0
 * @category services
 */
export class TokenGenerator extends Context.Service<
  TokenGenerator,
  {
    readonly randomBytes: (size: number) => Effect.Effect<Uint8Array>
  }
>()("@seshat/core/TokenGenerator") {}

/**
 * Builds a generator from a synchronous byte source.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (randomBytes: (size: number) => Uint8Array): TokenGenerator["Service"] =>
  TokenGenerator.of({ randomBytes: (size) => Effect.sync(() => randomBytes(size)) })

/**
 * Generator backed by Web Crypto's `getRandomValues`, available in Node 20, browsers and Edge runtimes.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWebCrypto: Layer.Layer<TokenGenerator> = Layer.succeed(
  TokenGenerator,
  make((size) => globalThis.crypto.getRandomValues(new Uint8Array(size)))
)

/**
 * Deterministic generator for tests: every call returns new bytes derived from a counter, so runs
 * are repeatable and tokens never repeat within one layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTest = (seed = 1): Layer.Layer<TokenGenerator> =>
  Layer.sync(TokenGenerator, () => {
    // 0 is the fixed point of xorshift32, so the seed is mixed with a constant and never left at 0.
    let counter = (seed ^ 0x9e3779b9) >>> 0 || 0x9e3779b9
    return make((size) => {
      const bytes = new Uint8Array(size)
      for (let i = 0; i < size; i++) {
        // xorshift32: cheap, full period, and good enough to make distinct test tokens.
        counter ^= counter << 13
        counter ^= counter >>> 17
        counter ^= counter << 5
        counter >>>= 0
        bytes[i] = counter & 0xff
      }
      return bytes
    })
  })

/**
 * Generates a new token.
 *
 * @since 0.1.0
 * @category generators
 */
export const generate: Effect.Effect<Redacted.Redacted<string>, never, TokenGenerator> = TokenGenerator.use(
  (generator) => Effect.map(generator.randomBytes(TOKEN_BYTES), (bytes) => Redacted.make(encodeBase64Url(bytes)))
)

/**
 * Generates a public session id: safe to show in a device list, unrelated to the token.
 *
 * @since 0.1.0
 * @category generators
 */
export const generateSessionId: Effect.Effect<string, never, TokenGenerator> = TokenGenerator.use((generator) =>
  Effect.map(generator.randomBytes(SESSION_ID_BYTES), encodeBase64Url)
)

// The last of 43 base64url characters carries 4 data bits and 2 zero bits, so only these 16 letters
// can end a canonical encoding of 32 bytes.
const canonicalToken = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/

/**
 * Checks that a cookie value has the exact shape of a token, before any hashing or store access.
 *
 * @since 0.1.0
 * @category validation
 */
export const isWellFormed = (value: string): boolean => value.length === TOKEN_LENGTH && canonicalToken.test(value)

/**
 * Derives the store key of a token: SHA-256 in base64url. The key cannot be turned back into the token.
 *
 * @since 0.1.0
 * @category keys
 */
export const storeKey = (token: Redacted.Redacted<string>): string => sha256Base64Url(Redacted.value(token))
