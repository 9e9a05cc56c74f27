/**
 * Requests per second of `node:http` servers with and without sessions, and of the alternatives,
 * under the same autocannon load (50 connections on 127.0.0.1). Each server runs in its own process.
 * The rounds rotate through them, so drift of the shared machine spreads over all of them.
 */
import { freePort, startScript } from "./lib/processes.ts"
import { cookiePair } from "./lib/fixtures.ts"
import { load } from "./lib/load.ts"
import { startRedis } from "./lib/redis-server.ts"
import { type Figure, type Ratio, type Result, runScript, type ScriptOptions } from "./lib/report.ts"
import { median, rotate } from "./lib/stats.ts"
import { type ServerKind, type ServerStats, serverKinds } from "./http/server.ts"

const CONNECTIONS = 50

const labels: Record<ServerKind, string> = {
  "node-http": "node:http, no sessions, no Fetch bridge",
  "fetch-bridge": "node:http + Fetch bridge, no sessions",
  "seshat-memory": "node:http + Fetch bridge + Seshat (memory store)",
  "seshat-node": "node:http + Seshat NodeCookies (memory store), no Fetch bridge",
  "express-session": "express 4 + express-session (MemoryStore)",
  "iron-session": "node:http + iron-session 8",
  "connect-redis": "express 4 + express-session + connect-redis",
  "seshat-redis": "node:http + Fetch bridge + Seshat (Redis store)"
}

// Signs in once and returns the `Cookie` header that carries the new session.
const signIn = async (base: string): Promise<string | undefined> => {
  const response = await fetch(`${base}/login`)
  await response.arrayBuffer()
  const setCookie = response.headers.getSetCookie()[0]
  return setCookie === undefined ? undefined : cookiePair(setCookie)
}

const checkSession = async (base: string, cookie: string | undefined, expectActive: boolean) => {
  const response = await fetch(`${base}/`, { headers: cookie === undefined ? {} : { cookie } })
  const body = (await response.json()) as { active?: boolean }
  if (response.status !== 200 || body.active !== expectActive) {
    throw new Error(`${base}/ returned ${response.status} ${JSON.stringify(body)}, expected active=${expectActive}`)
  }
}

const stats = async (base: string): Promise<ServerStats> =>
  (await fetch(`${base}/__stats`)).json() as Promise<ServerStats>

