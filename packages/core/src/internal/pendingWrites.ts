import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Cookie from "../Cookie.js"
import type { CookieJar } from "../CookieJar.js"

/**
 * The cookie writes that a header-based jar queues for its response, at most one per cookie name,
 * with the reads that see them. The Web and the `node:http` jars share it.
 */
export interface PendingWrites {
  readonly read: CookieJar["read"]
  readonly write: CookieJar["write"]
  /** The names of the cookies written so far. */
  readonly names: () => ReadonlySet<string>
  /** The `Set-Cookie` header values of the writes, in the order their names were first written. */
  readonly setCookieHeaders: () => ReadonlyArray<string>
}

/** Creates the queue of a request whose `Cookie` header is `header`. */
export const make = (header: string | null | undefined): PendingWrites => {
  const pending = new Map<string, { readonly options: Cookie.CookieOptions; readonly write: Cookie.CookieWrite }>()
  return {
    read: (name) => {
      const written = pending.get(name)
      if (written === undefined) return Cookie.read(header, name)
      return written.write._tag === "Set"
        ? { _tag: "Present", value: Redacted.value(written.write.value) }
        : { _tag: "Missing" }
    },
    write: (options, write) =>
      Effect.sync(() => {
        pending.set(options.name, { options, write })
      }),
    names: () => new Set(pending.keys()),
    setCookieHeaders: () => Array.from(pending.values(), ({ options, write }) => Cookie.serialize(options, write))
  }
}
