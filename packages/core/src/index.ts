/**
 * @seshat/core: framework-agnostic session management on Effect.
 *
 * @since 0.1.0
 */
export * as Cookie from "./Cookie.js"
export type * as CookieJar from "./CookieJar.js"
export * as NodeCookies from "./NodeCookies.js"
export * as Policy from "./Policy.js"
export * as SessionError from "./SessionError.js"
export * as SessionMachine from "./SessionMachine.js"
export * as SessionManager from "./SessionManager.js"
export * as SessionRecord from "./SessionRecord.js"
export * as Sessions from "./Sessions.js"
export * as SessionStore from "./SessionStore.js"
export * as Token from "./Token.js"
export * as WebCookies from "./WebCookies.js"
