/**
 * Renews a sliding session before the render, so the renewed cookie and deadline are what the same
 * request's Server Components read.
 */
import { sessions } from "./lib/session"

export const proxy = sessions.proxy

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
