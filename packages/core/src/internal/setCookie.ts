/**
 * Returns the `Set-Cookie` values of a response that set none of `names`, so that applying a jar
 * replaces an earlier value for the session cookie, whether a first call of `applyTo` or the app
 * wrote it, instead of sending two for one name.
 */
export const keepOthers = (values: ReadonlyArray<string>, names: ReadonlySet<string>): ReadonlyArray<string> =>
  values.filter((value) => {
    const equals = value.indexOf("=")
    return equals === -1 || !names.has(value.slice(0, equals).trim())
  })
