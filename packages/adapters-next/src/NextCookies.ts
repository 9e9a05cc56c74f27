/**
 * The cookie port over Next.js `cookies()`: one jar per request and mode, read-only for Server
 * Component renders and writable for Route Handlers and Server Actions.
 *
 * @since 0.1.0
 */
import type { CookieJar } from "@seshat/core/CookieJar"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { CookieNotWritable } from "@seshat/core/SessionError"

/**
 * The part of Next's cookie store the adapter uses. `await cookies()` returns one.
 *
 * @since 0.1.0
 * @category models
 */
export interface NextCookieStore {
  get(name: string): { readonly value: string } | undefined
  set(
    name: string,
    value: string,
    options: {
      readonly maxAge: number
      readonly expires: Date
      readonly path: string
      readonly domain?: string
      readonly secure: boolean
      readonly httpOnly: boolean
      readonly sameSite: "lax" | "strict" | "none"
    }
  ): unknown
}

const readOnlyJars = new WeakMap<NextCookieStore, CookieJar>()
const writableJars = new WeakMap<NextCookieStore, CookieJar>()

/**
 * Returns the jar of a cookie store, the same object for the same store and mode, so the session
 * service reads the store once per request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const jarOf = (store: NextCookieStore, writable: boolean): CookieJar => {
  const jars = writable ? writableJars : readOnlyJars
  const existing = jars.get(store)
  if (existing !== undefined) return existing
  const jar = make(store, writable)
  jars.set(store, jar)
  return jar
}

/**
 * Creates a jar over a cookie store.
 *
 * Next merges a cookie written by proxy into the same request's store, and after a delete it keeps
 * the name with an empty value, so an empty value reads as no cookie.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (store: NextCookieStore, writable: boolean): CookieJar => ({
  writable,
  // NOTE: Next keys request cookies by name, so two cookies with the session name collapse into one
  // here and the duplicate check of the Web adapter cannot run.
  read: (name) =>
    Effect.sync(() => {
      const value = store.get(name)?.value
      return value === undefined || value === "" ? { _tag: "Missing" } : { _tag: "Present", value }
    }),
  write: (options, write) =>
    Effect.try({
      try: () => {
        const value = write._tag === "Set" ? Redacted.value(write.value) : ""
        store.set(options.name, value, {
          maxAge: write._tag === "Set" ? write.maxAgeSeconds : 0,
          expires: new Date(write._tag === "Set" ? write.expiresAt : 0),
          path: options.path,
          ...(options.domain === undefined ? {} : { domain: options.domain }),
          secure: options.secure,
          httpOnly: true,
          sameSite: options.sameSite
        })
      },
      // Next throws "Cookies can only be modified in a Server Action or Route Handler" during a
      // Server Component render; its class name is minified in production builds, so any throw here
      // counts as a read-only context.
      catch: () => new CookieNotWritable({ operation: "cookie write" })
    })
})
