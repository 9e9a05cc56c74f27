import { sessions } from "../../lib/session"

export const dynamic = "force-dynamic"

/** The adapter's Route Handler wrapper around a handler that does not read the session. */
export const GET = sessions.route(async () => Response.json({ active: false, visits: 0 }))
