export const dynamic = "force-dynamic"

/** The same handler as /with-session without the session: the baseline of the comparison. */
export const GET = async () => Response.json({ active: false, visits: 0 })
