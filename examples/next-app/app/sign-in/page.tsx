import { SiteHeader } from "../site-header"
import { SignInForm } from "./sign-in-form"

// The header reads the request's cookie, so the page renders on every request.
export const dynamic = "force-dynamic"

/**
 * Renders the sign-in page. Signing in as another user starts a new session. Signing in again as
 * the same user keeps the session's data and issues a new token.
 */
export default function SignInPage() {
  return (
    <main>
      <SiteHeader />
      <h1>Sign in</h1>
      <p className="muted">
        This demo has no passwords: any name signs in. A session that was anonymous keeps its visit count.
      </p>
      <section>
        <SignInForm />
      </section>
    </main>
  )
}
