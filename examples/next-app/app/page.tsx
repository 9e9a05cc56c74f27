import { sessions } from "../lib/session"
import { fromStatus, type SessionState, shortId } from "../lib/session-state"
import { VisitPanel } from "./visit-panel"

// The page reads the request's cookie, so it renders on every request.
export const dynamic = "force-dynamic"

// "2026-12-04T12:40:57.961Z" becomes "2026-12-04 12:40:57 UTC".
const clockTime = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`

const describe = (state: SessionState): string => {
  switch (state.state) {
    case "absent":
      return "No session yet."
    case "active": {
      const visits = state.visits === 1 ? "1 visit" : `${state.visits} visits`
      return `Session ${shortId(state.sessionId)} is active with ${visits}. Idle, it expires at ${clockTime(state.idleExpiresAt)}.`
    }
    case "expired":
      return `Session ${shortId(state.sessionId)} expired (${state.reason} timeout).`
    case "invalid":
      return `The session cookie was rejected as ${state.reason}.`
  }
}

/**
 * Shows the session as the Server Component render reads it (read-only: a render never writes a
 * cookie), and the visit panel, which records the visit through a Server Action.
 */
export default async function HomePage() {
  // A store outage rejects here and app/error.tsx shows it, so an outage never reads as "no session".
  const state = fromStatus(await sessions.read())

  return (
    <main>
      <h1>Seshat example</h1>
      <p className="muted">
        A visit counter kept in a server-side session. The cookie holds only a random token; the data stays on the
        server.
      </p>

      <section aria-labelledby="status-heading">
        <h2 id="status-heading">Session on the server</h2>
        <p
          data-testid="session-status"
          data-state={state.state}
          data-session-id={"sessionId" in state ? state.sessionId : undefined}
          data-reason={"reason" in state ? state.reason : undefined}
        >
          {describe(state)}
        </p>
        <p className="muted">Read by a Server Component, which never writes the cookie.</p>
      </section>

      <VisitPanel />
    </main>
  )
}
