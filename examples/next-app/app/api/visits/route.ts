import { sessions } from "../../../lib/session"

export const dynamic = "force-dynamic"

/**
 * Returns the visit count of the request's session as `{ visits }`, 0 without a live session. It
 * only reads, and leaves the cache headers to `sessions.route`.
 */
export const GET = sessions.route(async () => {
  const status = await sessions.read()
  return Response.json({ visits: status._tag === "Active" ? status.session.data.visits : 0 })
})

/**
 * Counts a visit, like the home page's Server Action, for clients that call an API: starts a session
 * when the request has none, adds one to its counter and returns `{ sessionId, visits }`.
 * `sessions.route` adds `Cache-Control: no-store` and `Vary: Cookie` when the request set the cookie,
 * and turns a store outage into a 503.
 *
 * Concurrent requests of one session each add one: `update` writes with compare-and-set and, when
 * another request changed the session first, applies the increment again to the fresh data.
 */
export const POST = sessions.route(async () => {
  await sessions.ensure()
  const session = await sessions.update((data) => ({ visits: data.visits + 1 }))
  return Response.json({ sessionId: session.id, visits: session.data.visits })
})
