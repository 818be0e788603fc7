/**
 * The hub's Redis key layout. Keys used together in one command or script share a {hash tag}, so the layout
 * works on Redis Cluster; keys used alone need none.
 */
export const DEFAULT_KEY_PREFIX = 'ht:hub:';

/** A brace in a key prefix would become the hash tag of every key and defeat the layout: refused. */
export function checkKeyPrefix(prefix: string): void {
  if (/[{}]/.test(prefix)) throw new RangeError(`keyPrefix must not contain { or }, got "${prefix}"`);
}

export class HubKeys {
  /** Every case index lives in one hash slot: an index update is one script. */
  readonly caseIndex: string;

  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {
    checkKeyPrefix(prefix);
    this.caseIndex = `${prefix}{case-index}:`;
  }

  /** Hash: provider id → Provider JSON. */
  providers(): string {
    return `${this.prefix}providers`;
  }

  /** Hash: the Case JSON (`json`), its rev (`rev`) and its index memberships (`idx`). */
  case(id: string): string {
    return `${this.prefix}case:{${id}}`;
  }

  /** Sorted set: case id by deadline (ms). */
  deadlines(): string {
    return `${this.prefix}deadlines`;
  }

  /** List: the provider's queued hop queries (HopQuery JSON, unsigned), oldest first. */
  queue(provider: string): string {
    return `${this.prefix}queue:${provider}`;
  }

  /** Pub/sub channel announcing an enqueue for the provider. */
  queueChannel(provider: string): string {
    return `${this.prefix}q:${provider}`;
  }

  /** The provider a `queueChannel` belongs to, or undefined for another channel. */
  providerOfChannel(channel: string): string | undefined {
    const head = `${this.prefix}q:`;
    return channel.startsWith(head) ? channel.slice(head.length) : undefined;
  }

  jti(jti: string): string {
    return `${this.prefix}jti:${jti}`;
  }

  /** Hash: the TokenRecord of one token hash. */
  token(hash: string): string {
    return `${this.prefix}token:${hash}`;
  }
}
