/**
 * Runs once when the server starts, before it serves a request. The Node.js part lives in its own
 * module so that the Edge build of this file contains no Node.js APIs.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") await (await import("./lib/startup")).loadSessions()
}
