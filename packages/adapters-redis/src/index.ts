/**
 * @seshat/adapters-redis: the Redis session store. Not implemented yet.
 *
 * @since 0.1.0
 */
export {}
