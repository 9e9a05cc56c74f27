import * as TestOutage from "../../../lib/test-outage"

export const dynamic = "force-dynamic"

const noStore = { "Cache-Control": "no-store" }

/**
 * Turns the simulated store outage on or off. The body is JSON `{ "unavailable": boolean }`. The
 * route exists only when the server started with `SESHAT_TEST_OUTAGE=1`, and returns 404 otherwise.
 */
export async function POST(request: Request): Promise<Response> {
  if (!TestOutage.isEnabled()) return new Response("Not Found", { status: 404, headers: noStore })

  let body: unknown
  try {
    body = await request.json()
  } catch {
    return Response.json({ error: "The request body must be JSON." }, { status: 400, headers: noStore })
  }
  const unavailable = typeof body === "object" && body !== null && "unavailable" in body ? body.unavailable : undefined
  if (typeof unavailable !== "boolean") {
    return Response.json({ error: "unavailable must be true or false." }, { status: 400, headers: noStore })
  }

  TestOutage.setUnavailable(unavailable)
  console.info(`test store outage ${unavailable ? "on" : "off"}`)
  return Response.json({ unavailable }, { headers: noStore })
}
