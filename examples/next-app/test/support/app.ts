/**
 * The app under test: one `next start` server (on the memory store or on Redis) and the shared
 * Chromium, with helpers for the steps that many journeys take.
 */
import { randomBytes } from "node:crypto"
import { type Browser, type BrowserContext, type Cookie, chromium, type Page } from "playwright-core"
import { expect } from "vitest"
import type { Server } from "./server.js"

export const COOKIE_NAME = "__Host-seshat"
export const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/
/** The policy the test servers run with; see `TEST_ENV`. */
export const IDLE_TIMEOUT_MS = 10 * 60_000
export const RENEWAL_INTERVAL_MS = 60_000

/**
 * The app variables of the test servers: both test routes, a 10-minute idle timeout and renewal
 * at most once a minute.
 */
export const TEST_ENV: Record<string, string> = {
  SESHAT_TEST_CLOCK: "1",
  SESHAT_TEST_OUTAGE: "1",
  SESHAT_IDLE_TIMEOUT: "10 minutes",
  SESHAT_RENEWAL_INTERVAL: "1 minute"
}

/**
 * Polling options for page state that a Server Action changes: its response can take a moment on a
 * loaded machine, so polls get longer than vitest's one-second default.
 */
export const POLL = { timeout: 10_000 }

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--metrics-recording-only",
  "--no-default-browser-check"
]

/**
 * Starts Debian's Chromium, or the one at CHROMIUM_PATH.
 */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS })

/**
 * A session as `GET /api/session` reports it.
 */
export type SessionJson = Record<string, unknown>

/**
 * What the home page's visit panel shows after the visit was recorded.
 */
export interface Visit {
  readonly origin: string | null
  readonly replaced: string | null
  readonly sessionId: string | null
  readonly visits: number
}

/**
 * One server of the app under test. `server` and `browser` are set by the suite's `beforeAll`, so
 * journeys may only use them inside tests.
 */
export class App {
  server: Server | undefined
  browser: Browser | undefined

  constructor(readonly store: "memory" | "redis") {}

  get baseUrl(): string {
    if (this.server === undefined) throw new Error(`the ${this.store} server is not running`)
    return this.server.baseUrl
  }

  /**
   * Opens a fresh browser context, like a separate browser with its own cookies.
   */
  async newContext(baseURL = this.baseUrl): Promise<BrowserContext> {
    if (this.browser === undefined) throw new Error("Chromium is not running")
    const context = await this.browser.newContext({ baseURL })
    // Fails a missing element in 10 s rather than Playwright's default 30 s.
    context.setDefaultTimeout(10_000)
    return context
  }

  /**
   * Runs `body` with a fresh browser context and page, and fails the test on any uncaught page error.
   */
  async withPage(body: (page: Page, context: BrowserContext) => Promise<void>, baseURL?: string): Promise<void> {
    await this.withPages(1, ([entry]) => body(entry!.page, entry!.context), baseURL)
  }

  /**
   * Runs `body` with `count` separate browser contexts, one page each, as if the same person used
   * several devices. Fails the test on any uncaught page error.
   */
  async withPages(
    count: number,
    body: (devices: ReadonlyArray<{ readonly page: Page; readonly context: BrowserContext }>) => Promise<void>,
    baseURL?: string
  ): Promise<void> {
    const devices: Array<{ page: Page; context: BrowserContext }> = []
    const pageErrors: Array<string> = []
    try {
      for (let i = 0; i < count; i++) {
        const context = await this.newContext(baseURL)
        const page = await context.newPage()
        page.on("pageerror", (error) => pageErrors.push(error.message))
        devices.push({ page, context })
      }
      await body(devices)
      expect(pageErrors).toEqual([])
    } finally {
      for (const { context } of devices) await context.close()
    }
  }

