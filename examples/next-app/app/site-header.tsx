import Link from "next/link"
import { sessions } from "../lib/session"
import { signedInUser } from "../lib/session-state"
import { signOut } from "./auth-actions"

/**
 * Renders the navigation and the signed-in user, with the sign-out button. Each page renders it,
 * rather than the root layout, so that a store outage here reaches app/error.tsx: that boundary
 * does not catch errors of the layout in its own segment.
 */
export async function SiteHeader() {
  // Shares the store read with the rest of the render: `read` is cached per request.
  const user = signedInUser(await sessions.read())

  return (
    <header className="site-header">
      <nav>
        <Link href="/">Visits</Link>
        <Link href="/devices">Your devices</Link>
        <Link href="/account/security">Security</Link>
      </nav>
      {user === undefined ? (
        <Link href="/sign-in" data-testid="sign-in-link">
          Sign in
        </Link>
      ) : (
        // A Server Action is always a POST, so a link prefetch or a crawler can never sign anyone out.
        <form action={signOut} className="signed-in">
          <span>
            Signed in as <strong data-testid="signed-in-user">{user}</strong>
          </span>
          <button type="submit" data-testid="sign-out">
            Sign out
          </button>
        </form>
      )}
    </header>
  )
}
