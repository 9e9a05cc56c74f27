/**
 * @seshat/adapters-memory: the in-memory session store.
 *
 * @since 0.1.0
 */
export * as MemoryStore from "./MemoryStore.js"
export { layerMemory } from "./MemoryStore.js"
