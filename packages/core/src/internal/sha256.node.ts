import * as crypto from "node:crypto"

// The hash that bundlers and Node pick under the `node` condition of `#sha256` in package.json. It
// calls node:crypto directly, so Node bundles carry no pure-JS SHA-256. The one-shot `crypto.hash`
// (Node 20.12 and later) costs about a third as much as `createHash` for a token, which older
// versions fall back to.
const hash = (crypto as { readonly hash?: typeof crypto.hash }).hash

/** Hashes a string with SHA-256 and returns the digest as unpadded base64url. */
export const sha256Base64Url: (input: string) => string =
  typeof hash === "function"
    ? (input) => hash("sha256", input, "base64url")
    : (input) => crypto.createHash("sha256").update(input, "utf8").digest("base64url")
