/**
 * A session cookie jar over `node:http` request and response objects, built on the core's public
 * `Cookie` helpers, so the load test can show what sessions cost on `node:http` without a Fetch
 * bridge. The core ships no such adapter yet.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { Cookie } from "@seshat/core"
import type { CookieJar } from "@seshat/core/CookieJar"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

/** A jar that also writes its queued cookies to the response. */
export interface NodeCookieJar extends CookieJar {
  /** Sets the queued `Set-Cookie` headers, with `Cache-Control: no-store` and `Vary: Cookie`. */
  readonly applyTo: (response: ServerResponse) => void
}

/** Creates the writable jar of one request. */
export const fromIncoming = (request: IncomingMessage): NodeCookieJar => {
  const header = request.headers.cookie
  const pending = new Map<string, { readonly options: Cookie.CookieOptions; readonly write: Cookie.CookieWrite }>()
  return {
    writable: true,
    read: (name) => {
      const written = pending.get(name)
      if (written === undefined) return Cookie.read(header, name)
      if (written.write._tag === "Clear") return { _tag: "Missing" }
      return { _tag: "Present", value: Redacted.value(written.write.value) }
    },
    write: (options, write) =>
      Effect.sync(() => {
        pending.set(options.name, { options, write })
      }),
    applyTo: (response) => {
      if (pending.size === 0) return
      const values = Array.from(pending.values(), ({ options, write }) => Cookie.serialize(options, write))
      response.setHeader("set-cookie", values)
      response.setHeader("cache-control", "no-store")
      response.setHeader("vary", "Cookie")
    }
  }
}
