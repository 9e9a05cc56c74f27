/**
 * Browser tests of the example app: `next build` once, `next start` on a loopback port with the test
 * clock, and Debian's Chromium driven by playwright-core through each user journey.
 *
 * Needs the packages' dist/ (`npm run build` at the repository root) and Chromium at
 * /usr/bin/chromium or at CHROMIUM_PATH.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { createServer } from "node:net"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { type Browser, type BrowserContext, type Cookie, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

process.env.NEXT_TELEMETRY_DISABLED = "1"

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const repoDir = path.resolve(appDir, "../..")
const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next")

const COOKIE_NAME = "__Host-seshat"
const IDLE_TIMEOUT_MS = 10 * 60_000
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/
// The page re-renders its status line after the Server Action returns, which can take a moment on a
// loaded machine, so polls get longer than vitest's one-second default.
const POLL = { timeout: 10_000 }

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

// ---------------------------------------------------------------------------------------------------
// Server and browser
// ---------------------------------------------------------------------------------------------------

interface Server {
  readonly baseUrl: string
  readonly child: ChildProcess
  readonly output: () => string
}

/**
 * Builds the environment of a `next` child process: this process's without its SESHAT_ variables,
 * and with NODE_ENV=production, the mode of `next build` and `next start`, in place of vitest's "test".
 */
const childEnvironment = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" }
  for (const key of Object.keys(env)) {
    if (key.startsWith("SESHAT_")) delete env[key]
  }
  return { ...env, ...extra }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

const buildApp = async (): Promise<void> => {
  for (const pkg of ["core", "adapters-memory", "adapters-next"]) {
    if (!existsSync(path.join(repoDir, "packages", pkg, "dist", "index.js"))) {
      throw new Error(`packages/${pkg}/dist is missing. Run \`npm run build\` at the repository root first.`)
    }
  }
  try {
    await promisify(execFile)(process.execPath, [nextBin, "build"], {
      cwd: appDir,
      env: childEnvironment({}),
      maxBuffer: 64 * 1024 * 1024
    })
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string }
    throw new Error(`next build failed:\n${failure.stdout ?? ""}\n${failure.stderr ?? ""}`)
  }
}

