/**
 * Signing in and out, the flash message after a sign-in, and the page that needs a recent sign-in.
 */
import { describe, expect, it } from "vitest"
import { type App, POLL, sessionCookie, sessionToken, TOKEN_SHAPE, uniqueUser, visitHome } from "../support/app.js"

export const describeSignIn = (app: App) =>
  describe("sign-in", () => {
    it("sign-in rotates the token", async () => {
      await app.withPage(async (page, context) => {
        const anonymous = await visitHome(page)
        const before = await sessionToken(context)
        const user = uniqueUser("rotate")

        await app.signIn(page, user)

        const after = await sessionToken(context)
        expect(after).toMatch(TOKEN_SHAPE)
        expect(after).not.toBe(before)
        // The token from before the sign-in no longer finds any session.
        expect(await app.sessionOfToken(before)).toEqual({ state: "invalid", reason: "unknown" })
        const signedIn = await app.sessionOfToken(after)
        expect(signedIn.state).toBe("active")
        expect(signedIn.userId).toBe(user)
        // An anonymous session that signs in keeps its data: the count goes on from the first visit.
        expect(signedIn.sessionId).toBe(anonymous.sessionId)
        expect(signedIn.visits).toBeGreaterThanOrEqual(anonymous.visits)
      })
    })

    it("sign-out ends the session", async () => {
      await app.withPage(async (page, context) => {
        await app.signIn(page, uniqueUser("sign-out"))
        const token = await sessionToken(context)

        await page.getByTestId("sign-out").click()
        await page.waitForURL((url) => url.pathname === "/sign-in")

        await page.getByTestId("sign-in-link").waitFor()
        expect(await page.getByTestId("signed-in-user").count()).toBe(0)
        expect(await sessionCookie(context)).toBeUndefined()
        // The record is gone from the store, so the old cookie value is dead.
        expect(await app.sessionOfToken(token)).toEqual({ state: "invalid", reason: "unknown" })
      })
    })

    it("flash message shows once", async () => {
      await app.withPage(async (page) => {
        const user = uniqueUser("flash")

        await app.signIn(page, user)

        await expect.poll(() => page.getByTestId("flash-message").textContent(), POLL).toBe(`Signed in as ${user}`)
        await page.reload()
        // "none" means the page asked the server and got no message, as opposed to not having asked yet.
        await expect.poll(() => page.getByTestId("flash").getAttribute("data-state"), POLL).toBe("none")
        expect(await page.getByTestId("flash-message").count()).toBe(0)
        expect(await page.getByTestId("signed-in-user").textContent()).toBe(user)
      })
    })

    it("security page needs a recent sign-in", async () => {
      await app.withPage(async (page, context) => {
        const user = uniqueUser("recent")
        await app.signIn(page, user)
        const signInToken = await sessionToken(context)

        await page.goto("/account/security")
        await page.getByTestId("security-settings").waitFor()

        // Six minutes later the five-minute window has passed (the idle timeout is ten minutes).
        const clockAfterAdvance = await app.advanceClock(6 * 60_000)
        await page.reload()
        await page.getByTestId("reauthentication-required").waitFor()
        expect(await page.getByTestId("security-settings").count()).toBe(0)

        // A wrong name is rejected and changes nothing.
        await page.getByTestId("confirm-name").fill(`${user}-not`)
        await page.getByTestId("confirm-submit").click()
        await page.getByTestId("confirm-error").waitFor()
        expect(await sessionToken(context)).toBe(signInToken)

        await page.getByTestId("confirm-name").fill(user)
        await page.getByTestId("confirm-submit").click()
        await page.getByTestId("security-settings").waitFor()

        // Re-authentication is a sign-in: a new token, and the old one is dead.
        const newToken = await sessionToken(context)
        expect(newToken).not.toBe(signInToken)
        expect(await app.sessionOfToken(signInToken)).toEqual({ state: "invalid", reason: "unknown" })
        const session = await app.sessionOfToken(newToken)
        expect(session.userId).toBe(user)
        // The confirmation is the new sign-in time.
        expect(Date.parse(String(session.authenticatedAt))).toBeGreaterThanOrEqual(clockAfterAdvance)
        expect(await page.getByTestId("security-settings").getAttribute("data-authenticated-at")).toBe(
          session.authenticatedAt
        )
      })
    })
  })
