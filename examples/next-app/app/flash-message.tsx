"use client"

import { useEffect, useRef, useState } from "react"
import { takeFlashMessage } from "./actions"

type Flash =
  | { readonly _tag: "Loading" }
  | { readonly _tag: "Loaded"; readonly message: string | null }
  | { readonly _tag: "Failed" }

/**
 * Shows the session's flash message once: it takes the message through a Server Action when it
 * mounts, which removes it from the session.
 */
export function FlashMessage() {
  const [flash, setFlash] = useState<Flash>({ _tag: "Loading" })
  // In development, React Strict Mode runs each effect twice, and the second run would find the
  // message already taken.
  const requested = useRef(false)

  useEffect(() => {
    if (requested.current) return
    requested.current = true
    takeFlashMessage().then(
      (message) => setFlash({ _tag: "Loaded", message }),
      (error: unknown) => {
        // The page itself shows a store outage; a missing notice is not worth a second error.
        console.error("Loading the flash message failed", error)
        setFlash({ _tag: "Failed" })
      }
    )
  }, [])

  const message = flash._tag === "Loaded" ? flash.message : null
  // data-state lets a test tell "no message" from "not loaded yet".
  const state = flash._tag === "Loaded" ? (message === null ? "none" : "shown") : flash._tag.toLowerCase()
  return (
    <div data-testid="flash" data-state={state}>
      {message === null ? null : (
        <p role="status" className="flash" data-testid="flash-message">
          {message}
        </p>
      )}
    </div>
  )
}
