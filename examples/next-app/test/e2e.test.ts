/**
 * Browser tests of the example app: `next build` once, then every journey twice, against a
 * `next start` on the memory store and one on a real redis-server, each on a free loopback port with
 * the test clock. Debian's Chromium is driven through playwright-core.
 *
 * Needs the packages' dist/ (`npm run build` at the repository root), redis-server on the PATH, and
 * Chromium at /usr/bin/chromium or at CHROMIUM_PATH.
 */
import { NextSessions } from "@seshat/adapters-next"
import type { Browser } from "playwright-core"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { type RedisServer, startRedis } from "../../../packages/adapters-redis/test/server.js"
import { config as proxyConfig } from "../proxy.js"
import { describeDevices } from "./journeys/devices.js"
import { describeProxy } from "./journeys/proxy.js"
import { describeRouteHandlers } from "./journeys/route-handlers.js"
import { describeSignIn } from "./journeys/sign-in.js"
import { describeVisits } from "./journeys/visits.js"
import { App, launchChromium, TEST_ENV } from "./support/app.js"
import { buildApp, type Server, startServer, stopServer } from "./support/server.js"

process.env.NEXT_TELEMETRY_DISABLED = "1"

let browser: Browser

beforeAll(async () => {
  await buildApp()
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
})

for (const store of ["memory", "redis"] as const) {
  describe(`on the ${store} store`, () => {
    const app = new App(store)
    let redis: RedisServer | undefined

    beforeAll(async () => {
      redis = store === "redis" ? await startRedis() : undefined
      app.server = await startServer(redis === undefined ? TEST_ENV : { ...TEST_ENV, REDIS_URL: redis.url })
      app.browser = browser
    })

    afterAll(async () => {
      stopServer(app.server)
      await redis?.dispose()
    })

    // The server's log explains most failures (a 500, a store error), so a failed test prints its end.
    afterEach(({ task }) => {
      if (task.result?.state === "fail")
        console.error(`next start output (${store}):\n${app.server?.output().slice(-4000)}`)
    })

    it("uses the store it was started with", () => {
      const expected = store === "redis" ? "sessions are stored in Redis" : "sessions are stored in memory"
      expect(app.server!.output()).toContain(expected)
    })

    describeVisits(app)
    describeSignIn(app)
    describeDevices(app)
    describeProxy(app)
    describeRouteHandlers(app)
  })
}

describe("GET /api/session over fetch", () => {
  let server: Server

  beforeAll(async () => {
    server = await startServer({})
  })

  afterAll(() => stopServer(server))

  it("reports absent without a cookie", async () => {
    const response = await fetch(`${server.baseUrl}/api/session`)

    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ state: "absent" })
    expect(response.headers.get("set-cookie")).toBeNull()
    expect(response.headers.get("cache-control")).toBe("no-store")
  })

  it("test routes are 404 without their variables", async () => {
    const clock = await fetch(`${server.baseUrl}/api/test-clock`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ advanceMs: 1000 })
    })
    const outage = await fetch(`${server.baseUrl}/api/test-outage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ unavailable: true })
    })

    expect(clock.status).toBe(404)
    expect(outage.status).toBe(404)
    expect((await fetch(`${server.baseUrl}/api/session`)).status).toBe(200)
  })
})

describe("start-up", () => {
  it("an invalid policy variable stops the server", async () => {
    const error = await startServer({ SESHAT_IDLE_TIMEOUT: "banana" }).then(
      (server) => {
        stopServer(server)
        return undefined
      },
      (reason: unknown) => reason
    )

    expect(String(error)).toContain("exited with code 1")
    expect(String(error)).toContain("idleTimeout")
  })
})

describe("proxy.ts", () => {
  it("matcher equals proxyMatcher", () => {
    // next build only accepts a literal matcher, so proxy.ts spells out the adapter's value.
    expect(proxyConfig.matcher).toEqual(NextSessions.proxyMatcher)
  })
})
