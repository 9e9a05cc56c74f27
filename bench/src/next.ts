/**
 * Next.js: requests per second and server CPU per request of a Route Handler that reads the
 * session against the same handler without it. Two more routes split the difference: one only calls
 * `cookies()`, one only has the adapter's `sessions.route` wrapper. All run in one production server
 * of the app in bench/next-app (`next build`, then `next start`) with the memory store.
 */
import { spawn } from "node:child_process"
import { createRequire } from "node:module"
import { join } from "node:path"
import { cookiePair } from "./lib/fixtures.ts"
import { load } from "./lib/load.ts"
import { freePort, sourceDir, stopProcess, track, waitFor } from "./lib/processes.ts"
import { type Result, runScript, type ScriptOptions } from "./lib/report.ts"
import { canReadProcessCpu, treeCpuMicroseconds } from "./lib/process-cpu.ts"
import { median, rotate } from "./lib/stats.ts"

const CONNECTIONS = 50
const appDir = join(sourceDir, "..", "next-app")
const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next")
const nextVersion = (createRequire(import.meta.url)("next/package.json") as { version: string }).version

const descriptions = {
  "/with-session": "reads the session",
  "/without-session": "the same handler without it",
  "/cookies-only": "reads the cookie through cookies(), no session",
  "/route-wrapper-only": "sessions.route around a handler that does not read"
} as const

const runNext = (args: ReadonlyArray<string>) =>
  track(
    spawn(process.execPath, [nextBin, ...args], {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
      stdio: ["ignore", "ignore", "inherit"]
    })
  )

const build = async (): Promise<number> => {
  const started = performance.now()
  const child = runNext(["build", appDir])
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve))
  if (code !== 0) throw new Error(`next build ${appDir} exited with code ${code}`)
  return (performance.now() - started) / 1000
}

const measure = async (options: ScriptOptions): Promise<Result> => {
  const settings = {
    rounds: options.short ? 3 : 5,
    durationSeconds: options.short ? 2 : 5,
    warmupSeconds: options.short ? 2 : 3,
    connections: CONNECTIONS,
    next: nextVersion
  }
  const buildSeconds = await build()
  const port = await freePort()
  const server = runNext(["start", appDir, "-H", "127.0.0.1", "-p", String(port)])
  const base = `http://127.0.0.1:${port}`
  try {
    await waitFor(async () => (await fetch(`${base}/without-session`)).ok, `next start on port ${port}`)
    const login = await fetch(`${base}/login`)
    await login.arrayBuffer()
    const setCookie = login.headers.getSetCookie()[0]
    if (setCookie === undefined) throw new Error("/login set no cookie")
    const cookie = cookiePair(setCookie)
    const check = (await (await fetch(`${base}/with-session`, { headers: { cookie } })).json()) as { active?: boolean }
    if (check.active !== true) throw new Error(`/with-session returned ${JSON.stringify(check)}, expected active`)

    const routes = ["/with-session", "/without-session", "/cookies-only", "/route-wrapper-only"] as const
    for (const route of routes) {
      await load({ url: `${base}${route}`, cookie, connections: CONNECTIONS, durationSeconds: settings.warmupSeconds })
    }
    const samples = new Map<string, Array<number>>(routes.map((route) => [route, []]))
    const cpuSamples = new Map<string, Array<number>>(routes.map((route) => [route, []]))
    const measureCpu = canReadProcessCpu() && server.pid !== undefined
    const failures: Array<string> = []
    for (let round = 0; round < settings.rounds; round++) {
      // Rotating which route goes first keeps a trend of the machine from favouring one.
      for (const route of rotate(routes, round)) {
        const cpuBefore = measureCpu ? treeCpuMicroseconds(server.pid!) : 0
        const result = await load({
          url: `${base}${route}`,
          cookie,
          connections: CONNECTIONS,
          durationSeconds: settings.durationSeconds
        })
        if (result.non2xx > 0 || result.errors > 0) {
          failures.push(`${route} round ${round + 1}: ${result.non2xx} non-2xx responses, ${result.errors} errors`)
        }
        samples.get(route)!.push(result.requestsPerSecond)
        if (measureCpu) cpuSamples.get(route)!.push((treeCpuMicroseconds(server.pid!) - cpuBefore) / result.total)
      }
    }
    const rate = (route: string) => median(samples.get(route)!)
    const cpu = (route: string) => median(cpuSamples.get(route)!)
    const cpuFigures = measureCpu
      ? routes.map((route) => ({
          name: `GET ${route}: server CPU per request`,
          value: cpu(route),
          unit: "µs",
          rounds: cpuSamples.get(route)
        }))
      : []
    const cpuRatios = measureCpu
      ? [
          {
            name: "server CPU per request: without session / with session",
            value: cpu("/without-session") / cpu("/with-session"),
            target: { bound: "at least", limit: 0.95 } as const
          }
        ]
      : []
    return {
      id: "next",
      title: "Next.js Route Handler with and without reading the session (production server)",
      settings: { ...settings, buildSeconds: Math.round(buildSeconds) },
      figures: [
        ...routes.map((route) => ({
          name: `GET ${route} (${descriptions[route]})`,
          value: rate(route),
          unit: "requests/s",
          rounds: samples.get(route)
        })),
        ...cpuFigures
      ],
      ratios: [
        {
          name: "with session / without session",
          value: rate("/with-session") / rate("/without-session"),
          target: { bound: "at least", limit: 0.95 }
        },
        { name: "cookies() only / without session", value: rate("/cookies-only") / rate("/without-session") },
        {
          name: "sessions.route wrapper only / without session",
          value: rate("/route-wrapper-only") / rate("/without-session")
        },
        ...cpuRatios
      ],
      notes: [
        "Server CPU per request is the CPU time of `next start` and its child processes (from /proc) over the requests of one run. Its inverse ratio is the throughput ratio a CPU-bound server would reach.",
        "Every route gets the same Cookie header of a live session, and no renewal is due, so neither response sets a cookie.",
        ...failures
      ]
    }
  } finally {
    await stopProcess(server)
  }
}

runScript(measure)
