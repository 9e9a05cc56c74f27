import * as Duration from "effect/Duration"
import { redirect } from "next/navigation"
import { sessions } from "../../../lib/session"
import { clockTime, hasTag, signedInUser } from "../../../lib/session-state"
import { SiteHeader } from "../../site-header"
import { ConfirmSignInForm } from "./confirm-sign-in-form"

export const dynamic = "force-dynamic"

/** How long after a sign-in the security settings open without confirming it again. */
const RECENT_SIGN_IN = Duration.minutes(5)

/**
 * Renders the security settings, which need a recent sign-in. Within five minutes of the sign-in
 * the page opens, and later it shows a form that confirms the sign-in first.
 */
export default async function SecurityPage() {
  const user = signedInUser(await sessions.read())
  if (user === undefined) redirect("/sign-in")

  // The time of the sign-in, when it is recent enough. requireRecentAuth passes only a session that
  // has one.
  let signedInAt: number | undefined
  try {
    signedInAt = (await sessions.requireRecentAuth(RECENT_SIGN_IN)).authenticatedAt
  } catch (error) {
    if (!hasTag(error, "ReauthenticationRequired")) throw error
  }

  return (
    <main>
      <SiteHeader />
      <h1>Security</h1>
      {signedInAt === undefined ? (
        <section data-testid="reauthentication-required">
          <h2>Confirm it is you</h2>
          <p>You signed in more than five minutes ago. Enter your name again to open the security settings.</p>
          <ConfirmSignInForm />
        </section>
      ) : (
        <section data-testid="security-settings" data-authenticated-at={new Date(signedInAt).toISOString()}>
          <h2>Security settings</h2>
          <p>
            You signed in at {clockTime(signedInAt)}. This page stays open until{" "}
            {clockTime(signedInAt + Duration.toMillis(RECENT_SIGN_IN))}; after that it asks you to confirm your sign-in
            again.
          </p>
          <p className="muted">A real app would offer a password or e-mail change here.</p>
        </section>
      )}
    </main>
  )
}
