"use client"

import { useActionState } from "react"
import { type ConfirmState, confirmSignIn } from "./actions"

const initial: ConfirmState = { error: null }

/**
 * Renders the form that confirms the sign-in before the security settings open.
 */
export function ConfirmSignInForm() {
  const [state, action, pending] = useActionState(confirmSignIn, initial)

  return (
    <form action={action} data-testid="confirm-sign-in">
      <label htmlFor="confirm-name">Your name</label>
      <input id="confirm-name" name="name" data-testid="confirm-name" autoComplete="username" required maxLength={64} />
      <button type="submit" data-testid="confirm-submit" disabled={pending}>
        Confirm
      </button>
      {state.error === null ? null : (
        <p role="alert" data-testid="confirm-error">
          {state.error}
        </p>
      )}
    </form>
  )
}
