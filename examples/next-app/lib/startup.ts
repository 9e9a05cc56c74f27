/**
 * Builds the session API at start-up, so an invalid policy in the environment stops the server
 * with the error that names the option. Next.js would otherwise log the error and keep serving,
 * failing every request that touches the session.
 */
export async function loadSessions(): Promise<void> {
  try {
    await import("./session")
  } catch (error) {
    console.error("The session settings are invalid, so the server stops:", error)
    process.exit(1)
  }
}
