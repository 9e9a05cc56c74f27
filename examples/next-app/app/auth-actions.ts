"use server"

import { redirect } from "next/navigation"
import { sessions } from "../lib/session"
import { INVALID_USER_NAME, parseUserName } from "../lib/user-name"

/**
 * The sign-in form's state: the error of the last attempt, if any.
 */
export interface SignInState {
  readonly error: string | null
}

/**
 * Signs the user in under the name from the form. The demo has no passwords: a real app checks the
 * credentials before calling `login`. `login` moves the session to a new token, so a token captured
 * before the sign-in stops working.
 */
export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const name = parseUserName(form.get("name"))
  if (name === undefined) return { error: INVALID_USER_NAME }

  await sessions.login(name)
  await sessions.flash(`Signed in as ${name}`)
  // redirect() throws to end the action, so it stays outside any try block.
  redirect("/")
}

/**
 * Signs out: deletes the session from the store and clears the cookie.
 */
export async function signOut(): Promise<void> {
  await sessions.logout()
  redirect("/sign-in")
}
