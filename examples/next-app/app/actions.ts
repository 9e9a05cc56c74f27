"use server"

import { refresh } from "next/cache"
import { sessions } from "../lib/session"
import { hasTag } from "../lib/session-state"

/**
 * The outcome of one visit: whether it started, continued or replaced a session, and the counter
 * after the visit.
 */
export interface VisitResult {
  readonly origin: "created" | "resumed" | "replaced"
  /** Reason the presented cookie was not usable, for a replaced session. */
  readonly replaced: "idle" | "absolute" | "malformed" | "unknown" | "corrupt" | "ambiguous" | null
  readonly sessionId: string
  readonly visits: number
}

/**
 * Counts a visit: starts a session when the request has none (or only an expired or invalid one),
 * then adds one to its counter.
 */
export async function recordVisit(): Promise<VisitResult> {
  const session = await sessions.ensure()
  const updated = await sessions.update((data) => ({ visits: data.visits + 1 }))
  // The counter changed, so the page's status line must render again. A cookie write alone would
  // trigger that, but a resumed session within its renewal interval writes no cookie.
  refresh()
  return {
    origin: session.origin,
    replaced: session.replaced ?? null,
    sessionId: updated.id,
    visits: updated.data.visits
  }
}

/**
 * Ends the session: deletes it from the store and clears the cookie.
 */
export async function endSession(): Promise<void> {
  await sessions.destroy()
}

/**
 * Returns the flash message that an earlier action stored, such as "Signed in as …", and removes
 * it, so it shows once. Returns `null` when there is no message or no live session.
 *
 * It runs as a Server Action, not in the page's render: taking the message writes the store, and a
 * render may run for a prefetch whose page is never shown.
 */
export async function takeFlashMessage(): Promise<string | null> {
  // This action runs beside `recordVisit` when the page mounts. `takeFlash` would end an expired
  // session first, and `recordVisit` could then only report an unknown cookie, not the expiry. A
  // read ends nothing, and `takeFlash` after it reuses what the read loaded.
  const status = await sessions.read()
  if (status._tag !== "Active" || status.session.flash === undefined) return null
  try {
    return (await sessions.takeFlash()) ?? null
  } catch (error) {
    // No session, or one that expired or was revoked since the page loaded: there is no message.
    if (hasTag(error, "NoSession", "SessionExpired", "SessionGone")) return null
    throw error
  }
}
