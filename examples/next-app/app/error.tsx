"use client"

import { useEffect } from "react"

/**
 * Shown when the page fails, such as when the session store is unavailable. The page never shows
 * "no session" for such a failure.
 */
export default function ErrorPage({ error, retry }: { readonly error: unknown; readonly retry: () => void }) {
  useEffect(() => {
    console.error(error)
  }, [error])

  // Production builds replace a server error's message with a digest that matches the server log.
  const digest = typeof error === "object" && error !== null && "digest" in error ? String(error.digest) : undefined

  return (
    <main>
      <h1>Something went wrong</h1>
      <p data-testid="page-error">
        The session could not be loaded. Nothing was changed; try again in a moment.
        {digest === undefined ? null : <span className="muted"> (error {digest})</span>}
      </p>
      <button type="button" onClick={() => retry()}>
        Try again
      </button>
    </main>
  )
}
