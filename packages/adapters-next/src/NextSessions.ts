/**
 * Sessions for the Next.js App Router.
 *
 * ```ts
 * // lib/session.ts
 * export const sessions = NextSessions.make({
 *   schema: Schema.Struct({ visits: Schema.Number }),
 *   initial: () => ({ visits: 0 }),
 *   store: layerMemory(),
 *   // One instance per process, shared by every route bundle.
 *   globalKey: "my-app"
 * })
 *
 * // app/page.tsx (Server Component): read-only
 * const status = await sessions.read()
 *
 * // app/actions.ts (Server Action): may write the cookie
 * await sessions.update((data) => ({ visits: data.visits + 1 }))
 *
 * // app/api/me/route.ts (Route Handler): cache headers, and typed 409 and 503 responses
 * export const GET = sessions.route(async () => Response.json(await sessions.read()))
 *
 * // proxy.ts: sliding renewal before the render
 * export const proxy = sessions.proxy
 * // `next build` reads the matcher from the source and accepts only a literal, so this spells out
 * // the value of `NextSessions.proxyMatcher` rather than importing it.
 * export const config = {
 *   matcher: [
 *     {
 *       source: "/((?!_next/static|_next/image|favicon.ico).*)",
 *       missing: [
 *         { type: "header", key: "next-router-prefetch" },
 *         { type: "header", key: "purpose", value: "prefetch" }
 *       ]
 *     }
 *   ]
 * }
 * ```
 *
 * @since 0.1.0
 */
import type * as Sessions from "@seshat/core/Sessions"
import * as SessionManager from "@seshat/core/SessionManager"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { type NextFetchEvent, type NextRequest, NextResponse } from "next/server.js"
import { cache } from "react"
import * as NextCookies from "./NextCookies.js"

/**
 * Session operations bound to the current Next.js request.
 *
 * @since 0.1.0
 * @category models
 */
export interface NextSessions<A> {
  /**
   * Reports the session state without writing anything, for Server Components. Several calls in
   * one request share one store read, and in a Route Handler or Server Action a call after a write
   * (`update`, `login`, ...) returns the written state. A stale, expired or bad cookie gives a
   * status, never an exception; only a store outage throws (`StoreUnavailable`), so the nearest
   * error boundary shows it instead of a signed-out page.
   */
  readonly read: () => Promise<Sessions.Status<A>>
  /** Returns the live session, or creates one and sets the cookie. Route Handlers and Server Actions only. */
  readonly ensure: () => Promise<Sessions.Session<A>>
  /** Replaces the data with `f(data)`. Rejects with `NoSession` or `SessionExpired` without a live session. */
  readonly update: (f: (data: A) => A) => Promise<Sessions.Session<A>>
  /** Ends the session: deletes the record, then clears the cookie. */
  readonly destroy: () => Promise<void>
  /** Signs a user in with a new token (the old one stops working). */
  readonly login: (userId: string) => Promise<Sessions.Session<A>>
  /** Signs out: the same as `destroy`. */
  readonly logout: () => Promise<void>
  /** Records a fresh sign-in of the session's user, with a new token. */
  readonly reauthenticate: () => Promise<Sessions.Session<A>>
  /** Returns the session if its user signed in within `maxAge`, or rejects with `ReauthenticationRequired`. */
  readonly requireRecentAuth: (maxAge: Duration.Input) => Promise<Sessions.Session<A>>
  /** Stores a message for the next request that calls `takeFlash`. */
  readonly flash: (message: string) => Promise<void>
  /** Returns the flash message, or `undefined`, and removes it. Route Handlers and Server Actions only. */
  readonly takeFlash: () => Promise<string | undefined>
  /** Lists the sessions of the signed-in user, the current one marked. Works in Server Components. */
  readonly list: () => Promise<ReadonlyArray<Sessions.SessionInfo>>
  /** Ends every session of the signed-in user, or every other one with `exceptCurrent`. */
  readonly revokeAll: (options?: { readonly exceptCurrent?: boolean }) => Promise<number>
  /** Ends one session of the signed-in user by its public id. */
  readonly revoke: (sessionId: string) => Promise<boolean>
  /**
   * Wraps a Route Handler. A response whose request set the session cookie gets
   * `Cache-Control: no-store` and `Vary: Cookie`. Two session errors become JSON responses with a
   * `code`, `Retry-After` and `Cache-Control: no-store`, and leave the cookie as it is:
   *
   * - a store outage (`StoreUnavailable`) becomes a 503, logged as a warning through the
   *   manager's `logger` with a request and the cause, at most once every ten seconds;
   * - an update that lost to concurrent updates on every attempt (`SessionConflict`) becomes a 409.
   *
   * Other errors are rethrown.
   */
  readonly route: <Args extends ReadonlyArray<unknown>>(
    handler: (...args: Args) => Promise<Response>
  ) => (...args: Args) => Promise<Response>
  /**
   * The `proxy.ts` handler: renews a sliding session that is due, so the response carries the new
   * cookie and the same request's render reads it. It never creates, rotates or ends a session, and
   * leaves an expired or corrupt record in the store, so the page can still tell the user why the
   * session ended. It skips Server Action POSTs and every method but GET and HEAD, and passes the
   * request on unchanged when the store is down. A response on which it set the cookie gets
   * `Cache-Control: no-store` and `Vary: Cookie`.
   *
   * Export it as the proxy itself (`export const proxy = sessions.proxy`): Next passes a
   * `NextFetchEvent` as the second argument, which is ignored. A proxy that builds its own response
   * passes that `NextResponse` as the second argument, and the cookie is written to it.
   */
  readonly proxy: (request: NextRequest, responseOrEvent?: NextResponse | NextFetchEvent) => Promise<NextResponse>
  /** The underlying manager, for code that has its own cookie jar. */
  readonly manager: SessionManager.SessionManager<A>
}