const measure = async (options: ScriptOptions): Promise<Result> => {
  const settings = {
    rounds: options.short ? 3 : 5,
    durationSeconds: options.short ? 2 : 5,
    warmupSeconds: options.short ? 1 : 2,
    connections: CONNECTIONS
  }
  const redis = await startRedis()
  const servers: Array<{ kind: ServerKind; base: string; cookie: string | undefined; stop: () => Promise<void> }> = []
  try {
    for (const kind of serverKinds) {
      const port = await freePort()
      const child = await startScript<{ port: number }>("http/server.ts", [kind, String(port)], {
        env: { REDIS_URL: redis.url }
      })
      const base = `http://127.0.0.1:${child.ready.port}`
      servers.push({ kind, base, cookie: await signIn(base), stop: child.stop })
    }
    // The servers without sessions get the same Cookie header as Seshat's, so every request has the same size.
    const seshatCookie = servers.find((server) => server.kind === "seshat-memory")!.cookie
    for (const server of servers) {
      const hasSessions = server.kind !== "node-http" && server.kind !== "fetch-bridge"
      if (!hasSessions) server.cookie = seshatCookie
      else if (server.cookie === undefined) throw new Error(`${server.kind} set no cookie on /login`)
      await checkSession(server.base, server.cookie, hasSessions)
      await load({
        url: `${server.base}/`,
        cookie: server.cookie,
        connections: CONNECTIONS,
        durationSeconds: settings.warmupSeconds
      })
    }

    const samples = new Map<ServerKind, Array<number>>(serverKinds.map((kind) => [kind, []]))
    const cpuSamples = new Map<ServerKind, Array<number>>(serverKinds.map((kind) => [kind, []]))
    const failures: Array<string> = []
    for (let round = 0; round < settings.rounds; round++) {
      for (const server of rotate(servers, round)) {
        const before = await stats(server.base)
        const result = await load({
          url: `${server.base}/`,
          cookie: server.cookie,
          connections: CONNECTIONS,
          durationSeconds: settings.durationSeconds
        })
        if (result.non2xx > 0 || result.errors > 0) {
          failures.push(
            `${server.kind} round ${round + 1}: ${result.non2xx} non-2xx responses, ${result.errors} errors`
          )
        }
        samples.get(server.kind)!.push(result.requestsPerSecond)
        const after = await stats(server.base)
        const cpuPerRequest = (after.cpuMicroseconds - before.cpuMicroseconds) / (after.requests - before.requests)
        cpuSamples.get(server.kind)!.push(cpuPerRequest)
      }
    }

    const rate = (kind: ServerKind) => median(samples.get(kind)!)
    const cpu = (kind: ServerKind) => median(cpuSamples.get(kind)!)
    const figures: Array<Figure> = [
      ...serverKinds.map((kind) => ({
        name: labels[kind],
        value: rate(kind),
        unit: "requests/s",
        rounds: samples.get(kind)
      })),
      ...serverKinds.map((kind) => ({
        name: `${labels[kind]}: server CPU per request`,
        value: cpu(kind),
        unit: "µs",
        rounds: cpuSamples.get(kind)
      })),
      {
        name: "Seshat's share of the server CPU per request, Fetch bridge (Seshat minus the bridge alone)",
        value: cpu("seshat-memory") - cpu("fetch-bridge"),
        unit: "µs"
      },
      {
        name: "Seshat's share of the server CPU per request, NodeCookies (Seshat minus plain node:http)",
        value: cpu("seshat-node") - cpu("node-http"),
        unit: "µs"
      }
    ]
    const ratios: Array<Ratio> = [
      {
        name: "Seshat (memory) / the same server without sessions",
        value: rate("seshat-memory") / rate("fetch-bridge"),
        target: { bound: "at least", limit: 0.8 }
      },
      // The 8 × target is judged without the Fetch bridge, which alone serves about 2 × express-session.
      {
        name: "Seshat NodeCookies (memory) / express-session (MemoryStore)",
        value: rate("seshat-node") / rate("express-session"),
        target: { bound: "at least", limit: 8 }
      },
      {
        name: "Seshat (memory) / express-session (MemoryStore)",
        value: rate("seshat-memory") / rate("express-session")
      },
      { name: "Seshat (memory) / plain node:http", value: rate("seshat-memory") / rate("node-http") },
      { name: "Seshat NodeCookies / plain node:http", value: rate("seshat-node") / rate("node-http") },
      { name: "Fetch bridge, no sessions / plain node:http", value: rate("fetch-bridge") / rate("node-http") },
      { name: "Seshat (memory) / iron-session", value: rate("seshat-memory") / rate("iron-session") },
      { name: "Seshat (Redis) / express-session + connect-redis", value: rate("seshat-redis") / rate("connect-redis") },
      { name: "express-session (MemoryStore) / plain node:http", value: rate("express-session") / rate("node-http") }
    ]
    return {
      id: "http",
      title: "HTTP servers under load (autocannon, 50 connections, 127.0.0.1)",
      settings,
      figures,
      ratios,
      notes: [
        "Every request carries a valid session cookie and reads the session; no renewal is due, so no response sets a cookie.",
        "The servers and autocannon share the 2 cores: autocannon runs in the measuring process and each server in its own.",
        "Server CPU per request is the server process's CPU time (user and system, from process.cpuUsage) over the requests of one run, read through GET /__stats before and after it.",
        ...failures
      ]
    }
  } finally {
    for (const server of servers) await server.stop()
    await redis.stop()
  }
}

runScript(measure)
