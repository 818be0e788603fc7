/**
 * The provider registry: who takes part, how to reach them, and which keys sign their answers.
 * Keys rotate with an overlap: every key valid at the message's time is tried (proto/envelope.ts).
 */
import type { KeyObject } from 'node:crypto';
import { publicKeyFromRaw } from '../proto/keys.js';
import { parse, ProviderInput } from '../proto/messages.js';
import type { ProviderView } from './engine.js';
import type { HubStore, Provider } from './store/store.js';

export class Registry {
  constructor(private readonly store: HubStore) {}

  /** Register or update a provider from an API/CLI/file body (validated; MessageError names the bad field). */
  async upsert(body: unknown, now: number): Promise<Provider> {
    const input = parse(ProviderInput, body);
    for (const k of input.keys) publicKeyFromRaw(k.publicKey); // a bad key is refused before anything is stored
    const prev = await this.store.getProvider(input.id);
    const p: Provider = { ...input, createdAt: prev?.createdAt ?? now, updatedAt: now };
    await this.store.putProvider(p);
    return p;
  }

  get(id: string): Promise<Provider | undefined> {
    return this.store.getProvider(id);
  }

  list(): Promise<Provider[]> {
    return this.store.listProviders();
  }

  /** The provider's public keys for `kid` that are valid at `now`. */
  async keys(id: string, kid: string, now: number): Promise<KeyObject[]> {
    const p = await this.store.getProvider(id);
    if (!p) return [];
    return p.keys
      .filter((k) => k.kid === kid && (!k.notBefore || Date.parse(k.notBefore) <= now) && (!k.notAfter || Date.parse(k.notAfter) > now))
      .map((k) => publicKeyFromRaw(k.publicKey));
  }
}

export function providerView(p: Provider): ProviderView {
  return { id: p.id, reach: p.reach, foreign: p.foreign, hasContacts: Boolean(p.contact?.email || p.contact?.phone) };
}
