import { sessions } from "../../lib/session"

export const dynamic = "force-dynamic"

/** Reads the session and returns its visit count. */
export const GET = sessions.route(async () => {
  const status = await sessions.read()
  const visits = status._tag === "Active" ? status.session.data.visits : 0
  return Response.json({ active: status._tag === "Active", visits })
})
