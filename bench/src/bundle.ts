/**
 * Bundle size: what a `proxy.ts` with the core, the Next.js adapter and the memory store pulls into
 * a bundle, and the core alone, built with esbuild (minified ESM, `next` and `react` external
 * because Next.js provides them) and gzipped.
 */
import { createRequire } from "node:module"
import { gzipSync } from "node:zlib"
import { build, type Metafile } from "esbuild"
import { sourceDir } from "./lib/processes.ts"
import { type Result, runScript, type ScriptOptions } from "./lib/report.ts"

const esbuildVersion = (createRequire(import.meta.url)("esbuild/package.json") as { version: string }).version

/** The entries, as an app would write them. */
const entries = {
  "proxy.ts: core + Next.js adapter + memory store": `
import * as Schema from "effect/Schema"
import { layerMemory } from "@seshat/adapters-memory"
import { NextSessions } from "@seshat/adapters-next"

const sessions = NextSessions.make({
  schema: Schema.Struct({ visits: Schema.Number }),
  initial: () => ({ visits: 0 }),
  store: layerMemory({ globalKey: "app" })
})

export const proxy = sessions.proxy
export const config = { matcher: NextSessions.proxyMatcher }
`,
  "core alone: SessionManager + WebCookies, no store": `
import * as Schema from "effect/Schema"
import { SessionManager, WebCookies } from "@seshat/core"

export const makeHandler = (store) => {
  const sessions = SessionManager.make({ schema: Schema.Struct({ visits: Schema.Number }), initial: () => ({ visits: 0 }), store })
  return async (request) => {
    const jar = WebCookies.fromRequest(request)
    const session = await sessions.ensure(jar)
    return jar.applyTo(Response.json({ visits: session.data.visits }))
  }
}
`,
  "core + memory store (a Web Request handler)": `
import * as Schema from "effect/Schema"
import { SessionManager, WebCookies } from "@seshat/core"
import { layerMemory } from "@seshat/adapters-memory"

const sessions = SessionManager.make({ schema: Schema.Struct({ visits: Schema.Number }), initial: () => ({ visits: 0 }), store: layerMemory() })

export const handle = async (request) => {
  const jar = WebCookies.fromRequest(request)
  const session = await sessions.ensure(jar)
  return jar.applyTo(Response.json({ visits: session.data.visits }))
}
`,
  "Effect alone: ManagedRuntime + Layer + Effect.gen, no Schema": `
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"

class Store extends Context.Service()("Store") {}
const runtime = ManagedRuntime.make(Layer.succeed(Store, new Map()))

export const read = (key) => runtime.runPromise(Effect.gen(function* () {
  const store = yield* Store
  return store.get(key)
}))
`,
  "Effect alone, with a Schema JSON decode": `
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"

class Store extends Context.Service()("Store") {}
const runtime = ManagedRuntime.make(Layer.succeed(Store, new Map()))
const decode = Schema.decodeUnknownResult(Schema.fromJsonString(Schema.Struct({ visits: Schema.Number, createdAt: Schema.Number })))

export const read = (key) => runtime.runPromise(Effect.gen(function* () {
  const store = yield* Store
  return decode(store.get(key))
}))
`
} as const

type EntryName = keyof typeof entries

const packageOf = (path: string): string => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path) ?? /packages\/([^/]+)/.exec(path)
  return match === null ? path : match[1]!
}

// Bytes of the minified output by package, from esbuild's metafile.
const byPackage = (metafile: Metafile): Map<string, number> => {
  const sizes = new Map<string, number>()
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = packageOf(path)
      sizes.set(name, (sizes.get(name) ?? 0) + input.bytesInOutput)
    }
  }
  return sizes
}

const bundle = async (name: EntryName) => {
  const result = await build({
    stdin: { contents: entries[name], resolveDir: sourceDir, loader: "js", sourcefile: "entry.js" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "es2022",
    minify: true,
    external: ["next", "next/*", "react", "react-dom"],
    metafile: true,
    logLevel: "silent"
  })
  const code = result.outputFiles[0]!.contents
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, packages: byPackage(result.metafile) }
}

const measure = async (_options: ScriptOptions): Promise<Result> => {
  const names = Object.keys(entries) as Array<EntryName>
  const results = await Promise.all(names.map(async (name) => [name, await bundle(name)] as const))
  const proxy = results[0]![1]
  const effectWithSchema = results.find(([name]) => name.startsWith("Effect alone, with"))![1]
  const notes = results.map(([name, result]) => {
    const parts = [...result.packages]
      .sort((a, b) => b[1] - a[1])
      .map(([pkg, bytes]) => `${pkg} ${(bytes / 1024).toFixed(1)} KB`)
      .join(", ")
    return `${name}: minified bytes by package: ${parts}.`
  })
  return {
    id: "bundle",
    title: "Gzipped bundle size (esbuild, minified ESM, gzip level 9)",
    settings: { esbuild: esbuildVersion, platform: "node", external: "next, react, react-dom" },
    figures: results.flatMap(([name, result]) => [
      { name: `${name}, gzipped`, value: result.gzipped / 1024, unit: "KB" },
      { name: `${name}, minified`, value: result.minified / 1024, unit: "KB" }
    ]),
    ratios: [
      // The target is absolute (30 KB), so the ratio is the size over the limit.
      { name: "proxy.ts gzipped / 30 KB", value: proxy.gzipped / (30 * 1024), target: { bound: "at most", limit: 1 } },
      { name: "proxy.ts gzipped / Effect alone with Schema, gzipped", value: proxy.gzipped / effectWithSchema.gzipped }
    ],
    notes: ["KB is 1024 bytes. The bundle's content does not depend on the machine, so one build is enough.", ...notes]
  }
}

runScript(measure)
