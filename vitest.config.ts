import { defineConfig } from "vitest/config"

// Tests import the packages' TypeScript sources through the "@seshat/source" export condition, so
// they run without a build. The end-to-end project builds the example app itself.
export default defineConfig({
  resolve: {
    conditions: ["@seshat/source"]
  },
  ssr: {
    resolve: {
      conditions: ["@seshat/source"]
    }
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts"],
          // The Redis tests start real servers; give their set-up room on a busy 2-core machine.
          hookTimeout: 60_000,
          testTimeout: 30_000
        }
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["examples/*/test/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false
        }
      }
    ]
  }
})
