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
 * // app/api/me/route.ts (Route Handler): cache headers and 503 on a store outage
 * export const GET = sessions.route(async () => Response.json(await sessions.read()))
 *
 * // proxy.ts: sliding renewal before the render
 * export const proxy = sessions.proxy
 * export const config = { matcher: NextSessions.proxyMatcher }
 * ```
 *
 * @since 0.1.0
 */
import type * as Sessions from "@seshat/core/Sessions"
import * as SessionManager from "@seshat/core/SessionManager"
import type * as Duration from "effect/Duration"
import { NextResponse, type NextRequest } from "next/server.js"
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
   * one render share one store read. A stale, expired or bad cookie gives a status, never an
   * exception; only a store outage throws (`StoreUnavailable`), so the nearest error boundary
   * shows it instead of a signed-out page.
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
   * `Cache-Control: no-store` and `Vary: Cookie`, and a store outage becomes a 503 response
   * instead of an error page, without touching the cookie.
   */
  readonly route: <Args extends ReadonlyArray<unknown>>(
    handler: (...args: Args) => Promise<Response>
  ) => (...args: Args) => Promise<Response>
  /**
   * The `proxy.ts` handler: renews a sliding session that is due, so the response carries the new
   * cookie and the same request's render sees it. It never creates, rotates or ends a session,
   * skips Server Action POSTs and every method but GET and HEAD, and passes the request on
   * unchanged when the store is down.
   */
  readonly proxy: (request: NextRequest, response?: NextResponse) => Promise<NextResponse>
  /** The underlying manager, for code that has its own cookie jar. */
  readonly manager: SessionManager.SessionManager<A>
}

/**
 * A `config.matcher` for `proxy.ts` that leaves out static files and router prefetches: a
 * prefetch must never renew a session, and proxy cannot see the prefetch headers itself because
 * Next removes them before proxy runs.
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

const withCacheHeaders = (response: Response): Response => {
  const headers = new Headers(response.headers)
  headers.set("cache-control", "no-store")
  const vary = headers.get("vary")
  if (vary === null) headers.set("vary", "Cookie")
  else if (!/(^|,)\s*(cookie|\*)\s*(,|$)/i.test(vary)) headers.set("vary", `${vary}, Cookie`)
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}

const isTagged = (error: unknown, tag: string): boolean =>
  typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === tag

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
  // React's cache gives one read-only jar per Server Component render, so several components
  // reading the session share one store read. Outside a render it runs every time.
  const readOnlyJar = cache(() => NextCookies.current(false))
  const writableJar = () => NextCookies.current(true)

  const route: NextSessions<A>["route"] =
    (handler) =>
    async (...args) => {
      try {
        const response = await handler(...args)
        return (await writableJar()).hasWritten() ? withCacheHeaders(response) : response
      } catch (error) {
        if (!isTagged(error, "StoreUnavailable")) throw error
        return Response.json(
          { error: "The session store is unavailable. Try again shortly." },
          { status: 503, headers: { "cache-control": "no-store", "retry-after": "1" } }
        )
      }
    }

  const proxy: NextSessions<A>["proxy"] = async (request, response = NextResponse.next()) => {
    // Server Actions may write the cookie themselves, and two writes of one cookie in one response
    // race. Other methods go to Route Handlers, which may rotate or clear it.
    const method = request.method.toUpperCase()
    if (request.headers.has("next-action") || (method !== "GET" && method !== "HEAD")) return response
    if (renewed.has(request)) return response
    renewed.add(request)
    const jar = NextCookies.make(
      request.cookies as unknown as NextCookies.NextCookieStore,
      true,
      response.cookies as unknown as NextCookies.NextCookieStore,
      request.headers.get("cookie")
    )
    try {
      await manager.read(jar)
    } catch (error) {
      // The render reads the session again and surfaces the outage there.
      if (!isTagged(error, "StoreUnavailable")) throw error
    }
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
