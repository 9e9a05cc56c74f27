/**
 * The string a session is stored as: a header of five fields, each ended by a line feed, then the
 * encoded record.
 *
 *     <version>\n<public session id>\n<user field>\n<expiresAt>\n<deadline>\n<record>
 *
 * The user field is "=" and the user id, or empty for an anonymous session, so that an empty user
 * id stays distinct from no user. The session id and the user id are percent-escaped ("%" as "%25",
 * line feed as "%0A"), so no header field contains a line feed and the header ends at the fifth
 * one. The record follows unescaped, and the Lua scripts in `scripts.ts` read the version and the
 * user field with the same rule.
 */
import type { StoredSession } from "@seshat/core/SessionStore"
import * as Option from "effect/Option"

const escapeField = (field: string): string =>
  field.includes("%") || field.includes("\n")
    ? field.replace(/[%\n]/g, (character) => (character === "%" ? "%25" : "%0A"))
    : field

const unescapeField = (field: string): string =>
  field.includes("%") ? field.replace(/%(25|0A)/g, (_, code) => (code === "25" ? "%" : "\n")) : field

// The position of the first line feed after `after`, or -1 when there is none or `after` is -1.
const nextLineFeed = (value: string, after: number): number => (after === -1 ? -1 : value.indexOf("\n", after + 1))

/** Encodes a session as the string stored under its key. */
export const encode = (session: StoredSession): string => {
  const user = session.userId === undefined ? "" : `=${escapeField(session.userId)}`
  const deadline = session.deadline ?? session.expiresAt
  return `${session.version}\n${escapeField(session.sessionId)}\n${user}\n${session.expiresAt}\n${deadline}\n${session.value}`
}

/** Returns the user id of a user field, or `undefined` for the empty field of an anonymous session. */
export const userOf = (field: string): string | undefined =>
  field.startsWith("=") ? unescapeField(field.slice(1)) : undefined

/**
 * Decodes the reply of a `GET`. A missing key, or a value whose header has fewer than five fields
 * or no whole-number version, is no session.
 */
export const decode = (key: string, reply: unknown): Option.Option<StoredSession> => {
  if (typeof reply !== "string") return Option.none()
  const versionEnd = reply.indexOf("\n")
  const sessionIdEnd = nextLineFeed(reply, versionEnd)
  const userEnd = nextLineFeed(reply, sessionIdEnd)
  const expiresAtEnd = nextLineFeed(reply, userEnd)
  const deadlineEnd = nextLineFeed(reply, expiresAtEnd)
  if (deadlineEnd === -1) return Option.none()
  const version = Number(reply.slice(0, versionEnd))
  if (!Number.isSafeInteger(version) || versionEnd === 0) return Option.none()
  return Option.some({
    key,
    sessionId: unescapeField(reply.slice(versionEnd + 1, sessionIdEnd)),
    userId: userOf(reply.slice(sessionIdEnd + 1, userEnd)),
    version,
    expiresAt: Number(reply.slice(userEnd + 1, expiresAtEnd)),
    deadline: Number(reply.slice(expiresAtEnd + 1, deadlineEnd)),
    value: reply.slice(deadlineEnd + 1)
  })
}