  /**
   * Moves the server's test clock forward and returns its new time, in epoch milliseconds.
   */
  async advanceClock(advanceMs: number): Promise<number> {
    const response = await fetch(`${this.baseUrl}/api/test-clock`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ advanceMs })
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { now: string }
    return Date.parse(body.now)
  }

  async setOutage(unavailable: boolean): Promise<void> {
    const response = await fetch(`${this.baseUrl}/api/test-outage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ unavailable })
    })
    expect(response.status).toBe(200)
  }

  /**
   * Returns `GET /api/session` for the browser context's cookies.
   */
  async getSession(context: BrowserContext): Promise<SessionJson> {
    const response = await context.request.get("/api/session")
    expect(response.status()).toBe(200)
    return (await response.json()) as SessionJson
  }

  /**
   * Returns `GET /api/session` for a request that presents `token`, outside any browser, so the
   * browser's own cookie stays as it is.
   */
  async sessionOfToken(token: string): Promise<SessionJson> {
    const response = await fetch(`${this.baseUrl}/api/session`, { headers: { cookie: `${COOKIE_NAME}=${token}` } })
    expect(response.status).toBe(200)
    return (await response.json()) as SessionJson
  }

  /**
   * Signs in through the sign-in form and waits for the home page that the sign-in redirects to.
   */
  async signIn(page: Page, name: string): Promise<void> {
    await page.goto("/sign-in")
    await page.getByTestId("sign-in-name").fill(name)
    await page.getByTestId("sign-in-submit").click()
    await page.waitForURL((url) => url.pathname === "/")
    await expect.poll(() => page.getByTestId("signed-in-user").textContent(), POLL).toBe(name)
  }
}

/**
 * Loads the home page (or reloads it) and waits until the visit panel shows what the recorded
 * visit did.
 */
export const visitHome = async (page: Page, navigation: "goto" | "reload" = "goto"): Promise<Visit> => {
  if (navigation === "goto") await page.goto("/")
  else await page.reload()
  const origin = page.getByTestId("visit-origin")
  await origin.waitFor()
  return {
    origin: await origin.getAttribute("data-origin"),
    replaced: await origin.getAttribute("data-replaced"),
    sessionId: await page.getByTestId("visit-session-id").getAttribute("data-session-id"),
    visits: Number(await page.getByTestId("visit-count").textContent())
  }
}

export const sessionCookie = async (context: BrowserContext): Promise<Cookie | undefined> =>
  (await context.cookies()).find((cookie) => cookie.name === COOKIE_NAME)

/**
 * Returns the browser context's session token, and fails the test when it has none.
 */
export const sessionToken = async (context: BrowserContext): Promise<string> => {
  const token = (await sessionCookie(context))?.value
  expect(token).toMatch(TOKEN_SHAPE)
  return token!
}

export const statusState = (page: Page) => page.getByTestId("session-status").getAttribute("data-state")

export const plantCookie = (context: BrowserContext, value: string) =>
  context.addCookies([
    { name: COOKIE_NAME, value, domain: "127.0.0.1", path: "/", secure: true, httpOnly: true, sameSite: "Lax" }
  ])

/** A token of the right shape (32 random bytes in base64url) that the server never issued. */
export const unknownToken = (): string => randomBytes(32).toString("base64url")

/** A user name no other test uses, so device lists hold only this test's sessions. */
export const uniqueUser = (prefix: string): string => `${prefix}-${randomBytes(4).toString("hex")}`

/**
 * Returns the `Set-Cookie` values for the session cookie among a response's headers, one entry per
 * header line. Takes Playwright's `headersArray()` or a fetch `Headers`.
 */
export const sessionSetCookies = (
  headers: ReadonlyArray<{ readonly name: string; readonly value: string }> | Headers
): Array<string> => {
  const values =
    headers instanceof Headers
      ? headers.getSetCookie()
      : headers.filter((header) => header.name.toLowerCase() === "set-cookie").map((header) => header.value)
  // Playwright may join several Set-Cookie lines of one header entry with newlines.
  return values.flatMap((value) => value.split("\n")).filter((value) => value.startsWith(`${COOKIE_NAME}=`))
}

/**
 * Returns the attributes of the session status line in the home page's server-rendered HTML, as
 * the render produced them, before any client-side update.
 */
export const renderedStatus = (html: string): Record<string, string> => {
  const tag = /<p\b[^>]*data-testid="session-status"[^>]*>/.exec(html)?.[0]
  if (tag === undefined) throw new Error(`the page has no session status line:\n${html.slice(0, 2000)}`)
  const attributes: Record<string, string> = {}
  for (const [, name, value] of tag.matchAll(/([\w-]+)="([^"]*)"/g)) attributes[name!] = value!
  return attributes
}
