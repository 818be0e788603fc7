/**
 * The hub store contract: every backend runs this suite. `open` gives a fresh, empty state and two handles on
 * it, as two hub instances would hold (the same object where a backend cannot be shared between processes).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Case, CaseStatus } from '../../../hub/case.js';
import { ConflictError, type HubStore, type Provider, type TokenRecord } from '../../../hub/store/store.js';
import type { HopAnswer, HopQuery } from '../../../proto/messages.js';

export type OpenStores = () => Promise<[HubStore, HubStore]>;

const T0 = Date.UTC(2025, 5, 1, 12);

export function aCase(id: string, over: Partial<Case> = {}): Case {
  return {
    id,
    call: { calling: '+12025550143', called: '+13125550178', at: '2025-06-01T11:59:00Z' },
    requester: 'token-ops',
    createdAt: T0,
    updatedAt: T0,
    status: 'open',
    hops: [{ provider: 'term-co', askedBy: null, mode: 'agent', state: 'pending', attempts: [{ queryId: `${id}-q1`, windowSec: 120, sentAt: T0, deadline: T0 + 5_000 }] }],
    rev: 0,
    ...over,
  };
}

/** The next version of a stored case, as the engine would save it. */
export function next(c: Case, over: Partial<Case> = {}): Case {
  return { ...structuredClone(c), ...over, rev: c.rev + 1, updatedAt: c.updatedAt + 1 };
}

function aProvider(id: string, over: Partial<Provider> = {}): Provider {
  return { id, name: `${id} Telecom`, country: 'US', foreign: false, gateway: false, reach: 'agent-pull', keys: [], createdAt: T0, updatedAt: T0, ...over };
}

export function aQuery(queryId: string, caseId = 'case-1'): HopQuery {
  return { queryId, tracebackId: caseId, call: { calling: '+12025550143', called: '+13125550178', at: '2025-06-01T11:59:00Z', windowSec: 120 }, askedBy: null, deadline: '2025-06-01T12:00:10Z' };
}

/** Counts a listener's calls; `next()` resolves at the next call. */
export function hear(store: HubStore, provider: string) {
  let calls = 0;
  let waiting: (() => void)[] = [];
  const unsubscribe = store.onEnqueue(provider, () => {
    calls++;
    const wake = waiting;
    waiting = [];
    for (const resolve of wake) resolve();
  });
  return {
    get calls() {
      return calls;
    },
    unsubscribe,
    next: () => new Promise<void>((resolve) => waiting.push(resolve)),
  };
}

