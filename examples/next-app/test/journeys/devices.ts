/**
 * The device list: one user signed in from several browser contexts, and signing the others out.
 */
import type { Page } from "playwright-core"
import { describe, expect, it } from "vitest"
import { type App, POLL, uniqueUser } from "../support/app.js"

const deviceRows = (page: Page) => page.getByTestId("device")

/**
 * Returns the session ids of the device list, with the one marked current.
 */
const listedDevices = async (page: Page) => {
  const rows = await deviceRows(page).all()
  const devices: Array<{ sessionId: string | null; current: boolean }> = []
  for (const row of rows) {
    devices.push({
      sessionId: await row.getAttribute("data-session-id"),
      current: (await row.getAttribute("data-current")) === "true"
    })
  }
  return devices
}

export const describeDevices = (app: App) =>
  describe("devices", () => {
    it("revoked device is signed out", async () => {
      await app.withPages(2, async ([laptop, phone]) => {
        const user = uniqueUser("devices")
        await app.signIn(laptop!.page, user)
        await app.signIn(phone!.page, user)
        const laptopSession = String((await app.getSession(laptop!.context)).sessionId)
        const phoneSession = String((await app.getSession(phone!.context)).sessionId)
        expect(phoneSession).not.toBe(laptopSession)

        await laptop!.page.goto("/devices")
        await expect.poll(() => deviceRows(laptop!.page).count(), POLL).toBe(2)
        const devices = await listedDevices(laptop!.page)
        expect(devices).toContainEqual({ sessionId: laptopSession, current: true })
        expect(devices).toContainEqual({ sessionId: phoneSession, current: false })

        await laptop!.page
          .locator(`[data-testid="device"][data-session-id="${phoneSession}"]`)
          .getByTestId("revoke-device")
          .click()
        await expect.poll(() => deviceRows(laptop!.page).count(), POLL).toBe(1)
        expect(await listedDevices(laptop!.page)).toEqual([{ sessionId: laptopSession, current: true }])

        // The phone still sends its cookie, and its next request finds the session gone.
        await phone!.page.goto("/devices")
        await phone!.page.getByTestId("devices-signed-out").waitFor()
        expect(await phone!.page.getByTestId("signed-in-user").count()).toBe(0)
        expect(await app.getSession(phone!.context)).toEqual({ state: "invalid", reason: "unknown" })
        // The laptop is still signed in.
        await laptop!.page.reload()
        expect(await laptop!.page.getByTestId("signed-in-user").textContent()).toBe(user)
      })
    })

    it("revoke all keeps this device", async () => {
      await app.withPages(3, async ([laptop, phone, tablet]) => {
        const user = uniqueUser("revoke-all")
        for (const device of [laptop, phone, tablet]) await app.signIn(device!.page, user)
        const laptopSession = String((await app.getSession(laptop!.context)).sessionId)

        await laptop!.page.goto("/devices")
        await expect.poll(() => deviceRows(laptop!.page).count(), POLL).toBe(3)
        await laptop!.page.getByTestId("revoke-others").click()

        await laptop!.page.getByTestId("no-other-devices").waitFor()
        expect(await listedDevices(laptop!.page)).toEqual([{ sessionId: laptopSession, current: true }])
        for (const other of [phone, tablet]) {
          await other!.page.goto("/devices")
          await other!.page.getByTestId("devices-signed-out").waitFor()
          expect(await app.getSession(other!.context)).toEqual({ state: "invalid", reason: "unknown" })
        }
        const laptopState = await app.getSession(laptop!.context)
        expect(laptopState.sessionId).toBe(laptopSession)
        expect(laptopState.userId).toBe(user)
      })
    })
  })
