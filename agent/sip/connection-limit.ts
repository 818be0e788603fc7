/**
 * A cap on a TCP listener's open connections that half-open ones cannot exhaust (SIP policy server, HEP
 * collector). At the cap, a new connection closes the oldest one that had EVICT_AFTER_MS to complete a message
 * and did not; when there is none it is refused. So a peer opening connections and sending nothing cannot lock
 * an SBC out until they idle out, and connections that carry messages are never taken.
 */
import type { Socket } from 'node:net';

/** A connection this old that has not completed a message may be closed to make room for a new one. */
export const EVICT_AFTER_MS = 2_000;

export class ConnectionLimit {
  private readonly open = new Set<Socket>();
  /** Connections that have not completed a message yet, by when they came, oldest first (insertion order). */
  private readonly unproven = new Map<Socket, number>();

  constructor(
    private readonly max: number,
    /** Called for each connection closed to make room. */
    private readonly onEvict?: () => void,
  ) {}

  /** Takes a new connection, making room if needed; false (the socket destroyed) when the listener is full. */
  admit(socket: Socket): boolean {
    if (this.open.size >= this.max) {
      const [oldest, since] = this.unproven.entries().next().value ?? [];
      if (oldest === undefined || Date.now() - since! < EVICT_AFTER_MS) {
        socket.destroy();
        return false;
      }
      this.forget(oldest);
      oldest.destroy();
      this.onEvict?.();
    }
    this.open.add(socket);
    this.unproven.set(socket, Date.now());
    socket.once('close', () => this.forget(socket));
    return true;
  }

  /** The connection completed a message: it is never evicted. */
  proven(socket: Socket): void {
    this.unproven.delete(socket);
  }

  destroyAll(): void {
    for (const socket of this.open) socket.destroy();
  }

  private forget(socket: Socket): void {
    this.open.delete(socket);
    this.unproven.delete(socket);
  }
}
