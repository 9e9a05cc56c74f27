/**
 * The session data every measurement uses, sized so that the record the store keeps (the core's
 * JSON encoding of data, id and timestamps) is close to 200 bytes.
 */
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import * as Schema from "effect/Schema"

/** The app's session data. */
export const SessionData = Schema.Struct({
  visits: Schema.Number,
  mode: Schema.Literals(["light", "dark"]),
  locale: Schema.String
})

export type SessionData = typeof SessionData.Type

export const initialData = (): SessionData => ({ visits: 7, mode: "dark", locale: "en" })

/** The name of the core's session cookie under the default policy. */
export const SESHAT_COOKIE = "__Host-seshat"

/** Returns the `name=value` part of a `Set-Cookie` header value, for a `Cookie` request header. */
export const cookiePair = (setCookie: string): string => setCookie.split(";", 1)[0]!.trim()

/** Returns the value of the cookie named `name` in a `Set-Cookie` header value. */
export const cookieValue = (setCookie: string, name: string): string => {
  const pair = cookiePair(setCookie)
  if (!pair.startsWith(`${name}=`)) throw new Error(`expected a ${name} cookie, got: ${setCookie}`)
  return pair.slice(name.length + 1)
}

/**
 * A layer that sets the minimum log level to Warn. Merged into a runtime's layer, it keeps the
 * Info line that the core logs for each new session out of the output when a measurement creates
 * thousands. A read with no renewal due logs nothing at any level.
 */
export const quietLogs = Layer.succeed(References.MinimumLogLevel, "Warn")
