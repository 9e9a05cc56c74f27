import type { NextConfig } from "next"

const config: NextConfig = {
  // The @seshat packages come from their built dist/ folders, so `npm run build` must run first.
  poweredByHeader: false
}

export default config
