/**
 * Route Handlers wrapped with `sessions.route`: cache headers on responses that set the cookie, and
 * concurrent updates of one session.
 */
import { describe, expect, it } from "vitest"
import { type App, RENEWAL_INTERVAL_MS, sessionSetCookies, sessionToken, visitHome } from "../support/app.js"

export const describeRouteHandlers = (app: App) =>
  describe("route handlers", () => {
    it("cookie responses are not cacheable", async () => {
      await app.withPage(async (_page, context) => {
        // The first POST creates the session, so its response sets the cookie.
        const created = await context.request.post("/api/visits")
        expect(created.status()).toBe(200)
        expect(sessionSetCookies(created.headersArray())).toHaveLength(1)
        expect(created.headers()["cache-control"]).toBe("no-store")
        expect(
          created
            .headers()
            .vary?.split(",")
            .map((name) => name.trim().toLowerCase())
        ).toContain("cookie")
        expect(await created.json()).toMatchObject({ visits: 1 })

        // Within the renewal interval a POST only updates the store, and sends no cookie.
        const updated = await context.request.post("/api/visits")
        expect(updated.status()).toBe(200)
        expect(sessionSetCookies(updated.headersArray())).toEqual([])
        expect(await updated.json()).toMatchObject({ visits: 2 })

        // A handler that only reads sends no cookie either.
        const read = await context.request.get("/api/session")
        expect(read.status()).toBe(200)
        expect(sessionSetCookies(read.headersArray())).toEqual([])
      })
    })

    // GET /api/visits leaves the cache headers to `sessions.route`, and its handler writes no
    // cookie, so only proxy can add them to the renewal it writes.
    it("proxy renewal response is not cacheable", async () => {
      await app.withPage(async (_page, context) => {
        await context.request.post("/api/visits")
        await app.advanceClock(RENEWAL_INTERVAL_MS + 60_000)

        const renewed = await context.request.get("/api/visits")

        expect(renewed.status()).toBe(200)
        expect(sessionSetCookies(renewed.headersArray())).toHaveLength(1)
        expect(renewed.headers()["cache-control"]).toBe("no-store")
        expect(
          renewed
            .headers()
            .vary?.split(",")
            .map((name) => name.trim().toLowerCase())
        ).toContain("cookie")
      })
    })

    it("parallel updates lose no visit", async () => {
      await app.withPage(async (page, context) => {
        const first = await visitHome(page)
        const token = await sessionToken(context)

        // Ten POSTs from the page at once, all with the same cookie.
        const results = await page.evaluate(async () => {
          const requests = Array.from({ length: 10 }, () => fetch("/api/visits", { method: "POST" }))
          return Promise.all(
            (await Promise.all(requests)).map(async (response) => ({
              status: response.status,
              visits: response.ok ? ((await response.json()) as { visits: number }).visits : null
            }))
          )
        })

        expect(results.map((result) => result.status)).toEqual(Array(10).fill(200))
        // Each request saw its own increment: the counts after them are ten distinct values.
        const counts = results.map((result) => result.visits).sort((a, b) => a! - b!)
        expect(counts).toEqual(Array.from({ length: 10 }, (_, i) => first.visits + i + 1))
        const state = await app.getSession(context)
        expect(state.sessionId).toBe(first.sessionId)
        expect(state.visits).toBe(first.visits + 10)
        expect(await sessionToken(context)).toBe(token)
      })
    })
  })
