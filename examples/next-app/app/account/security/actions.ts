"use server"

import { SessionGone } from "@seshat/core/SessionError"
import { redirect } from "next/navigation"
import { sessions } from "../../../lib/session"
import { signedInUser } from "../../../lib/session-state"
import { parseUserName } from "../../../lib/user-name"

/**
 * The confirmation form's state: the error of the last attempt, if any.
 */
export interface ConfirmState {
  readonly error: string | null
}

/**
 * Confirms the sign-in before a sensitive change. The demo requests the user name again where a
 * real app checks the password. On a match, `reauthenticate` records a fresh sign-in under a new token.
 */
export async function confirmSignIn(_previous: ConfirmState, form: FormData): Promise<ConfirmState> {
  const user = signedInUser(await sessions.read())
  if (user === undefined) redirect("/sign-in")

  if (parseUserName(form.get("name")) !== user) {
    return { error: "That is not the name you signed in with. Enter it again to continue." }
  }
  try {
    await sessions.reauthenticate()
  } catch (error) {
    // A second submit of the form raced the first, whose rotation won; the page then shows
    // whatever state the winning request left.
    if (!(error instanceof SessionGone)) throw error
  }
  redirect("/account/security")
}
