/** Wire protocol version carried in every envelope as `v`. Bump on any incompatible change. */
export const PROTOCOL_VERSION = 1;

/** Version string reported by agents in every HopAnswer. */
export const AGENT_VERSION = '0.1.0';
