/**
 * Trace forward (call-back scams): a scam call left a number to call back; the provider holding that number
 * knows which customer it is assigned to. The holder comes from the registered number blocks
 * (hub/forward/holders.ts) or is named by the requester; its people are asked through a signed manual-hop link
 * (sent to its notification endpoint), and their answer is signed by the hub as evidence, as a traceback's is.
 */
import { z } from 'zod';
import { CallingNumber, E164, Instant, MessageError, parse, ProviderId } from '../../proto/messages.js';
import type { Case } from '../case.js';
import type { Hub } from '../hub.js';
import type { HolderStore } from './holders.js';

export const ForwardInput = z.object({
  /** The call-back number the scam call gave. */
  number: E164,
  /** The provider that holds the number, when the requester knows it; else the number blocks decide. */
  holder: ProviderId.optional(),
  /** The scam call that gave the number (default: a call from the number, now). */
  call: z.object({ calling: CallingNumber, called: E164, at: Instant }).optional(),
  campaign: z.string().max(128).optional(),
});
export type ForwardInput = z.infer<typeof ForwardInput>;

export async function startTraceForward(hub: Hub, holders: HolderStore, body: unknown, requester: string, now: number): Promise<Case> {
  const input = parse(ForwardInput, body);
  const holder = input.holder ?? (await holders.holderOf(input.number))?.provider;
  if (!holder) throw new MessageError('holder', `no registered number block holds ${input.number}: name the provider that holds it`, []);
  if (!(await hub.registry.get(holder))) throw new MessageError('holder', `no registered provider ${holder}`, []);
  const call = input.call ?? { calling: input.number, called: input.number, at: new Date(now).toISOString() };
  return hub.startForward({ number: input.number, holder, call, ...(input.campaign !== undefined && { campaign: input.campaign }) }, requester);
}
