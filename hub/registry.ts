/**
 * The provider registry: who takes part, how to reach them (agent pull, agent push, or people by hand), their
 * contacts, foreign and gateway flags, SHAKEN identity, and which keys sign their answers. Keys rotate with an
 * overlap (hub/key-rotation.ts): every key valid at the message's time is tried (proto/envelope.ts).
 */
import type { KeyObject } from 'node:crypto';
import { publicKeyFromRaw } from '../proto/keys.js';
import { MessageError, parse, ProviderInput, ProviderKey } from '../proto/messages.js';
import type { ProviderView } from './engine.js';
import { rotateKeys, validAt } from './key-rotation.js';
import { signsAs } from './shaken.js';
import type { HubStore, Provider, Provisional } from './store/store.js';
import { TtlCache } from './ttl-cache.js';

/** How long a provider read from the store is used without reading it again. */
export const REGISTRY_CACHE_MS = 1000;

export class UnknownProviderError extends Error {
  override readonly name = 'UnknownProviderError';
  constructor(readonly provider: string) {
    super(`no such provider: ${provider}`);
  }
}

/**
 * Reads on the hop path (get, keys, bySigner) use providers read within the last `cacheMs`, so a hop costs no
 * registry round trip; changes made through this registry are seen at once, by other hub instances within
 * `cacheMs`. Changes (update, rotateKey, provisional) always start from the stored provider.
 */
export class Registry {
  private readonly byId: TtlCache<Provider | undefined>;
  private readonly all: TtlCache<Provider[]>;
  private readonly imported = new Map<string, KeyObject>();

  constructor(
    private readonly store: HubStore,
    cacheMs = REGISTRY_CACHE_MS,
  ) {
    this.byId = new TtlCache(cacheMs);
    this.all = new TtlCache(cacheMs);
  }

  /** Register or replace a provider from an API/CLI/file body (validated; MessageError names the bad field). */
  async upsert(body: unknown, now: number): Promise<Provider> {
    const input = parse(ProviderInput, body);
    return this.save(input, await this.store.getProvider(input.id), now);
  }

  /**
   * Change some fields of a registered provider: fields in `patch` replace the stored ones, `null` removes an
   * optional one. The result is validated as a whole, so an error names the field as in a full body. An admin's
   * update confirms a provisional provider.
   */
  async update(id: string, patch: unknown, now: number): Promise<Provider> {
    const prev = await this.store.getProvider(id);
    if (!prev) throw new UnknownProviderError(id);
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new MessageError('', 'expected an object of fields to change', []);
    if ('id' in patch && patch.id !== id) throw new MessageError('id', "a provider's id cannot change", []);
    const { createdAt: _c, updatedAt: _u, provisional: _p, ...stored } = prev;
    const merged: Record<string, unknown> = { ...stored, ...patch };
    for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
    return this.save(parse(ProviderInput, merged), prev, now);
  }

  /** Add a new signing key; the keys valid until now stay valid for `overlapMs` after it starts. */
  async rotateKey(id: string, body: unknown, now: number, overlapMs: number): Promise<Provider> {
    const prev = await this.store.getProvider(id);
    if (!prev) throw new UnknownProviderError(id);
    const key = parse(ProviderKey, body);
    const { createdAt: _c, updatedAt: _u, ...stored } = prev;
    return this.save({ ...stored, keys: rotateKeys(id, prev.keys, key, now, overlapMs) }, prev, now, prev.provisional);
  }

  /**
   * The provider a person named by name in a manual answer: a registered one of that name, else a new
   * provisional one (reached by hand, no contacts yet) that an admin completes later.
   */
  async provisional(name: string, origin: Provisional, now: number): Promise<Provider> {
    const all = await this.store.listProviders();
    const wanted = name.trim().toLowerCase();
    const same = all.find((p) => p.name.trim().toLowerCase() === wanted);
    if (same) return same;
    const base = slug(name);
    let id = base;
    for (let n = 2; all.some((p) => p.id === id); n++) id = `${base}-${n}`;
    return this.save(parse(ProviderInput, { id, name: name.trim(), reach: 'manual' }), undefined, now, origin);
  }

  get(id: string): Promise<Provider | undefined> {
    return this.byId.get(id, () => this.store.getProvider(id));
  }

  list(): Promise<Provider[]> {
    return this.store.listProviders();
  }

  /** The registered provider whose SHAKEN identity (SPC or OCN) is `signer`. */
  async bySigner(signer: string): Promise<Provider | undefined> {
    return (await this.all.get('', () => this.store.listProviders())).find((p) => signsAs(p, signer));
  }

  /** The provider's registered keys for `kid` that are valid at `now`, as registered (for the evidence). */
  async keysAt(id: string, kid: string, now: number): Promise<ProviderKey[]> {
    const p = await this.get(id);
    return p ? p.keys.filter((k) => k.kid === kid && validAt(k, now)) : [];
  }

  /** The same keys, ready to verify with. */
  async keys(id: string, kid: string, now: number): Promise<KeyObject[]> {
    return (await this.keysAt(id, kid, now)).map((k) => this.keyObject(k.publicKey));
  }

  /** A registered key as a KeyObject, made once per key: importing a key costs as much as a verification. */
  keyObject(raw: string): KeyObject {
    let k = this.imported.get(raw);
    if (!k) {
      k = publicKeyFromRaw(raw);
      if (this.imported.size > 10_000) this.imported.clear();
      this.imported.set(raw, k);
    }
    return k;
  }

  private async save(input: ProviderInput, prev: Provider | undefined, now: number, provisional?: Provisional): Promise<Provider> {
    for (const k of input.keys) publicKeyFromRaw(k.publicKey); // a bad key is refused before anything is stored
    const p: Provider = { ...input, createdAt: prev?.createdAt ?? now, updatedAt: now, ...(provisional && { provisional }) };
    await this.store.putProvider(p);
    this.byId.forget(p.id);
    this.all.forget();
    return p;
  }
}

export function providerView(p: Provider): ProviderView {
  return { id: p.id, reach: p.reach, foreign: p.foreign, hasContacts: Boolean(p.contact?.email || p.contact?.phone) };
}

/** A provider id from a name a person typed: "Acme Voice, LLC" → "acme-voice-llc". */
function slug(name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 56).replace(/-+$/, '');
  return s || 'provider';
}