/**
 * A `config.matcher` for `proxy.ts` that leaves out static files and router prefetches: a
 * prefetch must never renew a session, and proxy cannot see the prefetch headers itself because
 * Next removes them before proxy runs.
 *
 * `next build` reads `config` from the source of `proxy.ts` and rejects anything but a literal
 * (checked with Next 16.4.6), so `proxy.ts` cannot import this value. Copy it there, and keep a
 * test that the two are equal.
 *
 * @since 0.1.0
 * @category proxy
 */
export const proxyMatcher = [
  {
    source: "/((?!_next/static|_next/image|favicon.ico).*)",
    missing: [
      { type: "header", key: "next-router-prefetch" },
      { type: "header", key: "purpose", value: "prefetch" }
    ]
  }
] as const

const renewed = new WeakSet<Request>()

// A response that sets the session cookie must never be stored by a shared cache, or the cache
// would hand one user's cookie to another.
const setCacheHeaders = (headers: Headers): void => {
  headers.set("cache-control", "no-store")
  const vary = headers.get("vary")
  if (vary === null) headers.set("vary", "Cookie")
  else if (!/(^|,)\s*(cookie|\*)\s*(,|$)/i.test(vary)) headers.set("vary", `${vary}, Cookie`)
}

const withCacheHeaders = (response: Response): Response => {
  // Headers of some responses (Response.redirect, fetch results) are immutable, so write a copy.
  const headers = new Headers(response.headers)
  setCacheHeaders(headers)
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}

// Seconds a client waits before retrying after a 409 or a 503.
const RETRY_AFTER_SECONDS = 1

const errorResponse = (status: 409 | 503, code: string, error: string): Response => {
  const headers = new Headers({ "retry-after": String(RETRY_AFTER_SECONDS) })
  setCacheHeaders(headers)
  return Response.json({ code, error }, { status, headers })
}

const isTagged = (error: unknown, tag: string): boolean =>
  typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === tag

const OUTAGE_LOG_INTERVAL_MS = 10_000

// The first argument of a Route Handler is its request.
const describeRequest = (request: unknown): string | undefined =>
  request instanceof Request ? `${request.method} ${new URL(request.url).pathname}` : undefined

// Next passes a NextFetchEvent as proxy's second argument. The duck type also accepts a
// NextResponse from another copy of `next`, where `instanceof NextResponse` would fail.
const isNextResponse = (value: unknown): value is NextResponse =>
  value instanceof Response && typeof (value as { cookies?: unknown }).cookies === "object"

/**
 * Creates the Next.js session API. Call it once at module scope; it throws `SessionConfigError`
 * at start-up when the policy is unsafe.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, I>(options: Options<A, I>): NextSessions<A> => {
  if (options.globalKey === undefined) return build(options)
  // Next.js evaluates a module once per route bundle and again after each hot reload, so without a
  // shared instance every route would get its own runtime, store connections and memory store.
  const slot = Symbol.for(`@seshat/adapters-next/${options.globalKey}`)
  const global = globalThis as { [slot]?: NextSessions<unknown> }
  global[slot] ??= build(options) as NextSessions<unknown>
  return global[slot] as NextSessions<A>
}

/**
 * Options of `make`: the manager's options, plus where to keep the instance.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<A, I> extends SessionManager.Options<A, I> {
  /**
   * Name under which the instance is kept on `globalThis`, so every route bundle of the process
   * shares one manager and one store. Recommended for every Next.js app. The first call with a name
   * wins: later calls with the same name return that instance and ignore their other options.
   */
  readonly globalKey?: string | undefined
}

