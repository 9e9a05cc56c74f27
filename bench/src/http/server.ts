/**
 * One HTTP server of the load test, started as its own process:
 * `node --import tsx src/http/server.ts KIND PORT`, with `REDIS_URL` set for the Redis kinds.
 *
 * Every kind handles `GET /login` by creating a session, and its response sets the cookie. Any other
 * `GET` reads the session and returns `{ active, visits }` as JSON, so the load test can check that
 * each server found the session before it counts requests.
 */
import { createServer, type RequestListener } from "node:http"
import { layerRedis } from "@seshat/adapters-redis"
import { layerMemory } from "@seshat/adapters-memory"
import { NodeCookies, SessionManager, WebCookies } from "@seshat/core"
import { RedisStore } from "connect-redis"
import express from "express"
import session from "express-session"
import { getIronSession } from "iron-session"
import { createClient } from "redis"
import { initialData, type SessionData as BenchData, SessionData } from "../lib/fixtures.ts"
import { fetchListener } from "./bridge.ts"

declare module "express-session" {
  interface SessionData {
    visits: number
  }
}

/** The kinds of server, in the order the load test runs them. */
export const serverKinds = [
  "node-http",
  "fetch-bridge",
  "seshat-memory",
  "seshat-node",
  "express-session",
  "iron-session",
  "connect-redis",
  "seshat-redis"
] as const

export type ServerKind = (typeof serverKinds)[number]

const SECRET = "a-secret-of-at-least-32-characters-for-the-bench"
const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000

const json = (body: unknown): Response => Response.json(body)

const redisUrl = (): string => {
  const url = process.env.REDIS_URL
  if (url === undefined) throw new Error("REDIS_URL must be set for the Redis servers")
  return url
}

const seshatServer = (manager: SessionManager.SessionManager<BenchData>): RequestListener =>
  fetchListener(async (request) => {
    const jar = WebCookies.fromRequest(request)
    if (new URL(request.url).pathname === "/login") {
      await manager.ensure(jar)
      return jar.applyTo(json({ active: true }))
    }
    const status = await manager.read(jar)
    const visits = status._tag === "Active" ? status.session.data.visits : 0
    return jar.applyTo(json({ active: status._tag === "Active", visits }))
  })

// Seshat on `node:http` with the core's NodeCookies jar, without a Fetch bridge.
const seshatNodeServer =
  (manager: SessionManager.SessionManager<BenchData>): RequestListener =>
  (request, response) => {
    const jar = NodeCookies.fromIncoming(request)
    const respond = (body: unknown) => {
      jar.applyTo(response)
      const text = JSON.stringify(body)
      response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
      response.end(text)
    }
    const handled =
      request.url === "/login"
        ? manager.ensure(jar).then(() => respond({ active: true }))
        : manager.read(jar).then((status) => {
            const visits = status._tag === "Active" ? status.session.data.visits : 0
            respond({ active: status._tag === "Active", visits })
          })
    handled.catch((error: unknown) => {
      console.error(error)
      response.writeHead(500).end()
    })
  }

const expressServer = (store: session.Store | undefined): RequestListener => {
  const app = express()
  app.use(
    session({
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      ...(store === undefined ? {} : { store }),
      cookie: { httpOnly: true, sameSite: "lax", maxAge: THIRTY_DAYS_MS }
    })
  )
  app.get("/login", (request, response) => {
    request.session.visits = initialData().visits
    response.json({ active: true })
  })
  app.get("/", (request, response) => {
    const visits = request.session.visits
    response.json({ active: visits !== undefined, visits: visits ?? 0 })
  })
  return app
}

const makeListener = async (kind: ServerKind): Promise<RequestListener> => {
  switch (kind) {
    case "node-http":
      return (request, response) => {
        const body = JSON.stringify({ active: request.url === "/login", visits: 0 })
        response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
        response.end(body)
      }
    case "fetch-bridge":
      return fetchListener(async (request) => json({ active: new URL(request.url).pathname === "/login", visits: 0 }))
    case "seshat-memory":
      return seshatServer(SessionManager.make({ schema: SessionData, initial: initialData, store: layerMemory() }))
    case "seshat-node":
      return seshatNodeServer(SessionManager.make({ schema: SessionData, initial: initialData, store: layerMemory() }))
    case "seshat-redis":
      return seshatServer(
        SessionManager.make({ schema: SessionData, initial: initialData, store: layerRedis({ url: redisUrl() }) })
      )
    case "express-session":
      return expressServer(undefined)
    case "connect-redis": {
      const client = createClient({ url: redisUrl() })
      await client.connect()
      return expressServer(new RedisStore({ client }))
    }
    case "iron-session":
      return (request, response) => {
        getIronSession<Partial<BenchData>>(request, response, {
          password: SECRET,
          cookieName: "iron",
          cookieOptions: { httpOnly: true, sameSite: "lax", secure: false }
        })
          .then(async (ironSession) => {
            if (request.url === "/login") {
              Object.assign(ironSession, initialData())
              await ironSession.save()
            }
            const visits = ironSession.visits
            const body = JSON.stringify({ active: visits !== undefined, visits: visits ?? 0 })
            response.writeHead(200, { "content-type": "application/json" })
            response.end(body)
          })
          .catch((error: unknown) => {
            console.error(error)
            response.writeHead(500).end()
          })
      }
  }
}

/** The server's CPU time and request count so far, which `GET /__stats` returns. */
export interface ServerStats {
  readonly requests: number
  readonly cpuMicroseconds: number
}

const main = async () => {
  const [kind, port] = process.argv.slice(2)
  if (!serverKinds.includes(kind as ServerKind)) {
    throw new Error(`unknown server kind ${JSON.stringify(kind)}. Expected one of ${serverKinds.join(", ")}`)
  }
  const listener = await makeListener(kind as ServerKind)
  let requests = 0
  // `GET /__stats` lets the load test divide the CPU time of a run by its requests.
  const server = createServer((request, response) => {
    if (request.url !== "/__stats") {
      requests++
      return listener(request, response)
    }
    const usage = process.cpuUsage()
    const stats: ServerStats = { requests, cpuMicroseconds: usage.user + usage.system }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats))
  })
  server.listen(Number(port), "127.0.0.1", () => {
    process.stdout.write(`READY ${JSON.stringify({ port: Number(port) })}\n`)
  })
  process.once("SIGTERM", () => {
    server.close()
    process.exit(0)
  })
}

if (process.argv[1] === import.meta.filename) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
