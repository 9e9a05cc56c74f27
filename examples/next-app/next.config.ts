import type { NextConfig } from "next"

const config: NextConfig = {
  // The @seshat packages are consumed from their built dist/ as plain ESM, so they need no
  // transpilePackages entry. Run `npm run build` at the repository root before `next build`.
  poweredByHeader: false
}

export default config
