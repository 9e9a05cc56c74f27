import { sha256 } from "@noble/hashes/sha2"
import { encodeBase64Url } from "./base64url.js"

type CreateHash = (algorithm: "sha256") => {
  update(data: string, encoding: "utf8"): { digest(encoding: "base64url"): string }
}

// Node 20.16 and later expose `process.getBuiltinModule`, which reaches `node:crypto` without a static
// import, so bundlers for Edge and browsers never see it. Elsewhere the pure-JS hash from @noble/hashes
// runs, and both give the same digest. The Web Crypto `subtle.digest` is avoided, because awaiting it
// once per request costs far more than either (docs/benchmarks.md has the measurement).
const createHash: CreateHash | undefined = (() => {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  if (typeof process?.getBuiltinModule !== "function") return undefined
  const crypto = process.getBuiltinModule("node:crypto") as { createHash?: CreateHash } | undefined
  return typeof crypto?.createHash === "function" ? crypto.createHash : undefined
})()

const encoder = new TextEncoder()

/** Hashes a string with SHA-256 and returns the digest as unpadded base64url. */
export const sha256Base64Url: (input: string) => string = createHash
  ? (input) => createHash("sha256").update(input, "utf8").digest("base64url")
  : (input) => encodeBase64Url(sha256(encoder.encode(input)))

/** The implementation in use, for benchmarks and diagnostics. */
export const sha256Implementation: "node:crypto" | "@noble/hashes" = createHash ? "node:crypto" : "@noble/hashes"

/** Hashes with the pure-JS implementation, whatever the runtime, so tests can compare the two paths. */
export const sha256Base64UrlPortable = (input: string): string => encodeBase64Url(sha256(encoder.encode(input)))
