"use server"

import { refresh } from "next/cache"
import { redirect } from "next/navigation"
import { sessions } from "../../lib/session"
import { hasTag } from "../../lib/session-state"

// This browser's own session may have been revoked from another device since the page loaded, and
// then there is nothing to revoke from here.
const signInAgainWhenSignedOut = (error: unknown): never => {
  if (hasTag(error, "NoSession", "SessionExpired", "SessionGone")) redirect("/sign-in")
  throw error
}

/**
 * Signs out one other device of the signed-in user: ends the session with the public id from the
 * form. `revoke` only ends sessions of the same user, so a forged id of someone else's session ends
 * nothing.
 */
export async function revokeDevice(form: FormData): Promise<void> {
  const sessionId = form.get("sessionId")
  if (typeof sessionId !== "string" || sessionId === "") return
  await sessions.revoke(sessionId).catch(signInAgainWhenSignedOut)
  // Ending another session writes no cookie here, so the list would not render again by itself.
  refresh()
}

/**
 * Signs out every other device of the signed-in user and keeps this one.
 */
export async function revokeOtherDevices(): Promise<void> {
  await sessions.revokeAll({ exceptCurrent: true }).catch(signInAgainWhenSignedOut)
  refresh()
}
