import { sessions } from "../../lib/session"

export const dynamic = "force-dynamic"

/** Creates a session; the response sets its cookie. */
export const GET = sessions.route(async () => {
  await sessions.ensure()
  return Response.json({ active: true })
})
