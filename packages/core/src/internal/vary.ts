/**
 * Returns a `Vary` value that also lists `field`, or `undefined` when `current` already lists it or
 * is `*`. Field names compare case-insensitively.
 */
export const addVary = (current: string | undefined, field: string): string | undefined => {
  if (current === undefined || current.trim() === "") return field
  const fields = current.split(",").map((value) => value.trim().toLowerCase())
  if (fields.includes(field.toLowerCase()) || fields.includes("*")) return undefined
  return `${current}, ${field}`
}