const startServer = async (env: Record<string, string>): Promise<Server> => {
  const port = await freePort()
  // Detached, so the child leads its own process group and stopServer can end the group.
  const child = spawn(process.execPath, [nextBin, "start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: appDir,
    env: childEnvironment(env),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout?.on("data", (chunk) => {
    output += chunk
  })
  child.stderr?.on("data", (chunk) => {
    output += chunk
  })
  const server = { baseUrl: `http://127.0.0.1:${port}`, child, output: () => output }

  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with code ${child.exitCode}:\n${output}`)
    try {
      const response = await fetch(`${server.baseUrl}/api/session`)
      if (response.ok) return server
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  stopServer(server)
  throw new Error(`next start did not answer on ${server.baseUrl} within 60 s:\n${output}`)
}

const stopServer = (server: Server | undefined): void => {
  const pid = server?.child.pid
  if (pid === undefined || server?.child.exitCode !== null) return
  try {
    process.kill(-pid, "SIGTERM")
  } catch {
    // The group already exited.
  }
}

let server: Server
let browser: Browser

beforeAll(async () => {
  await buildApp()
  server = await startServer({
    SESHAT_TEST_CLOCK: "1",
    SESHAT_TEST_OUTAGE: "1",
    SESHAT_IDLE_TIMEOUT: "10 minutes",
    SESHAT_RENEWAL_INTERVAL: "1 minute"
  })
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS
  })
})

afterAll(async () => {
  await browser?.close()
  stopServer(server)
})

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

/**
 * Runs `body` with a fresh browser context and page, and fails the test on any uncaught page error.
 */
const withPage = async (
  body: (page: Page, context: BrowserContext) => Promise<void>,
  baseURL = server.baseUrl
): Promise<void> => {
  const context = await browser.newContext({ baseURL })
  // Fails a missing element in 10 s rather than Playwright's default 30 s.
  context.setDefaultTimeout(10_000)
  const page = await context.newPage()
  const pageErrors: Array<string> = []
  page.on("pageerror", (error) => pageErrors.push(error.message))
  try {
    await body(page, context)
    expect(pageErrors).toEqual([])
  } finally {
    await context.close()
  }
}

interface Visit {
  readonly origin: string | null
  readonly replaced: string | null
  readonly sessionId: string | null
  readonly visits: number
}

/**
 * Loads the home page (or reloads it) and waits until the visit panel shows what the recorded
 * visit did.
 */
const visitHome = async (page: Page, navigation: "goto" | "reload" = "goto"): Promise<Visit> => {
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

const sessionCookie = async (context: BrowserContext): Promise<Cookie | undefined> =>
  (await context.cookies()).find((cookie) => cookie.name === COOKIE_NAME)

const statusState = (page: Page) => page.getByTestId("session-status").getAttribute("data-state")

const getSession = async (context: BrowserContext): Promise<Record<string, unknown>> => {
  const response = await context.request.get("/api/session")
  expect(response.status()).toBe(200)
  return (await response.json()) as Record<string, unknown>
}

const advanceClock = async (advanceMs: number): Promise<void> => {
  const response = await fetch(`${server.baseUrl}/api/test-clock`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ advanceMs })
  })
  expect(response.status).toBe(200)
}

const setOutage = async (unavailable: boolean): Promise<void> => {
  const response = await fetch(`${server.baseUrl}/api/test-outage`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ unavailable })
  })
  expect(response.status).toBe(200)
}

const plantCookie = (context: BrowserContext, value: string) =>
  context.addCookies([
    { name: COOKIE_NAME, value, domain: "127.0.0.1", path: "/", secure: true, httpOnly: true, sameSite: "Lax" }
  ])

/** A token of the right shape (32 random bytes in base64url) that the server never issued. */
const unknownToken = (): string => randomBytes(32).toString("base64url")

// ---------------------------------------------------------------------------------------------------
// Journeys
// ---------------------------------------------------------------------------------------------------

describe("example app in Chromium", () => {
  it("first visit creates a session", async () => {
    await withPage(async (page, context) => {
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
    const localhost = server.baseUrl.replace("127.0.0.1", "localhost")
    await withPage(async (page, context) => {
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
    await withPage(async (page, context) => {
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
      const state = await getSession(context)
      expect(state.state).toBe("active")
      expect(state.sessionId).toBe(first.sessionId)
      expect(state.visits).toBe(2)
    })
  })

  it("End session removes the cookie", async () => {
    await withPage(async (page, context) => {
      await visitHome(page)
      const token = (await sessionCookie(context))?.value
      expect(token).toMatch(TOKEN_SHAPE)

      await page.getByTestId("end-session").click()
      await page.getByTestId("session-ended").waitFor()

      expect(await sessionCookie(context)).toBeUndefined()
      await expect.poll(() => statusState(page), POLL).toBe("absent")
      expect((await getSession(context)).state).toBe("absent")
      // The record is gone from the store too: the old token is now unknown.
      await plantCookie(context, token!)
      expect(await getSession(context)).toEqual({ state: "invalid", reason: "unknown" })
    })
  })

  it("tampered cookie is replaced", async () => {
    const cases = [
      { presented: "garbage", reason: "malformed" },
      { presented: unknownToken(), reason: "unknown" }
    ]
    for (const { presented, reason } of cases) {
      await withPage(async (page, context) => {
        await plantCookie(context, presented)
        expect(await getSession(context)).toEqual({ state: "invalid", reason })

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

  it("idle timeout replaces the session", async () => {
    await withPage(async (page, context) => {
      const first = await visitHome(page)
      const firstToken = (await sessionCookie(context))?.value
      const before = await getSession(context)

      // Inside the idle window the session survives, and the visit slides its idle deadline.
      await advanceClock(IDLE_TIMEOUT_MS - 60_000)
      const second = await visitHome(page, "reload")
      expect(second.origin).toBe("resumed")
      expect(second.sessionId).toBe(first.sessionId)
      const renewed = await getSession(context)
      expect(Date.parse(String(renewed.idleExpiresAt)) - Date.parse(String(before.idleExpiresAt))).toBeGreaterThan(
        IDLE_TIMEOUT_MS - 2 * 60_000
      )

      // One second past the renewed idle deadline the session is expired, and a visit replaces it.
      await advanceClock(IDLE_TIMEOUT_MS + 1000)
      expect(await getSession(context)).toEqual({ state: "expired", sessionId: first.sessionId, reason: "idle" })
      const third = await visitHome(page, "reload")

      expect(third.origin).toBe("replaced")
      expect(third.replaced).toBe("idle")
      expect(third.sessionId).not.toBe(first.sessionId)
      expect(third.visits).toBe(1)
      const token = (await sessionCookie(context))?.value
      expect(token).toMatch(TOKEN_SHAPE)
      expect(token).not.toBe(firstToken)
    })
  })
  it("store outage never reads as absent", async () => {
    await withPage(async (page, context) => {
      const first = await visitHome(page)
      const token = (await sessionCookie(context))?.value

      await setOutage(true)
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
        await setOutage(false)
      }

      // After the outage the same session is still there.
      const second = await visitHome(page, "reload")
      expect(second.origin).toBe("resumed")
      expect(second.sessionId).toBe(first.sessionId)
      expect(second.visits).toBe(2)
    })
  })
})

describe("GET /api/session over fetch", () => {
  it("reports absent without a cookie", async () => {
    const response = await fetch(`${server.baseUrl}/api/session`)

    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ state: "absent" })
    expect(response.headers.get("set-cookie")).toBeNull()
    expect(response.headers.get("cache-control")).toBe("no-store")
  })
})

describe("test routes", () => {
  it("are 404 without their variables", async () => {
    const plain = await startServer({})
    try {
      const clock = await fetch(`${plain.baseUrl}/api/test-clock`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ advanceMs: 1000 })
      })
      const outage = await fetch(`${plain.baseUrl}/api/test-outage`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ unavailable: true })
      })

      expect(clock.status).toBe(404)
      expect(outage.status).toBe(404)
      expect((await fetch(`${plain.baseUrl}/api/session`)).status).toBe(200)
    } finally {
      stopServer(plain)
    }
  })
})
