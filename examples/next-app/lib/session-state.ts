/**
 * The session state as the pages and `GET /api/session` show it: plain JSON, with times as
 * ISO 8601 timestamps and without the token.
 */
import type * as Sessions from "@seshat/core/Sessions"

/**
 * One request's session state.
 */
export type SessionState =
  | {
      readonly state: "active"
      readonly sessionId: string
      /** The signed-in user, or `null` for an anonymous session. */
      readonly userId: string | null
      readonly visits: number
      /** Time of the last renewal of the idle deadline: the session's recorded activity. */
      readonly lastActivityAt: string
      readonly idleExpiresAt: string
      readonly absoluteExpiresAt: string
      /** Time of the last sign-in, or `null` for an anonymous session. */
      readonly authenticatedAt: string | null
    }
  | { readonly state: "absent" }
  | { readonly state: "expired"; readonly sessionId: string; readonly reason: "idle" | "absolute" }
  | { readonly state: "invalid"; readonly reason: "malformed" | "unknown" | "corrupt" | "ambiguous" }

const isoTime = (epochMillis: number): string => new Date(epochMillis).toISOString()

/**
 * Converts the status that `sessions.read()` returns.
 */
export const fromStatus = (status: Sessions.Status<{ readonly visits: number }>): SessionState => {
  switch (status._tag) {
    case "Active": {
      const session = status.session
      return {
        state: "active",
        sessionId: session.id,
        userId: session.userId ?? null,
        visits: session.data.visits,
        lastActivityAt: isoTime(session.lastActivityAt),
        idleExpiresAt: isoTime(session.idleExpiresAt),
        absoluteExpiresAt: isoTime(session.absoluteExpiresAt),
        authenticatedAt: session.authenticatedAt === undefined ? null : isoTime(session.authenticatedAt)
      }
    }
    case "Absent":
      return { state: "absent" }
    case "Expired":
      return { state: "expired", sessionId: status.sessionId, reason: status.reason }
    case "Invalid":
      return { state: "invalid", reason: status.reason }
  }
}

/**
 * Returns the signed-in user of a status, or `undefined` for no session or an anonymous one.
 */
export const signedInUser = (status: Sessions.Status<unknown>): string | undefined =>
  status._tag === "Active" ? status.session.userId : undefined

/**
 * Shortens a public session id for display.
 */
export const shortId = (sessionId: string): string => `${sessionId.slice(0, 8)}…`

/**
 * Formats an ISO 8601 or epoch-millisecond time for display: "2026-12-04 12:40:57 UTC".
 */
export const clockTime = (time: string | number): string => {
  const iso = typeof time === "number" ? isoTime(time) : time
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
}

/**
 * Whether a thrown value is one of Seshat's tagged errors with one of the given tags.
 */
export const hasTag = (error: unknown, ...tags: ReadonlyArray<string>): boolean =>
  typeof error === "object" && error !== null && "_tag" in error && tags.includes(String(error._tag))
