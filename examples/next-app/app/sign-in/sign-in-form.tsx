"use client"

import { useActionState } from "react"
import { type SignInState, signIn } from "../auth-actions"

const initial: SignInState = { error: null }

/**
 * Renders the sign-in form, which posts to the `signIn` Server Action. The action redirects on
 * success and returns an error message otherwise.
 */
export function SignInForm() {
  const [state, action, pending] = useActionState(signIn, initial)

  return (
    <form action={action}>
      <label htmlFor="sign-in-name">Name</label>
      <input id="sign-in-name" name="name" data-testid="sign-in-name" autoComplete="username" required maxLength={64} />
      <button type="submit" data-testid="sign-in-submit" disabled={pending}>
        Sign in
      </button>
      {state.error === null ? null : (
        <p role="alert" data-testid="sign-in-error">
          {state.error}
        </p>
      )}
    </form>
  )
}
