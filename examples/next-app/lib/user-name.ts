/**
 * The demo's user names. There are no passwords: the name alone signs in, and entering it again
 * replaces the password check before a sensitive change.
 */

/** Letters, digits, spaces and `.`, `_`, `@`, `-`, from 1 to 64 characters. */
const USER_NAME = /^[\p{L}\p{N} ._@-]{1,64}$/u

/**
 * Returns the trimmed user name from a form field, or `undefined` when it is missing or invalid.
 */
export const parseUserName = (value: FormDataEntryValue | null): string | undefined => {
  if (typeof value !== "string") return undefined
  const name = value.trim()
  return USER_NAME.test(name) ? name : undefined
}

/** The message shown for a name that `parseUserName` rejects. */
export const INVALID_USER_NAME =
  "Enter a name of 1 to 64 characters: letters, digits, spaces, dots, underscores, @ or hyphens."
