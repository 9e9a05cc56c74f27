// The core builds without @types/node, so that no Node global slips into code that must run on Edge
// runtimes. This declares the two functions of node:crypto that internal/sha256.node.ts calls. The
// type check of sources and tests (tsconfig.json) loads @types/node and leaves this file out.
declare module "node:crypto" {
  export function hash(algorithm: "sha256", data: string, outputEncoding: "base64url"): string
  export function createHash(algorithm: "sha256"): {
    update(data: string, encoding: "utf8"): { digest(encoding: "base64url"): string }
  }
}