const build = <A, I>(options: SessionManager.Options<A, I>): NextSessions<A> => {
  const manager = SessionManager.make(options)
  // React's cache gives one read-only jar per Server Component render. Outside a render it runs
  // every time, and `NextCookies.current` returns the same jar for the same request anyway.
  const readOnlyJar = cache(() => NextCookies.current(false))
  const writableJar = () => NextCookies.current(true)
  // The adapter's own log lines go where the manager's go: to `options.logger`, from
  // `options.logLevel` up.
  const logging = Layer.mergeAll(
    options.logLevel === undefined ? Layer.empty : Layer.succeed(References.MinimumLogLevel, options.logLevel),
    options.logger === undefined ? Layer.empty : Logger.layer([options.logger])
  )
  const logWarning = (message: string, annotations: Record<string, unknown>): void =>
    Effect.runSync(Effect.logWarning(message).pipe(Effect.annotateLogs(annotations), Effect.provide(logging)))
  // During an outage every request gets a 503, so the line is written at most once per interval,
  // with the number of 503 responses since the previous line.
  let lastOutageLogAt = Number.NEGATIVE_INFINITY
  let unlogged503s = 0
  const logOutage = (request: unknown, error: Error): void => {
    unlogged503s++
    const now = Date.now()
    if (now - lastOutageLogAt < OUTAGE_LOG_INTERVAL_MS) return
    logWarning("session store unavailable, answered 503", {
      request: describeRequest(request),
      cause: error.message,
      responses: unlogged503s
    })
    lastOutageLogAt = now
    unlogged503s = 0
  }

  const route: NextSessions<A>["route"] =
    (handler) =>
    async (...args) => {
      try {
        const response = await handler(...args)
        return (await writableJar()).hasWritten() ? withCacheHeaders(response) : response
      } catch (error) {
        if (isTagged(error, "StoreUnavailable")) {
          // Next logs an error that a handler throws. This one becomes a 503 instead, so it is
          // logged here, with a request that got the 503.
          logOutage(args[0], error as Error)
          return errorResponse(503, "StoreUnavailable", "The session store is unavailable. Try again shortly.")
        }
        if (isTagged(error, "SessionConflict")) {
          return errorResponse(409, "SessionConflict", "The session was changed by concurrent requests. Try again.")
        }
        throw error
      }
    }

  const proxy: NextSessions<A>["proxy"] = async (request, responseOrEvent) => {
    const response = isNextResponse(responseOrEvent) ? responseOrEvent : NextResponse.next()
    // Server Actions may write the cookie themselves, and two writes of one cookie in one response
    // race. Other methods go to Route Handlers, which may rotate or clear it.
    const method = request.method.toUpperCase()
    if (request.headers.has("next-action") || (method !== "GET" && method !== "HEAD")) return response
    if (renewed.has(request)) return response
    renewed.add(request)
    const jar = NextCookies.make({
      store: request.cookies as unknown as NextCookies.NextCookieStore,
      writable: true,
      writeTo: response.cookies as unknown as NextCookies.NextCookieStore,
      header: request.headers.get("cookie")
    })
    try {
      // refresh, not read: read would delete an expired or corrupt record here, and the render
      // after proxy could then only report an unknown cookie instead of why the session ended.
      await manager.refresh(jar)
    } catch (error) {
      // The render reads the session again and surfaces the outage there.
      // NOTE: with a store that hangs rather than refuses, the render waits out a second timeout,
      // so such a request takes twice the store timeout before its error page.
      if (!isTagged(error, "StoreUnavailable")) throw error
    }
    // NOTE: Next 16.4.6 replaces the Vary header of a page response with its own list, so only a
    // Route Handler response keeps `Vary: Cookie`. A page response keeps `Cache-Control: no-store`.
    if (jar.hasWritten()) setCacheHeaders(response.headers)
    return response
  }

  return {
    read: async () => manager.read(await readOnlyJar()),
    ensure: async () => manager.ensure(await writableJar()),
    update: async (f) => manager.update(await writableJar(), f),
    destroy: async () => manager.destroy(await writableJar()),
    login: async (userId) => manager.login(await writableJar(), userId),
    logout: async () => manager.destroy(await writableJar()),
    reauthenticate: async () => manager.reauthenticate(await writableJar()),
    requireRecentAuth: async (maxAge) => manager.requireRecentAuth(await readOnlyJar(), maxAge),
    flash: async (message) => manager.flash(await writableJar(), message),
    takeFlash: async () => manager.takeFlash(await writableJar()),
    list: async () => manager.list(await readOnlyJar()),
    revokeAll: async (revokeOptions) => {
      const current = await writableJar()
      const session = await manager.get(current)
      if (session.userId === undefined) return 0
      const others = await manager.revokeAll(session.userId, { except: current })
      if (revokeOptions?.exceptCurrent) return others
      // Ending the current session through destroy also clears this browser's cookie.
      await manager.destroy(current)
      return others + 1
    },
    revoke: async (sessionId) => manager.revoke(await writableJar(), sessionId),
    route,
    proxy,
    manager
  }
}
