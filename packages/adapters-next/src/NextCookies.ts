/**
 * The cookie port over Next.js cookie stores: `await cookies()` in Server Components, Route
 * Handlers and Server Actions, and `request.cookies` with `response.cookies` in proxy. One jar per
 * request and mode: read-only for Server Component renders, writable elsewhere. Both jars of one
 * request share a scope, so the session service loads the session once for both.
 *
 * @since 0.1.0
 */
import type { CookieJar } from "@seshat/core/CookieJar"
import { CookieNotWritable } from "@seshat/core/SessionError"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Cookie from "@seshat/core/Cookie"
import { cookies, headers } from "next/headers.js"
import { connection } from "next/server.js"

/**
 * The options Next's cookie stores accept on `set`.
 *
 * @since 0.1.0
 * @category models
 */
export interface NextCookieOptions {
  readonly maxAge: number
  readonly expires: Date
  readonly path: string
  readonly domain?: string
  readonly secure: boolean
  readonly httpOnly: boolean
  readonly sameSite: "lax" | "strict" | "none"
}

/**
 * The part of a Next.js cookie store the adapter uses. `await cookies()`, `request.cookies` and
 * `response.cookies` all have it.
 *
 * @since 0.1.0
 * @category models
 */
export interface NextCookieStore {
  get(name: string): { readonly value: string } | undefined
  set(name: string, value: string, options: NextCookieOptions): unknown
}

/**
 * A jar over Next.js cookie stores that remembers whether it wrote, so a Route Handler wrapper can
 * add cache headers to the response.
 *
 * @since 0.1.0
 * @category models
 */
export interface NextCookieJar extends CookieJar {
  readonly hasWritten: () => boolean
}

/**
 * Options of `make`.
 *
 * @since 0.1.0
 * @category models
 */
export interface JarOptions {
  /** The store the jar reads: `await cookies()`, or `request.cookies` in proxy. */
  readonly store: NextCookieStore
  /** Whether the jar may write. A Server Component render must get a read-only jar. */
  readonly writable: boolean
  /** The store writes go to. Defaults to `store`, and proxy passes the response's cookies here. */
  readonly writeTo?: NextCookieStore | undefined
  /**
   * The request's raw `Cookie` header, as the browser sent it. The jar checks it for duplicated
   * session cookies and for values that Next's store has percent-decoded. Without it, neither
   * check runs.
   */
  readonly header: string | null | undefined
  /** An object that identifies the request, shared by every jar of that request. See `CookieJar.scope`. */
  readonly scope?: object | undefined
}

const readOnlyJars = new WeakMap<NextCookieStore, NextCookieJar>()
const writableJars = new WeakMap<NextCookieStore, NextCookieJar>()

/**
 * Returns the jar of a cookie store, the same object for the same store and mode, so the session
 * service reads the store once per request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const jarOf = (options: JarOptions): NextCookieJar => {
  const jars = options.writable ? writableJars : readOnlyJars
  const existing = jars.get(options.store)
  if (existing !== undefined) return existing
  const jar = make(options)
  jars.set(options.store, jar)
  return jar
}

/**
 * Returns the jar of the current request, through `await cookies()`. Outside a request (module
 * scope, `generateStaticParams`, a plain unit test) Next throws its own "outside a request scope"
 * error. Inside `"use cache"` and `"use cache: private"` Next throws too, because the jar also
 * awaits `connection()`.
 *
 * The scope is the object `await headers()` returns, which Next creates once per request. Its
 * cookie store is not a usable scope: a Server Action reads one store while the action runs and
 * another during the render that follows it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const current = async (writable: boolean): Promise<NextCookieJar> => {
  // The session service reads the clock to check a session's deadlines. With Cache Components,
  // Next rejects a clock read during a prerender, including the runtime prefetch that may read
  // cookies, so the jar waits for `connection()`, which resolves only for a real request.
  const [store, requestHeaders] = await Promise.all([cookies(), headers(), connection()])
  return jarOf({
    store: store as unknown as NextCookieStore,
    writable,
    header: requestHeaders.get("cookie"),
    scope: requestHeaders
  })
}

/**
 * The jar of the current request as an Effect, for apps that run their own session service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const currentEffect = (writable: boolean): Effect.Effect<NextCookieJar> =>
  Effect.promise(() => current(writable))

const missing: Cookie.CookieValue = { _tag: "Missing" }

// Next's store reads a value with decodeURIComponent and drops one that does not decode.
const decodeLikeNext = (value: string): string | undefined => {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

/**
 * Creates a jar.
 *
 * The raw `Cookie` header decides what the browser sent. Next keys cookies by name, so its store
 * shows one of two cookies with the same name, and the header is checked for such duplicates,
 * which make the request ambiguous (no session) rather than letting Next pick one. Next's store
 * also percent-decodes values, so `abc%41…` would read as the token `abcA…`. The jar returns the
 * raw value instead, and the session service rejects it as malformed before any store call.
 *
 * The store decides only where it no longer contains what the browser sent: a cookie written earlier
 * in the same request, or by proxy (Next merges proxy's cookie into the request's store). After a
 * delete, Next keeps the name with an empty value, so an empty value reads as no cookie.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: JarOptions): NextCookieJar => {
  const { store, writable, header } = options
  const writeTo = options.writeTo ?? store
  let written = false
  return {
    writable,
    scope: options.scope,
    hasWritten: () => written,
    read: (name) => {
      const presented = Cookie.read(header, name)
      if (presented._tag === "Duplicate") return presented
      const stored = store.get(name)?.value
      if (presented._tag === "Present" && stored === decodeLikeNext(presented.value)) return presented
      return stored === undefined || stored === "" ? missing : { _tag: "Present", value: stored }
    },
    write: (cookieOptions, write) =>
      Effect.try({
        try: () => {
          const value = write._tag === "Set" ? Redacted.value(write.value) : ""
          writeTo.set(cookieOptions.name, value, {
            maxAge: write._tag === "Set" ? write.maxAgeSeconds : 0,
            expires: new Date(write._tag === "Set" ? write.expiresAt : 0),
            path: cookieOptions.path,
            ...(cookieOptions.domain === undefined ? {} : { domain: cookieOptions.domain }),
            secure: cookieOptions.secure,
            httpOnly: true,
            sameSite: cookieOptions.sameSite
          })
          written = true
        },
        // Next throws "Cookies can only be modified in a Server Action or Route Handler" during a
        // Server Component render. Its class name is minified in production builds, so any throw
        // here counts as a read-only context.
        catch: () => new CookieNotWritable({ operation: "cookie write" })
      })
  }
}
