import { sessions } from "../../../lib/session"
import { fromStatus } from "../../../lib/session-state"

// The response depends on the request's cookie, so it is never prerendered or cached.
export const dynamic = "force-dynamic"

/**
 * Returns the request's session state as JSON. The handler only reads: it never creates, renews or
 * clears the session. proxy.ts may still renew a due session before it runs, and then the response
 * carries proxy's Set-Cookie. A store outage becomes a 503 through `sessions.route`.
 */
export const GET = sessions.route(async () => {
  const state = fromStatus(await sessions.read())
  // The body belongs to one browser's session, so no cache may keep it, with or without a Set-Cookie.
  return Response.json(state, { headers: { "Cache-Control": "no-store", Vary: "Cookie" } })
})
