import { runInNewContext } from "node:vm"
import { build } from "esbuild"
import { describe, expect, it } from "vitest"

// An app's Edge entry: the core, the memory store and the Web cookie adapter, nothing else.
const entry = `
import * as Schema from "effect/Schema"
import { SessionManager, WebCookies } from "@seshat/core"
import { layerMemory } from "@seshat/adapters-memory"

const sessions = SessionManager.make({
  schema: Schema.Struct({ visits: Schema.Number }),
  initial: () => ({ visits: 0 }),
  store: layerMemory()
})

globalThis.visit = async (cookie) => {
  const jar = WebCookies.fromRequest(new Request("https://example.test/", cookie ? { headers: { cookie } } : {}))
  const session = await sessions.update(jar, (data) => ({ visits: data.visits + 1 })).catch(async () => {
    await sessions.ensure(jar)
    return sessions.update(jar, (data) => ({ visits: data.visits + 1 }))
  })
  return { visits: session.data.visits, setCookie: jar.setCookieHeaders()[0] }
}
`

const bundle = async () => {
  const result = await build({
    stdin: { contents: entry, resolveDir: import.meta.dirname, loader: "ts" },
    bundle: true,
    write: false,
    format: "iife",
    platform: "neutral",
    // The conditions Next.js and Vercel use for Edge bundles, plus the one that points at sources.
    conditions: ["@seshat/source", "edge-light", "worker", "browser", "import", "default"],
    mainFields: ["module", "main"],
    metafile: true,
    logLevel: "silent"
  })
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) }
}

// The globals of the Edge runtime that the session code may use: Web APIs only, no `process`,
// `Buffer` or `require`.
const edgeGlobals = () => ({
  crypto: globalThis.crypto,
  TextEncoder,
  TextDecoder,
  Request,
  Response,
  Headers,
  URL,
  AbortController,
  AbortSignal,
  setTimeout,
  clearTimeout,
  queueMicrotask,
  structuredClone,
  console,
  Error,
  Promise
})

describe("Edge bundle", () => {
  it("imports no Node.js module", async () => {
    const { code, inputs } = await bundle()

    expect(inputs.filter((input) => input.startsWith("node:"))).toEqual([])
    expect(code).not.toMatch(/\brequire\(["']node:/)
    expect(code).not.toMatch(/\bfrom ["']node:/)
  })

  it("runs with Web APIs only", async () => {
    const { code } = await bundle()
    const context: Record<string, unknown> = edgeGlobals()
    context.globalThis = context

    runInNewContext(code, context)
    const visit = context.visit as (cookie?: string) => Promise<{ visits: number; setCookie: string | undefined }>
    const first = await visit()
    const cookie = first.setCookie!.split(";")[0]!
    const second = await visit(cookie)

    expect(first.visits).toBe(1)
    expect(first.setCookie).toMatch(/^__Host-seshat=[A-Za-z0-9_-]{43}; /)
    expect(second.visits).toBe(2)
  })
})
