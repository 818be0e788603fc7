import { describe, expect, it } from 'vitest';
import { Registry, UnknownProviderError } from '../../hub/registry.js';
import { MemoryHubStore } from '../../hub/store/memory-store.js';
import { MessageError } from '../../proto/messages.js';

const T0 = Date.parse('2026-11-28T12:00:00Z');
const origin = { caseId: 'c1', namedBy: 'term', answeredBy: 'Pat' };

describe('provider registry', () => {
  it('registers a provider named by a person under an id made from the name, unique, marked provisional', async () => {
    const r = new Registry(new MemoryHubStore());
    await r.upsert({ id: 'acme-voice-llc', name: 'Acme Voice (the real one)' }, T0);
    const p = await r.provisional('  Acme Voice, LLC ', origin, T0);
    expect(p).toMatchObject({ id: 'acme-voice-llc-2', name: 'Acme Voice, LLC', reach: 'manual', keys: [], provisional: origin });
    expect((await r.provisional('ACME VOICE, LLC', origin, T0)).id).toBe('acme-voice-llc-2');
    expect((await r.provisional('Acme Voice (the real one)', origin, T0)).id).toBe('acme-voice-llc');
    expect((await r.provisional('☎☎☎', origin, T0)).id).toBe('provider');
  });

  it('finds the provider behind a SHAKEN signer by SPC or OCN', async () => {
    const r = new Registry(new MemoryHubStore());
    await r.upsert({ id: 'a', name: 'A', spc: '123A' }, T0);
    await r.upsert({ id: 'b', name: 'B', ocn: '4D2F' }, T0);
    expect((await r.bySigner('123a'))?.id).toBe('a');
    expect((await r.bySigner('4D2F'))?.id).toBe('b');
    expect(await r.bySigner('999Z')).toBeUndefined();
  });

  it('refuses to update an unknown provider or with a body that is not an object, changing nothing', async () => {
    const store = new MemoryHubStore();
    const r = new Registry(store);
    await r.upsert({ id: 'a', name: 'A' }, T0);
    await expect(r.update('ghost', { name: 'x' }, T0)).rejects.toThrow(UnknownProviderError);
    await expect(r.update('a', ['name'], T0)).rejects.toThrow(MessageError);
    await expect(r.update('a', ['name'], T0)).rejects.toThrow('(body): expected an object of fields to change');
    expect(await store.listProviders()).toEqual([expect.objectContaining({ id: 'a', name: 'A', updatedAt: T0 })]);
  });
});
