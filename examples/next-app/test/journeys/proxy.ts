/**
 * Sliding renewal in proxy.ts: seen by the same render, never on a prefetch, and never added to a
 * Server Action's response.
 */
import type { Page, Response } from "playwright-core"
import { describe, expect, it } from "vitest"
import {
  type App,
  COOKIE_NAME,
  RENEWAL_INTERVAL_MS,
  renderedStatus,
  sessionSetCookies,
  sessionToken,
  uniqueUser,
  visitHome
} from "../support/app.js"

/**
 * Fetches `path` with the session token and the given headers, following redirects by hand so that
 * the Set-Cookie headers of every response in the chain are collected.
 */
const fetchChain = async (app: App, path: string, token: string, headers: Record<string, string>) => {
  const setCookies: Array<string> = []
  let url = new URL(path, app.baseUrl)
  for (let hop = 0; hop < 5; hop++) {
    const response = await fetch(url, {
      headers: { ...headers, cookie: `${COOKIE_NAME}=${token}` },
      redirect: "manual"
    })
    setCookies.push(...sessionSetCookies(response.headers))
    const location = response.headers.get("location")
    if (response.status < 300 || response.status >= 400 || location === null) {
      return { status: response.status, body: await response.text(), setCookies }
    }
    url = new URL(location, url)
  }
  throw new Error(`more than 5 redirects from ${path}`)
}

/**
 * Waits for the response to the next Server Action POST that the page sends.
 */
const nextActionResponse = (page: Page): Promise<Response> =>
  page.waitForResponse((response) => {
    const request = response.request()
    return request.method() === "POST" && request.headers()["next-action"] !== undefined
  })

export const describeProxy = (app: App) =>
  describe("proxy renewal", () => {
    it("renewal reaches the same render", async () => {
      await app.withPage(async (page, context) => {
        await visitHome(page)
        const token = await sessionToken(context)
        const before = await app.getSession(context)

        const now = await app.advanceClock(RENEWAL_INTERVAL_MS + 60_000)
        const response = await page.reload()

        // Exactly one Set-Cookie for the session: proxy's renewal, which keeps the token.
        const setCookies = sessionSetCookies(await response!.headersArray())
        expect(setCookies).toHaveLength(1)
        expect(setCookies[0]!.startsWith(`${COOKIE_NAME}=${token};`)).toBe(true)
        // Next 16.4.6 replaces the Vary header of every page response with its own list, so only
        // Cache-Control is checked here. `no-store` keeps caches from storing the response.
        expect((await response!.allHeaders())["cache-control"]).toBe("no-store")
        // The server-rendered HTML already carries the renewed time: proxy ran before the render.
        const rendered = renderedStatus(await response!.text())
        const lastActivityAt = Date.parse(rendered["data-last-activity-at"]!)
        expect(lastActivityAt).toBeGreaterThan(Date.parse(String(before.lastActivityAt)))
        expect(lastActivityAt).toBeGreaterThanOrEqual(now)
        expect(lastActivityAt).toBeLessThan(now + 10_000)
        // And it is the stored time: nothing renewed the session again after that render.
        const after = await app.getSession(context)
        expect(after.lastActivityAt).toBe(rendered["data-last-activity-at"])
        expect(after.idleExpiresAt).toBe(rendered["data-idle-expires-at"])
      })
    })

    it("prefetch never renews", async () => {
      await app.withPage(async (page, context) => {
        await visitHome(page)
        const token = await sessionToken(context)
        const before = await app.getSession(context)
        await app.advanceClock(RENEWAL_INTERVAL_MS + 60_000)

        const prefetches: ReadonlyArray<{ name: string; headers: Record<string, string> }> = [
          { name: "Next-Router-Prefetch", headers: { "next-router-prefetch": "1" } },
          { name: "purpose: prefetch", headers: { purpose: "prefetch" } },
          // The router's own prefetch: an RSC request, which Next first redirects to a `_rsc` URL.
          { name: "RSC prefetch", headers: { rsc: "1", "next-router-prefetch": "1" } }
        ]
        for (const prefetch of prefetches) {
          const response = await fetchChain(app, "/", token, prefetch.headers)
          expect(response.status, prefetch.name).toBe(200)
          expect(response.setCookies, prefetch.name).toEqual([])
        }
        // The HTML prefetch rendered the stored time, unrenewed.
        const html = await fetchChain(app, "/", token, { purpose: "prefetch" })
        expect(renderedStatus(html.body)["data-last-activity-at"]).toBe(before.lastActivityAt)

        // The renewal was still due: the first ordinary request makes it.
        const ordinary = await fetchChain(app, "/", token, {})
        expect(ordinary.setCookies).toHaveLength(1)
        expect(renderedStatus(ordinary.body)["data-last-activity-at"]).not.toBe(before.lastActivityAt)
      })
    })

    it("Server Action gets no proxy cookie", async () => {
      await app.withPage(async (page, context) => {
        const user = uniqueUser("action")
        await app.signIn(page, user)
        // Past the recent sign-in window, so the security page requests the name again.
        await app.advanceClock(6 * 60_000)
        await page.goto("/account/security")
        await page.getByTestId("reauthentication-required").waitFor()
        const token = await sessionToken(context)

        // The session is due for renewal again when each of the actions below is posted.
        await app.advanceClock(RENEWAL_INTERVAL_MS + 60_000)
        const rejected = nextActionResponse(page)
        await page.getByTestId("confirm-name").fill(`${user}-not`)
        await page.getByTestId("confirm-submit").click()
        // This action only reads the session, so its response must carry no Set-Cookie at all: a
        // renewal by proxy here would also make Next drop the client's router cache.
        const rejectedHeaders = await (await rejected).headersArray()
        expect(sessionSetCookies(rejectedHeaders)).toEqual([])
        await page.getByTestId("confirm-error").waitFor()
        expect(await sessionToken(context)).toBe(token)

        await app.advanceClock(RENEWAL_INTERVAL_MS + 60_000)
        const confirmed = nextActionResponse(page)
        await page.getByTestId("confirm-name").fill(user)
        await page.getByTestId("confirm-submit").click()
        // This action rotates the token, and its response carries that one cookie, no renewal of the
        // old token besides.
        const confirmedSetCookies = sessionSetCookies(await (await confirmed).headersArray())
        await page.getByTestId("security-settings").waitFor()
        const newToken = await sessionToken(context)
        expect(newToken).not.toBe(token)
        expect(confirmedSetCookies).toHaveLength(1)
        expect(confirmedSetCookies[0]!.startsWith(`${COOKIE_NAME}=${newToken};`)).toBe(true)
      })
    })
  })
