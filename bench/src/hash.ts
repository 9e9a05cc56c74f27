/**
 * The hash choice: SHA-256 of a 43-character token as base64url. The candidates are `node:crypto`,
 * `@noble/hashes` (the core's pure-JS fallback) and Web Crypto's `crypto.subtle.digest`, awaited
 * once per hash as a request handler would.
 */
import { createHash, randomBytes } from "node:crypto"
import { sha256 } from "@noble/hashes/sha2"
import { type Candidate, compare } from "./lib/micro.ts"
import { type Result, runScript, type ScriptOptions } from "./lib/report.ts"

// Tokens cycle through a small pool, so no candidate profits from hashing one constant string.
const tokens = Array.from({ length: 256 }, () => randomBytes(32).toString("base64url"))
const encoder = new TextEncoder()
let sink: unknown

const candidates: ReadonlyArray<Candidate> = [
  {
    name: "node:crypto createHash",
    run: (count) => {
      for (let i = 0; i < count; i++) {
        sink = createHash("sha256")
          .update(tokens[i & 255]!, "utf8")
          .digest("base64url")
      }
    }
  },
  {
    name: "@noble/hashes sha256",
    run: (count) => {
      for (let i = 0; i < count; i++) {
        sink = Buffer.from(sha256(encoder.encode(tokens[i & 255]!))).toString("base64url")
      }
    }
  },
  {
    name: "crypto.subtle.digest, awaited",
    run: async (count) => {
      for (let i = 0; i < count; i++) {
        const digest = await crypto.subtle.digest("SHA-256", encoder.encode(tokens[i & 255]!))
        sink = Buffer.from(digest).toString("base64url")
      }
    }
  }
]

const measure = async (options: ScriptOptions): Promise<Result> => {
  const settings = { rounds: options.short ? 5 : 9, roundMs: options.short ? 150 : 400, tokenLength: 43 }
  const check = tokens[0]!
  const expected = createHash("sha256").update(check).digest("base64url")
  if (Buffer.from(sha256(encoder.encode(check))).toString("base64url") !== expected) {
    throw new Error("@noble/hashes and node:crypto gave different digests")
  }
  const [node, noble, subtle] = await compare(candidates, settings)
  void sink
  return {
    id: "hash",
    title: "SHA-256 of a 43-character token",
    settings,
    figures: [node!, noble!, subtle!].map((timing) => ({
      name: timing.name,
      value: timing.medianNs,
      unit: "ns/hash",
      rounds: timing.roundsNs
    })),
    ratios: [
      { name: "@noble/hashes / node:crypto", value: noble!.medianNs / node!.medianNs },
      { name: "crypto.subtle.digest awaited / node:crypto", value: subtle!.medianNs / node!.medianNs },
      { name: "crypto.subtle.digest awaited / @noble/hashes", value: subtle!.medianNs / noble!.medianNs }
    ],
    notes: [
      "The @noble/hashes and Web Crypto timings include encoding the digest as base64url with Buffer, as node:crypto's does."
    ]
  }
}

runScript(measure)
