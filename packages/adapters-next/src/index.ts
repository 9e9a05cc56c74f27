/**
 * @seshat/adapters-next: Seshat sessions for the Next.js App Router.
 *
 * @since 0.1.0
 */
export * as NextCookies from "./NextCookies.js"
export * as NextSessions from "./NextSessions.js"
