/**
 * The session state as the page and `GET /api/session` show it: plain JSON, with deadlines as
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
      readonly visits: number
      readonly idleExpiresAt: string
      readonly absoluteExpiresAt: string
    }
  | { readonly state: "absent" }
  | { readonly state: "expired"; readonly sessionId: string; readonly reason: "idle" | "absolute" }
  | { readonly state: "invalid"; readonly reason: "malformed" | "unknown" | "corrupt" | "ambiguous" }

/**
 * Converts the status that `sessions.read()` returns.
 */
export const fromStatus = (status: Sessions.Status<{ readonly visits: number }>): SessionState => {
  switch (status._tag) {
    case "Active":
      return {
        state: "active",
        sessionId: status.session.id,
        visits: status.session.data.visits,
        idleExpiresAt: new Date(status.session.idleExpiresAt).toISOString(),
        absoluteExpiresAt: new Date(status.session.absoluteExpiresAt).toISOString()
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
 * Shortens a public session id for display.
 */
export const shortId = (sessionId: string): string => `${sessionId.slice(0, 8)}…`

/**
 * Whether a thrown value is one of Seshat's tagged errors with the given tag.
 */
export const hasTag = (error: unknown, tag: string): boolean =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === tag
