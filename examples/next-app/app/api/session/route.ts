import { sessions } from "../../../lib/session"
import { fromStatus, hasTag } from "../../../lib/session-state"

// The response depends on the request's cookie, so it is never prerendered or cached.
export const dynamic = "force-dynamic"

const noStore = { "Cache-Control": "no-store" }

/**
 * Returns the request's session state as JSON. It only reads: it never creates, renews or clears
 * the session, so it sends no Set-Cookie.
 */
export async function GET(): Promise<Response> {
  try {
    const state = fromStatus(await sessions.read())
    return Response.json(state, { headers: noStore })
  } catch (error) {
    // A store outage must not look like "no session", so it gets its own status code. Any other
    // error is a bug and goes to Next's 500 handling.
    if (hasTag(error, "StoreUnavailable")) {
      console.error("GET /api/session: session store unavailable", error)
      return Response.json(
        { error: "Session store unavailable. Retry the request later." },
        { status: 503, headers: { ...noStore, "Retry-After": "5" } }
      )
    }
    throw error
  }
}
