import { sha256 } from "@noble/hashes/sha2"
import { encodeBase64Url } from "./base64url.js"

type Hash = (algorithm: "sha256", data: string, outputEncoding: "base64url") => string

type CreateHash = (algorithm: "sha256") => {
  update(data: string, encoding: "utf8"): { digest(encoding: "base64url"): string }
}

interface NodeCrypto {
  readonly hash?: Hash
  readonly createHash?: CreateHash
}

// Node 20.16 and later expose `process.getBuiltinModule`, which reaches `node:crypto` without a static
// import, so bundlers for Edge and browsers never see it. Elsewhere the pure-JS hash from @noble/hashes
// runs, and all paths give the same digest. The one-shot `crypto.hash` (Node 20.12 and later) skips
// the `Hash` object that `createHash` allocates and costs about a third as much for a token.
// The Web Crypto `subtle.digest` is avoided, because awaiting it once per request costs far more than
// either (docs/benchmarks.md has the measurements).
const nodeHash: ((input: string) => string) | undefined = (() => {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  if (typeof process?.getBuiltinModule !== "function") return undefined
  const crypto = process.getBuiltinModule("node:crypto") as NodeCrypto | undefined
  const hash = crypto?.hash
  if (typeof hash === "function") return (input) => hash("sha256", input, "base64url")
  const createHash = crypto?.createHash
  if (typeof createHash === "function") return (input) => createHash("sha256").update(input, "utf8").digest("base64url")
  return undefined
})()

const encoder = new TextEncoder()

/** Hashes with the pure-JS implementation, whatever the runtime, so tests can compare the two paths. */
export const sha256Base64UrlPortable = (input: string): string => encodeBase64Url(sha256(encoder.encode(input)))

/** Hashes a string with SHA-256 and returns the digest as unpadded base64url. */
export const sha256Base64Url: (input: string) => string = nodeHash ?? sha256Base64UrlPortable

/** The implementation in use, for benchmarks and diagnostics. */
export const sha256Implementation: "node:crypto" | "@noble/hashes" = nodeHash ? "node:crypto" : "@noble/hashes"