/** `part` answered with `result`, signed as `jws`. */
function answered<T extends object>(part: T, result: 'upstream' | 'not_found' | 'originated', jws: string) {
  const answer: HopAnswer = { queryId: `${jws}-q`, tracebackId: 'case-1', provider: 'term-co', result, matches: [], window: { from: '2025-06-01T11:57:00Z', to: '2025-06-01T12:01:00Z' }, answeredAt: '2025-06-01T12:00:01Z', agentVersion: '0.1.0' };
  return { ...part, state: 'answered' as const, answer, answerJws: jws, answerKeys: [{ kid: `kid-${jws}`, publicKey: 'AAAA' }], answeredAt: T0 + 1 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function hubStoreContract(name: string, open: OpenStores): void {
  describe(`${name} hub store`, () => {
    let a: HubStore;
    let b: HubStore;

    beforeEach(async () => {
      [a, b] = await open();
    });
    afterEach(async () => {
      await a.close();
      await b.close();
    });

    describe('providers', () => {
      it('returns a stored provider, and undefined for an unknown id', async () => {
        await a.putProvider(aProvider('term-co', { contact: { email: 'noc@term.example' } }));
        expect(await b.getProvider('term-co')).toEqual(aProvider('term-co', { contact: { email: 'noc@term.example' } }));
        expect(await b.getProvider('nobody')).toBeUndefined();
      });

      it('replaces a provider put again under the same id', async () => {
        await a.putProvider(aProvider('term-co', { reach: 'manual' }));
        await a.putProvider(aProvider('term-co', { reach: 'agent-push', pushUrl: 'https://agent.term.example/push', updatedAt: T0 + 1 }));
        expect(await a.getProvider('term-co')).toEqual(aProvider('term-co', { reach: 'agent-push', pushUrl: 'https://agent.term.example/push', updatedAt: T0 + 1 }));
        expect(await a.listProviders()).toHaveLength(1);
      });

      it('lists every provider by id', async () => {
        for (const id of ['transit-b', 'orig-c', 'term-a']) await a.putProvider(aProvider(id));
        expect((await b.listProviders()).map((p) => p.id)).toEqual(['orig-c', 'term-a', 'transit-b']);
      });
    });

    describe('cases', () => {
      it('returns a created case as it was given, and undefined for an unknown id', async () => {
        await a.createCase(aCase('case-1', { campaign: 'irs-scam' }));
        expect(await b.getCase('case-1')).toEqual(aCase('case-1', { campaign: 'irs-scam' }));
        expect(await b.getCase('case-2')).toBeUndefined();
      });

      it('refuses to create a case whose id exists, with a ConflictError, and keeps the stored case', async () => {
        await a.createCase(aCase('case-1', { campaign: 'irs-scam' }));
        const again = b.createCase(aCase('case-1', { campaign: 'other', status: 'loop' }));
        await expect(again).rejects.toThrow(ConflictError);
        await expect(again).rejects.toThrow('conflict: case case-1 already exists');
        expect(await a.getCase('case-1')).toEqual(aCase('case-1', { campaign: 'irs-scam' }));
        expect(await a.listCases({ campaign: 'other' })).toEqual([]);
        expect(await a.listCases({ status: 'loop' })).toEqual([]);
      });

      it('saves a case whose rev follows the stored one', async () => {
        const c = aCase('case-1');
        await a.createCase(c);
        const v1 = next(c, { status: 'originated', originator: 'orig-co', detail: 'orig-co answered originated' });
        await b.saveCase(v1);
        expect(await a.getCase('case-1')).toEqual(v1);
        const v2 = next(v1, { detail: 'reviewed' });
        await a.saveCase(v2);
        expect(await b.getCase('case-1')).toEqual(v2);
      });

      it('keeps every signed answer through saves made from the previous version, a re-answered hop and the SHAKEN side query included', async () => {
        const c = aCase('case-1');
        await a.createCase(c);
        const v1 = next(c, { hops: [answered(c.hops[0]!, 'not_found', 'jws-1')] });
        await a.saveCase(v1, c);
        // The hop asked again with a wider window and answered again: its answer is replaced, not kept twice.
        const v2 = next(v1, { hops: [answered(v1.hops[0]!, 'upstream', 'jws-2'), { provider: 'mid-co', askedBy: 'term-co', mode: 'agent', state: 'pending', attempts: [] }] });
        await b.saveCase(v2, v1);
        const v3 = next(v2, {
          hops: [v2.hops[0]!, answered(v2.hops[1]!, 'originated', 'jws-3')],
          shaken: { signer: 'orig-co', provider: 'orig-co', attest: 'A', fromHop: 1, ...answered({}, 'originated', 'jws-4'), path: 'agrees' },
          status: 'originated',
        });
        await a.saveCase(v3, v2);
        expect(await b.getCase('case-1')).toEqual(v3);
        expect(await a.listCases({ status: 'originated' })).toEqual([v3]);
        // A save without the previous version, or with one that is not the stored one, still stores the whole case.
        const v4 = next(v3, { detail: 'reviewed' });
        await b.saveCase(v4, c);
        expect(await a.getCase('case-1')).toEqual(v4);
      });

      it('refuses a save from a stale rev with a ConflictError naming both revs, and changes nothing', async () => {
        const c = aCase('case-1');
        await a.createCase(c);
        const v1 = next(c);
        await a.saveCase(v1);
        const stale = next(c, { status: 'non_responsive' });
        const save = b.saveCase(stale);
        await expect(save).rejects.toThrow(ConflictError);
        await expect(save).rejects.toThrow('conflict: case case-1 was saved by someone else (stored rev 1, this save follows rev 0)');
        expect(await a.getCase('case-1')).toEqual(v1);
        expect(await a.listCases({ status: 'non_responsive' })).toEqual([]);
        expect(await a.openCaseIds()).toEqual(['case-1']);
      });

      it('refuses to save a case that was never created', async () => {
        await expect(a.saveCase(next(aCase('ghost')))).rejects.toThrow('conflict: case ghost does not exist');
        expect(await a.getCase('ghost')).toBeUndefined();
      });

      it('lets exactly one of two instances saving the same rev win, and lists the case under the winner only', async () => {
        const c = aCase('case-1');
        await a.createCase(c);
        for (let round = 0; round < 10; round++) {
          const stored = (await a.getCase('case-1'))!;
          const statuses: CaseStatus[] = round === 9 ? ['foreign', 'not_found'] : ['open', 'open'];
          const results = await Promise.allSettled([a.saveCase(next(stored, { status: statuses[0]!, detail: 'a' })), b.saveCase(next(stored, { status: statuses[1]!, detail: 'b' }))]);
          expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
          const lost = results.find((r) => r.status === 'rejected');
          expect(lost?.reason).toBeInstanceOf(ConflictError);
        }
        const final = (await a.getCase('case-1'))!;
        expect(final.rev).toBe(10);
        const loser = final.status === 'foreign' ? 'not_found' : 'foreign';
        expect((await b.listCases({ status: final.status })).map((x) => x.id)).toEqual(['case-1']);
        expect(await b.listCases({ status: loser })).toEqual([]);
        expect(await b.openCaseIds()).toEqual([]);
      });

      it('lists cases newest first, by status, by campaign, by both, and up to a limit', async () => {
        await a.createCase(aCase('c1', { createdAt: T0 + 1, campaign: 'irs' }));
        await a.createCase(aCase('c2', { createdAt: T0 + 2, campaign: 'medicare' }));
        await a.createCase(aCase('c3', { createdAt: T0 + 3, campaign: 'irs', status: 'originated' }));
        await a.createCase(aCase('c4', { createdAt: T0 + 4 }));
        const ids = (cs: Case[]) => cs.map((c) => c.id);
        expect(ids(await b.listCases())).toEqual(['c4', 'c3', 'c2', 'c1']);
        expect(ids(await b.listCases({ status: 'open' }))).toEqual(['c4', 'c2', 'c1']);
        expect(ids(await b.listCases({ campaign: 'irs' }))).toEqual(['c3', 'c1']);
        expect(ids(await b.listCases({ campaign: 'irs', status: 'open' }))).toEqual(['c1']);
        expect(ids(await b.listCases({ status: 'open', limit: 2 }))).toEqual(['c4', 'c2']);
        expect(await b.listCases({ campaign: 'nobody' })).toEqual([]);
      });

      it('moves a case between status lists as it is saved', async () => {
        const c = aCase('c1', { campaign: 'irs' });
        await a.createCase(c);
        await a.saveCase(next(c, { status: 'foreign', pointOfEntry: 'gw-co' }));
        expect((await b.listCases({ status: 'foreign' })).map((x) => x.id)).toEqual(['c1']);
        expect(await b.listCases({ status: 'open' })).toEqual([]);
        expect((await b.listCases({ campaign: 'irs', status: 'foreign' })).map((x) => x.id)).toEqual(['c1']);
      });

      it('lists more cases than one page of the index', async () => {
        for (let i = 0; i < 450; i++) await a.createCase(aCase(`c${String(i).padStart(3, '0')}`, { createdAt: T0 + i }));
        const all = await b.listCases();
        expect(all).toHaveLength(450);
        expect(all[0]?.id).toBe('c449');
        expect(all[449]?.id).toBe('c000');
        expect(await b.listCases({ limit: 301 })).toHaveLength(301);
        expect(await b.openCaseIds()).toHaveLength(450);
      });

      it('keeps openCaseIds to the cases not yet ended', async () => {
        const cases = ['c1', 'c2', 'c3'].map((id, i) => aCase(id, { createdAt: T0 + i }));
        for (const c of cases) await a.createCase(c);
        expect((await b.openCaseIds()).sort()).toEqual(['c1', 'c2', 'c3']);
        await a.saveCase(next(cases[1]!, { status: 'originated' }));
        await a.saveCase(next(cases[0]!, { hops: [] }));
        expect((await b.openCaseIds()).sort()).toEqual(['c1', 'c3']);
        await b.saveCase(next(cases[2]!, { status: 'cancelled' }));
        expect(await a.openCaseIds()).toEqual(['c1']);
      });

      it('refuses a listing limit that is not a positive integer', async () => {
        await expect(a.listCases({ limit: 0 })).rejects.toThrow('listCases: limit must be a positive integer, got 0');
      });
    });

    describe('deadlines', () => {
      it('claims due deadlines earliest first, up to the limit, and leaves those not yet due', async () => {
        await a.setDeadline('late', T0 + 300);
        await a.setDeadline('early', T0 + 100);
        await a.setDeadline('middle', T0 + 200);
        await a.setDeadline('future', T0 + 10_000);
        expect(await b.claimDue(T0 + 300, 2)).toEqual(['early', 'middle']);
        expect(await b.claimDue(T0 + 300, 10)).toEqual(['late']);
        expect(await b.claimDue(T0 + 300, 10)).toEqual([]);
        expect(await a.claimDue(T0 + 10_000, 10)).toEqual(['future']);
      });

      it('keeps one deadline per case: setting again replaces it', async () => {
        await a.setDeadline('c1', T0 + 100);
        await b.setDeadline('c1', T0 + 5_000);
        expect(await a.claimDue(T0 + 1_000, 10)).toEqual([]);
        expect(await a.claimDue(T0 + 5_000, 10)).toEqual(['c1']);
      });

      it('forgets a cleared deadline', async () => {
        await a.setDeadline('c1', T0 + 100);
        await a.setDeadline('c2', T0 + 200);
        await b.clearDeadline('c1');
        await b.clearDeadline('never-set');
        expect(await a.claimDue(T0 + 1_000, 10)).toEqual(['c2']);
      });

      it('hands each due deadline to exactly one of two racing instances', async () => {
        const ids = Array.from({ length: 600 }, (_, i) => `case-${i}`);
        await Promise.all(ids.map((id, i) => a.setDeadline(id, T0 + (i % 97))));
        await a.setDeadline('not-yet', T0 + 60_000);
        const drain = async (store: HubStore) => {
          const got: string[] = [];
          for (;;) {
            const due = await store.claimDue(T0 + 1_000, 7);
            if (due.length === 0) return got;
            got.push(...due);
          }
        };
        const [fromA, fromB, fromA2, fromB2] = await Promise.all([drain(a), drain(b), drain(a), drain(b)]);
        const all = [...fromA, ...fromB, ...fromA2, ...fromB2];
        expect(all).toHaveLength(ids.length);
        expect(new Set(all)).toEqual(new Set(ids));
        expect(await a.claimDue(T0 + 60_000, 10)).toEqual(['not-yet']);
      });

      it('refuses a claim limit that is not a positive integer and a time that is not one', async () => {
        await expect(a.claimDue(T0, 0)).rejects.toThrow('claimDue: limit must be a positive integer, got 0');
        await expect(a.setDeadline('c1', Number.NaN)).rejects.toThrow('setDeadline: atMs must be a time in ms since the epoch, got NaN');
        expect(await a.claimDue(Date.now() + 1e12, 10)).toEqual([]);
      });
    });

    describe('hop query queues', () => {
      it('takes queued queries oldest first, at most `max` at a time, each once', async () => {
        for (const id of ['q1', 'q2', 'q3']) await a.enqueue('term-co', aQuery(id));
        expect(await b.take('term-co', 2)).toEqual([aQuery('q1'), aQuery('q2')]);
        expect(await a.take('term-co', 16)).toEqual([aQuery('q3')]);
        expect(await b.take('term-co', 16)).toEqual([]);
      });

      it('keeps each provider its own queue, and takes nothing from an empty one', async () => {
        await a.enqueue('term-co', aQuery('q1'));
        await a.enqueue('manual:transit-co', aQuery('q2'));
        expect(await b.take('nobody', 5)).toEqual([]);
        expect(await b.take('manual:transit-co', 5)).toEqual([aQuery('q2')]);
        expect(await b.take('term-co', 5)).toEqual([aQuery('q1')]);
      });

      it('delivers each query once to instances taking at the same time', async () => {
        const queries = Array.from({ length: 200 }, (_, i) => aQuery(`q${i}`));
        for (const q of queries) await a.enqueue('term-co', q);
        const takeAll = async (store: HubStore) => {
          const got: HopQuery[] = [];
          for (let batch = await store.take('term-co', 3); batch.length; batch = await store.take('term-co', 3)) got.push(...batch);
          return got;
        };
        const [x, y] = await Promise.all([takeAll(a), takeAll(b)]);
        expect([...x, ...y].map((q) => q.queryId).sort()).toEqual(queries.map((q) => q.queryId).sort());
      });

      it('calls a listener once when it starts listening, then on each enqueue into its empty queue by any instance', async () => {
        const term = hear(b, 'term-co');
        const other = hear(b, 'other-co');
        await Promise.all([term.next(), other.next()]);
        expect([term.calls, other.calls]).toEqual([1, 1]);
        let heard = term.next();
        await a.enqueue('term-co', aQuery('q1'));
        await heard;
        await a.take('term-co', 1);
        heard = term.next();
        await b.enqueue('term-co', aQuery('q2'));
        await heard;
        expect([term.calls, other.calls]).toEqual([3, 1]);
        heard = other.next();
        await a.enqueue('other-co', aQuery('q3'));
        await heard;
        expect([term.calls, other.calls]).toEqual([3, 2]);
        term.unsubscribe();
        other.unsubscribe();
      });

      it('stops calling a listener once it unsubscribed, while others on the provider still hear', async () => {
        const gone = hear(b, 'term-co');
        const stays = hear(b, 'term-co');
        await Promise.all([gone.next(), stays.next()]);
        gone.unsubscribe();
        gone.unsubscribe();
        const heard = stays.next();
        await a.enqueue('term-co', aQuery('q1'));
        await heard;
        expect([gone.calls, stays.calls]).toEqual([1, 2]);
        await b.take('term-co', 1);
        stays.unsubscribe();
        // Listening again after the last listener left works as the first time.
        const again = hear(b, 'term-co');
        await again.next();
        const heardAgain = again.next();
        await a.enqueue('term-co', aQuery('q2'));
        await heardAgain;
        again.unsubscribe();
      });

      it('refuses a take of fewer than one query', async () => {
        await a.enqueue('term-co', aQuery('q1'));
        await expect(a.take('term-co', 0)).rejects.toThrow('take: max must be a positive integer, got 0');
        expect(await a.take('term-co', 1)).toEqual([aQuery('q1')]);
      });
    });

    describe('replay protection', () => {
      it('remembers a jti: true the first time, false after, from any instance', async () => {
        const until = Date.now() + 60_000;
        expect(await a.remember('jti-1', until)).toBe(true);
        expect(await a.remember('jti-1', until)).toBe(false);
        expect(await b.remember('jti-1', until)).toBe(false);
        expect(await b.remember('jti-2', until)).toBe(true);
      });

      it('says true to exactly one of many instances remembering the same jti at once', async () => {
        const until = Date.now() + 60_000;
        const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).remember('jti-race', until)));
        expect(answers.filter(Boolean)).toHaveLength(1);
      });

      it('forgets a jti once it expired', async () => {
        expect(await a.remember('jti-1', Date.now() + 100)).toBe(true);
        expect(await b.remember('jti-1', Date.now() + 60_000)).toBe(false);
        await sleep(250);
        expect(await b.remember('jti-1', Date.now() + 60_000)).toBe(true);
      });
    });

    describe('tokens', () => {
      it('returns a stored token record by its hash, and undefined for an unknown hash', async () => {
        const t: TokenRecord = { id: 'ops-1', roles: ['trace', 'read'], createdAt: T0, expiresAt: T0 + 86_400_000 };
        await a.putToken('hash-1', t);
        expect(await b.getToken('hash-1')).toStrictEqual(t);
        expect(await b.getToken('hash-2')).toBeUndefined();
      });

      it('replaces a token record put again, dropping fields the new one lacks', async () => {
        await a.putToken('hash-1', { id: 'ops-1', roles: ['trace'], createdAt: T0, expiresAt: T0 + 1 });
        await a.putToken('hash-1', { id: 'ops-1', roles: [], createdAt: T0 + 5 });
        expect(await b.getToken('hash-1')).toStrictEqual({ id: 'ops-1', roles: [], createdAt: T0 + 5 });
      });
    });

    describe('copies', () => {
      it('keeps stored values apart from the objects callers pass in and get back', async () => {
        const c = aCase('case-1');
        await a.createCase(c);
        c.hops[0]!.state = 'answered';
        const got = (await a.getCase('case-1'))!;
        got.hops.push({ provider: 'x', askedBy: 'term-co', mode: 'manual', state: 'pending', attempts: [] });
        expect(await a.getCase('case-1')).toEqual(aCase('case-1'));
        (await a.listCases())[0]!.status = 'loop';
        expect((await a.getCase('case-1'))!.status).toBe('open');

        const p = aProvider('term-co');
        await a.putProvider(p);
        p.keys.push({ kid: 'k1', publicKey: 'A'.repeat(43) });
        (await a.getProvider('term-co'))!.name = 'changed';
        (await a.listProviders())[0]!.gateway = true;
        expect(await a.getProvider('term-co')).toEqual(aProvider('term-co'));

        const t: TokenRecord = { id: 'ops-1', roles: ['read'], createdAt: T0 };
        await a.putToken('hash-1', t);
        t.roles.push('admin');
        (await a.getToken('hash-1'))!.roles.push('admin');
        expect(await a.getToken('hash-1')).toEqual({ id: 'ops-1', roles: ['read'], createdAt: T0 });

        const q = aQuery('q1');
        await a.enqueue('term-co', q);
        q.call.windowSec = 600;
        expect(await a.take('term-co', 1)).toEqual([aQuery('q1')]);
      });
    });

    it('answers ping while the store is reachable', async () => {
      expect(await a.ping()).toBe(true);
      expect(await b.ping()).toBe(true);
    });
  });
}
