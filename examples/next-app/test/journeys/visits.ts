/**
 * The anonymous visit counter: creating, resuming, ending, replacing and expiring a session, and a
 * store outage.
 */
import { describe, expect, it } from "vitest"
import {
  type App,
  IDLE_TIMEOUT_MS,
  POLL,
  plantCookie,
  renderedStatus,
  sessionCookie,
  sessionToken,
  statusState,
  TOKEN_SHAPE,
  unknownToken,
  visitHome
} from "../support/app.js"

export const describeVisits = (app: App) =>
  describe("visit counter", () => {
    it("first visit creates a session", async () => {
      await app.withPage(async (page, context) => {
        const visit = await visitHome(page)

        expect(visit.origin).toBe("created")
        expect(visit.replaced).toBeNull()
        expect(visit.visits).toBe(1)
        const cookie = await sessionCookie(context)
        expect(cookie).toBeDefined()
        expect(cookie!.value).toMatch(TOKEN_SHAPE)
        expect(cookie!.httpOnly).toBe(true)
        expect(cookie!.secure).toBe(true)
        expect(cookie!.sameSite).toBe("Lax")
        expect(cookie!.path).toBe("/")
        // A host-only cookie: Playwright reports no leading dot for a cookie without a Domain attribute.
        expect(cookie!.domain).toBe("127.0.0.1")
        await expect.poll(() => statusState(page), POLL).toBe("active")
        expect(await page.getByTestId("session-status").getAttribute("data-session-id")).toBe(visit.sessionId)
      })
    })

    it("localhost also gets the Secure cookie", async () => {
      // Chromium treats http://localhost as a secure context, like http://127.0.0.1, so it stores the
      // Secure __Host- cookie over plain HTTP there too.
      const localhost = app.baseUrl.replace("127.0.0.1", "localhost")
      await app.withPage(async (page, context) => {
        const visit = await visitHome(page)

        expect(visit.origin).toBe("created")
        const cookie = await sessionCookie(context)
        expect(cookie?.domain).toBe("localhost")
        expect(cookie?.secure).toBe(true)
        const second = await visitHome(page, "reload")
        expect(second.sessionId).toBe(visit.sessionId)
      }, localhost)
    })

    it("reload resumes the same session", async () => {
      await app.withPage(async (page, context) => {
        const first = await visitHome(page)
        const firstCookie = await sessionCookie(context)

        const second = await visitHome(page, "reload")
        const secondCookie = await sessionCookie(context)

        expect(second.origin).toBe("resumed")
        expect(second.sessionId).toBe(first.sessionId)
        expect(second.visits).toBe(2)
        expect(secondCookie?.value).toBe(firstCookie?.value)
        // The Server Action refreshes the page, so the server-rendered status shows the new count too.
        await expect.poll(() => page.getByTestId("session-status").textContent(), POLL).toContain("with 2 visits")
        // The Route Handler reads from the same store as the page and its Server Actions.
        const state = await app.getSession(context)
        expect(state.state).toBe("active")
        expect(state.sessionId).toBe(first.sessionId)
        expect(state.visits).toBe(2)
      })
    })

    it("End session removes the cookie", async () => {
      await app.withPage(async (page, context) => {
        await visitHome(page)
        const token = await sessionToken(context)

        await page.getByTestId("end-session").click()
        await page.getByTestId("session-ended").waitFor()

        expect(await sessionCookie(context)).toBeUndefined()
        await expect.poll(() => statusState(page), POLL).toBe("absent")
        expect((await app.getSession(context)).state).toBe("absent")
        // The record is gone from the store too: the old token is now unknown.
        expect(await app.sessionOfToken(token)).toEqual({ state: "invalid", reason: "unknown" })
      })
    })

    it("tampered cookie is replaced", async () => {
      const cases = [
        { presented: "garbage", reason: "malformed" },
        { presented: unknownToken(), reason: "unknown" }
      ]
      for (const { presented, reason } of cases) {
        await app.withPage(async (page, context) => {
          await plantCookie(context, presented)
          expect(await app.getSession(context)).toEqual({ state: "invalid", reason })

          const visit = await visitHome(page)

          expect(visit.origin).toBe("replaced")
          expect(visit.replaced).toBe(reason)
          expect(visit.visits).toBe(1)
          const cookie = await sessionCookie(context)
          expect(cookie?.value).toMatch(TOKEN_SHAPE)
          expect(cookie?.value).not.toBe(presented)
          await expect.poll(() => statusState(page), POLL).toBe("active")
        })
      }
    })

    it("tampered live token gets a fresh session", async () => {
      await app.withPage(async (page, context) => {
        const original = await visitHome(page)
        await visitHome(page, "reload")
        const token = await sessionToken(context)
        // One character changed keeps the token's shape but matches no stored session. It is not the
        // last character, whose lowest bits are padding in base64url.
        const changed = token[10] === "A" ? "B" : "A"
        const tampered = `${token.slice(0, 10)}${changed}${token.slice(11)}`
        await plantCookie(context, tampered)

        const visit = await visitHome(page, "reload")

        expect(visit.origin).toBe("replaced")
        expect(visit.replaced).toBe("unknown")
        expect(visit.sessionId).not.toBe(original.sessionId)
        expect(visit.visits).toBe(1)
        const fresh = await sessionToken(context)
        expect(fresh).not.toBe(token)
        expect(fresh).not.toBe(tampered)
        // The session of the untouched token is still there with its own count.
        const untouched = await app.sessionOfToken(token)
        expect(untouched.sessionId).toBe(original.sessionId)
        expect(untouched.visits).toBe(2)
      })
    })

    it("percent-encoded token is malformed", async () => {
      await app.withPage(async (page, context) => {
        const original = await visitHome(page)
        const token = await sessionToken(context)
        // Next's cookie store decodes %XX, so there this reads as the live token. A token never
        // contains %, so the adapter checks the raw header and rejects it.
        const escaped = `%${token.charCodeAt(10).toString(16).toUpperCase()}`
        await plantCookie(context, `${token.slice(0, 10)}${escaped}${token.slice(11)}`)

        const state = await app.getSession(context)
        const visit = await visitHome(page, "reload")

        expect(state).toEqual({ state: "invalid", reason: "malformed" })
        expect(visit.origin).toBe("replaced")
        expect(visit.replaced).toBe("malformed")
        expect(visit.sessionId).not.toBe(original.sessionId)
        expect((await app.sessionOfToken(token)).visits).toBe(original.visits)
      })
    })

    it("idle timeout replaces the session", async () => {
      await app.withPage(async (page, context) => {
        const first = await visitHome(page)
        const firstToken = await sessionToken(context)
        const before = await app.getSession(context)

        // Inside the idle window the session survives, and the visit slides its idle deadline.
        await app.advanceClock(IDLE_TIMEOUT_MS - 60_000)
        const second = await visitHome(page, "reload")
        expect(second.origin).toBe("resumed")
        expect(second.sessionId).toBe(first.sessionId)
        const renewed = await app.getSession(context)
        expect(Date.parse(String(renewed.idleExpiresAt)) - Date.parse(String(before.idleExpiresAt))).toBeGreaterThan(
          IDLE_TIMEOUT_MS - 2 * 60_000
        )

        // One second past the renewed idle deadline the session is no longer active, and a visit
        // replaces it with a new one.
        await app.advanceClock(IDLE_TIMEOUT_MS + 1000)
        expect((await app.getSession(context)).state).not.toBe("active")
        const third = await visitHome(page, "reload")

        expect(third.origin).toBe("replaced")
        expect(third.sessionId).not.toBe(first.sessionId)
        expect(third.visits).toBe(1)
        const token = await sessionToken(context)
        expect(token).not.toBe(firstToken)
        expect((await app.sessionOfToken(firstToken)).state).not.toBe("active")
      })
    })

    // proxy runs first on every page request. It must leave the expired record in the store, or the
    // render could only report an unknown cookie instead of an expired session.
    it("expiry reason survives proxy", async () => {
      await app.withPage(async (page) => {
        const first = await visitHome(page)

        await app.advanceClock(IDLE_TIMEOUT_MS + 1000)
        const response = await page.reload()

        expect(renderedStatus(await response!.text())).toMatchObject({
          "data-state": "expired",
          "data-session-id": first.sessionId,
          "data-reason": "idle"
        })
        const replacement = page.getByTestId("visit-origin")
        await replacement.waitFor()
        expect(await replacement.getAttribute("data-origin")).toBe("replaced")
        expect(await replacement.getAttribute("data-replaced")).toBe("idle")
      })
    })

    it("store outage never reads as absent", async () => {
      await app.withPage(async (page, context) => {
        const first = await visitHome(page)
        const token = await sessionToken(context)

        await app.setOutage(true)
        try {
          const response = await context.request.get("/api/session")
          expect(response.status()).toBe(503)
          expect(response.headers()["set-cookie"]).toBeUndefined()
          // The server render fails rather than rendering "no session".
          const html = await context.request.get("/")
          expect(await html.text()).not.toContain('data-state="absent"')
          await page.reload()
          await page.getByTestId("page-error").waitFor()
          expect(await page.getByTestId("session-status").count()).toBe(0)
          expect((await sessionCookie(context))?.value).toBe(token)
        } finally {
          await app.setOutage(false)
        }

        // After the outage the same session is still there.
        const second = await visitHome(page, "reload")
        expect(second.origin).toBe("resumed")
        expect(second.sessionId).toBe(first.sessionId)
        expect(second.visits).toBe(2)
      })
    })
  })
