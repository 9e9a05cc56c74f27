import * as TestClock from "../../../lib/test-clock"

export const dynamic = "force-dynamic"

const noStore = { "Cache-Control": "no-store" }

// Moving further than the cookie lifetime limit of 400 days is never needed by a test.
const MAX_ADVANCE_MS = 400 * 24 * 60 * 60 * 1000

/**
 * Moves the test clock forward. The body is JSON `{ "advanceMs": number }`, a whole number of
 * milliseconds from 0 to 400 days. The route exists only when the server started with
 * `SESHAT_TEST_CLOCK=1`, and returns 404 otherwise.
 */
export async function POST(request: Request): Promise<Response> {
  // Checked per request, not at build time, so one build serves both test and normal runs.
  if (!TestClock.isEnabled()) return new Response("Not Found", { status: 404, headers: noStore })

  let body: unknown
  try {
    body = await request.json()
  } catch {
    return Response.json({ error: "The request body must be JSON." }, { status: 400, headers: noStore })
  }
  const advanceMs = typeof body === "object" && body !== null && "advanceMs" in body ? body.advanceMs : undefined
  if (typeof advanceMs !== "number" || !Number.isInteger(advanceMs) || advanceMs < 0 || advanceMs > MAX_ADVANCE_MS) {
    return Response.json(
      { error: `advanceMs must be a whole number of milliseconds from 0 to ${MAX_ADVANCE_MS}.` },
      { status: 400, headers: noStore }
    )
  }

  const offsetMs = TestClock.advance(advanceMs)
  console.info(`test clock advanced by ${advanceMs} ms, offset now ${offsetMs} ms`)
  return Response.json({ offsetMs, now: new Date(TestClock.now()).toISOString() }, { headers: noStore })
}
