"use client"

import { useEffect, useRef, useState } from "react"
import { endSession, recordVisit, type VisitResult } from "./actions"
import { shortId } from "../lib/session-state"

type Panel =
  | { readonly _tag: "Recording" }
  | { readonly _tag: "Recorded"; readonly visit: VisitResult }
  | { readonly _tag: "Ended" }
  | { readonly _tag: "Failed"; readonly error: unknown }

const describeOrigin = (visit: VisitResult): string => {
  switch (visit.origin) {
    case "created":
      return "This visit started a new session."
    case "resumed":
      return "This visit continued your session."
    case "replaced":
      return visit.replaced === "idle" || visit.replaced === "absolute"
        ? `This visit replaced a session that expired (${visit.replaced} timeout).`
        : `This visit replaced an invalid session cookie (${visit.replaced}).`
  }
}

/**
 * Records the visit once when the page mounts, then shows what the visit did to the session, with
 * buttons that count another visit and end the session.
 */
export function VisitPanel() {
  const [panel, setPanel] = useState<Panel>({ _tag: "Recording" })
  // In development, React Strict Mode runs each effect twice, and the second run must not count a
  // second visit.
  const recorded = useRef(false)

  useEffect(() => {
    if (recorded.current) return
    recorded.current = true
    recordVisit().then(
      (visit) => setPanel({ _tag: "Recorded", visit }),
      (error: unknown) => setPanel({ _tag: "Failed", error })
    )
  }, [])

  // Rethrown during render so that app/error.tsx shows it.
  if (panel._tag === "Failed") throw panel.error

  const end = async () => {
    await endSession()
    setPanel({ _tag: "Ended" })
  }

  const countAgain = async () => {
    try {
      setPanel({ _tag: "Recorded", visit: await recordVisit() })
    } catch (error) {
      setPanel({ _tag: "Failed", error })
    }
  }

  return (
    <section aria-labelledby="visit-heading">
      <h2 id="visit-heading">This visit</h2>
      {panel._tag === "Recording" && <p data-testid="visit-pending">Recording this visit…</p>}
      {panel._tag === "Ended" && <p data-testid="session-ended">Session ended. Reload the page to start a new one.</p>}
      {panel._tag === "Recorded" && (
        <>
          <p
            data-testid="visit-origin"
            data-origin={panel.visit.origin}
            data-replaced={panel.visit.replaced ?? undefined}
          >
            {describeOrigin(panel.visit)}
          </p>
          <p>
            Visits in this session:{" "}
            <span className="count" data-testid="visit-count">
              {panel.visit.visits}
            </span>
          </p>
          <p className="muted">
            Session id{" "}
            <code data-testid="visit-session-id" data-session-id={panel.visit.sessionId}>
              {shortId(panel.visit.sessionId)}
            </code>
          </p>
          <form action={countAgain}>
            <button type="submit" data-testid="count-visit">
              Count another visit
            </button>
          </form>
          <form action={end}>
            <button type="submit" data-testid="end-session">
              End session
            </button>
          </form>
        </>
      )}
    </section>
  )
}
