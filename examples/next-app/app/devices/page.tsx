import Link from "next/link"
import { sessions } from "../../lib/session"
import { clockTime, shortId, signedInUser } from "../../lib/session-state"
import { SiteHeader } from "../site-header"
import { revokeDevice, revokeOtherDevices } from "./actions"

export const dynamic = "force-dynamic"

/**
 * Lists the sessions of the signed-in user, one per browser or device, with this one marked and a
 * button to sign out each other one or all of them.
 */
export default async function DevicesPage() {
  const user = signedInUser(await sessions.read())

  if (user === undefined) {
    return (
      <main>
        <SiteHeader />
        <h1>Your devices</h1>
        <p data-testid="devices-signed-out">
          <Link href="/sign-in">Sign in</Link> to see the devices signed in to your account.
        </p>
      </main>
    )
  }

  // `list` reads the session that `read` already loaded in this render, then the user's other sessions.
  // It sorts by last activity, and the page moves this device to the top.
  const devices = [...(await sessions.list())].sort((a, b) => Number(b.current) - Number(a.current))
  const others = devices.filter((device) => !device.current).length

  return (
    <main>
      <SiteHeader />
      <h1>Your devices</h1>
      <p className="muted">
        Each browser that signed in as {user} has its own session. Signing one out ends its session on the server; that
        browser is signed out on its next request.
      </p>
      <ul className="devices" data-testid="device-list">
        {devices.map((device) => (
          <li
            key={device.id}
            data-testid="device"
            data-session-id={device.id}
            data-current={device.current ? "true" : "false"}
          >
            <p>
              <code>{shortId(device.id)}</code>{" "}
              {device.current ? <strong data-testid="current-device">This device</strong> : null}
            </p>
            <p className="muted">
              Signed in {device.authenticatedAt === undefined ? "never" : clockTime(device.authenticatedAt)}, last
              active {clockTime(device.lastActivityAt)}, expires when idle at {clockTime(device.idleExpiresAt)}.
            </p>
            {device.current ? null : (
              <form action={revokeDevice}>
                <input type="hidden" name="sessionId" value={device.id} />
                <button type="submit" data-testid="revoke-device">
                  Sign out this device
                </button>
              </form>
            )}
          </li>
        ))}
      </ul>
      {others === 0 ? (
        <p className="muted" data-testid="no-other-devices">
          No other device is signed in.
        </p>
      ) : (
        <form action={revokeOtherDevices}>
          <button type="submit" data-testid="revoke-others">
            Sign out all other devices
          </button>
        </form>
      )}
    </main>
  )
}
