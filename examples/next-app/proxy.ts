/**
 * Renews a sliding session before the render, so the renewed cookie and deadline are what the same
 * request's Server Components read.
 */
import type { NextRequest } from "next/server"
import { sessions } from "./lib/session"

// Next 16.4.6 calls proxy with (request, event), and `sessions.proxy` reads a second argument as the
// response to write to, so it cannot be exported as the handler directly.
export function proxy(request: NextRequest) {
  return sessions.proxy(request)
}

// The same value as `NextSessions.proxyMatcher`, written out because `next build` reads the matcher
// from this file's source and rejects anything but literals (checked with Next 16.4.6). It leaves out
// static files and router prefetches: Next strips the prefetch headers before proxy runs, so only
// the matcher can keep a prefetch from renewing the session. test/e2e.test.ts checks that the two
// values match.
export const config = {
  matcher: [
    {
      source: "/((?!_next/static|_next/image|favicon.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" }
      ]
    }
  ]
}
