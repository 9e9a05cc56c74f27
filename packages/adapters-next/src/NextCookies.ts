/**
 * The cookie port over Next.js cookie stores: `await cookies()` in Server Components, Route
 * Handlers and Server Actions, and `request.cookies` with `response.cookies` in proxy. One jar per
 * request and mode: read-only for Server Component renders, writable elsewhere.
 *
 * @since 0.1.0
 */
import type { CookieJar } from "@seshat/core/CookieJar"
import { CookieNotWritable } from "@seshat/core/SessionError"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Cookie from "@seshat/core/Cookie"
import { cookies, headers } from "next/headers.js"

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

const readOnlyJars = new WeakMap<NextCookieStore, NextCookieJar>()
const writableJars = new WeakMap<NextCookieStore, NextCookieJar>()

/**
 * Returns the jar of a cookie store, the same object for the same store and mode, so the session
 * service reads the store once per request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const jarOf = (store: NextCookieStore, writable: boolean, header?: string | null): NextCookieJar => {
  const jars = writable ? writableJars : readOnlyJars
  const existing = jars.get(store)
  if (existing !== undefined) return existing
  const jar = make(store, writable, store, header)
  jars.set(store, jar)
  return jar
}

/**
 * Returns the jar of the current request, through `await cookies()`. Outside a request (module
 * scope, `generateStaticParams`, a plain unit test) Next throws its own "outside a request scope"
 * error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const current = async (writable: boolean): Promise<NextCookieJar> => {
  const [store, requestHeaders] = await Promise.all([cookies(), headers()])
  return jarOf(store as unknown as NextCookieStore, writable, requestHeaders.get("cookie"))
}

/**
 * The jar of the current request as an Effect, for apps that run their own session service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const currentEffect = (writable: boolean): Effect.Effect<NextCookieJar> =>
  Effect.promise(() => current(writable))

/**
 * Creates a jar. Writes go to `writeTo`, which defaults to the store it reads; proxy reads the
 * request's cookies and writes the response's.
 *
 * Next keys cookies by name, so a store shows one of two cookies with the same name. The raw
 * `Cookie` header, when given, is checked for such duplicates, which make the request ambiguous
 * (no session) rather than letting Next pick one.
 *
 * Next merges a cookie written by proxy into the same request's store, and after a delete it keeps
 * the name with an empty value, so an empty value reads as no cookie.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  store: NextCookieStore,
  writable: boolean,
  writeTo: NextCookieStore = store,
  header?: string | null
): NextCookieJar => {
  let written = false
  return {
    writable,
    hasWritten: () => written,
    read: (name) => {
      if (Cookie.read(header, name)._tag === "Duplicate") return { _tag: "Duplicate" }
      const value = store.get(name)?.value
      return value === undefined || value === "" ? { _tag: "Missing" } : { _tag: "Present", value }
    },
    write: (options, write) =>
      Effect.try({
        try: () => {
          const value = write._tag === "Set" ? Redacted.value(write.value) : ""
          writeTo.set(options.name, value, {
            maxAge: write._tag === "Set" ? write.maxAgeSeconds : 0,
            expires: new Date(write._tag === "Set" ? write.expiresAt : 0),
            path: options.path,
            ...(options.domain === undefined ? {} : { domain: options.domain }),
            secure: options.secure,
            httpOnly: true,
            sameSite: options.sameSite
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
