import { sessions } from "../lib/session"
import { clockTime, fromStatus, type SessionState, shortId } from "../lib/session-state"
import { FlashMessage } from "./flash-message"
import { SiteHeader } from "./site-header"
import { VisitPanel } from "./visit-panel"

// The page reads the request's cookie, so it renders on every request.
export const dynamic = "force-dynamic"

const describe = (state: SessionState): string => {
  switch (state.state) {
    case "absent":
      return "No session yet."
    case "active": {
      const visits = state.visits === 1 ? "1 visit" : `${state.visits} visits`
      const owner = state.userId === null ? "Anonymous session" : `Session of ${state.userId}`
      return `${owner} ${shortId(state.sessionId)} is active with ${visits}. Idle, it expires at ${clockTime(state.idleExpiresAt)}.`
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
  const active = state.state === "active" ? state : undefined

  return (
    <main>
      <SiteHeader />
      <FlashMessage />
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
          data-user-id={active?.userId ?? undefined}
          data-last-activity-at={active?.lastActivityAt}
          data-idle-expires-at={active?.idleExpiresAt}
        >
          {describe(state)}
        </p>
        {active === undefined ? null : <p className="muted">Last renewed at {clockTime(active.lastActivityAt)}.</p>}
        <p className="muted">
          Read by a Server Component, which never writes the cookie. proxy.ts renews the session before the render, so
          the time above is already the renewed one.
        </p>
      </section>

      <VisitPanel />
    </main>
  )
}
