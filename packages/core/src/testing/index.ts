/**
 * @seshat/core/testing: helpers for testing session code and stores.
 *
 * @since 0.1.0
 */
export * as SessionModel from "./SessionModel.js"
export * as StoreSuite from "./StoreSuite.js"
export * as Vitest from "./Vitest.js"
