import { cookies } from "next/headers"

export const dynamic = "force-dynamic"

/** Reads the session cookie through Next's `cookies()` and nothing else, the way the adapter's jar starts. */
export const GET = async () => {
  const present = (await cookies()).get("__Host-seshat") !== undefined
  return Response.json({ active: false, visits: 0, present })
}
