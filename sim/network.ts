/**
 * The simulated carrier network: who the carriers are, how each one learns its calls (its SIP policy server,
 * or the CDR files its switch writes, in that switch's own format and clock), its ingress map, and the DNO
 * lists. Pure data: sim/carriers.ts starts it, sim/place.ts carries calls through it.
 *
 * The demo network (five providers, issue 7):
 *
 *   Dialer Blast LLC ─► voxnova ─► midstate ─► crossroads ─► lakeshore ─► the called subscriber
 *                                                  ▲
 *          Oceanic Telecom (abroad) ─► harborgate ─┘
 *
 *   voxnova: the robocaller's VoIP provider (Asterisk CDRs); midstate, crossroads: transit (Ribbon SBC .ACT
 *   files, Kamailio acc); harborgate: gateway for traffic from abroad (SIP policy server + FreeSWITCH CDRs);
 *   lakeshore: terminating (SIP policy server). The policy servers enforce DNO.
 *
 * Addresses: the SBCs that ask a policy server send from their own loopback address (127.0.0.N; all of
 * 127/8 is loopback on Linux), so the policy server sees a distinct peer per upstream, as in production.
 * Addresses that only appear inside CDR files are documentation addresses (RFC 5737): nothing is sent there.
 */
import type { CdrFormat } from '../config/agent.js';
import type { IngressRule } from '../config/ingress.js';

export type Role = 'originating' | 'transit' | 'gateway' | 'terminating';

/** How a carrier's switch writes its CDRs: the format, the zone of its clock, and its reader's options. */
export interface CdrWriterSpec {
  format: CdrFormat;
  /** IANA zone the switch writes local times in. */
  zone: string;
  /** File the switch appends to, in the carrier's CDR directory. */
  file: string;
  options?: Record<string, unknown>;
  /** How far the switch's clock is off, ms (carriers' clocks differ: the agent searches a window). */
  skewMs: number;
}

export interface SimProvider {
  id: string;
  name: string;
  role: Role;
  reach: 'agent-pull' | 'manual';
  gateway?: boolean;
  foreign?: boolean;
  /** Its SBC asks this carrier's agent about every INVITE (a policy server on loopback UDP). */
  policyServer: boolean;
  cdr?: CdrWriterSpec;
  ingress: IngressRule[];
  contact?: { email?: string; phone?: string };
}

/**
 * One leg of a call: the carrier it reached and how it arrived there. `sbc` is the loopback address the
 * upstream's SBC sends INVITEs from (for a policy-server hop); `ip` and `trunkGroup` are what the carrier's
 * CDR records as the ingress.
 */
export interface Leg {
  provider: string;
  sbc?: string;
  ip?: string;
  trunkGroup?: string;
}

/** A route through the network, origin first, the terminating carrier last. */
export interface Route {
  name: string;
  legs: Leg[];
  /** How a traceback of a call on this route must end: at the first carrier, as originator or point of entry. */
  ends: 'originated' | 'foreign';
}

export interface Network {
  providers: SimProvider[];
  routes: Record<string, Route>;
  /** The hub's DNO master list (list-file text): imported at the hub, synced by every agent. */
  hubDno: string;
  /** Carriers' own lists (their spare and inbound-only numbers), by provider id: each agent's `dno.file`. */
  localDno: Record<string, string>;
}

/** The customer account the originating carrier discloses for the robocaller. */
export const ROBOCALLER = { account: 'VX-10442', name: 'Dialer Blast LLC' } as const;
export const FOREIGN_PEER = 'Oceanic Telecom (GB), trunk INTL-01';

export function demoNetwork(): Network {
  return {
    providers: [
      {
        id: 'voxnova',
        name: 'VoxNova VoIP',
        role: 'originating',
        reach: 'agent-pull',
        policyServer: false,
        cdr: { format: 'asterisk', zone: 'America/New_York', file: 'Master.csv', skewMs: 2_000 },
        ingress: [
          { match: { trunkGroup: 'PJSIP/dialerblast' }, target: { customer: { ...ROBOCALLER } } },
          { match: { trunkGroup: 'PJSIP/harbor-dental' }, target: { customer: { account: 'VX-20017', name: 'Harbor Dental Group' } } },
        ],
      },
      {
        id: 'midstate',
        name: 'Midstate Transit',
        role: 'transit',
        reach: 'agent-pull',
        policyServer: false,
        cdr: { format: 'ribbon', zone: 'America/Chicago', file: 'SBC01.ACT', options: { nodeZones: { CST: 'America/Chicago', CDT: 'America/Chicago' } }, skewMs: -1_000 },
        ingress: [{ match: { trunkGroup: 'TG_VOXNOVA' }, target: { upstream: { providerId: 'voxnova', name: 'VoxNova VoIP' } } }],
      },
      {
        id: 'crossroads',
        name: 'Crossroads Exchange',
        role: 'transit',
        reach: 'agent-pull',
        policyServer: false,
        cdr: { format: 'kamailio', zone: 'UTC', file: 'acc_invite.log', options: { form: 'flatstore', timeMode: 2 }, skewMs: 400 },
        ingress: [
          { match: { cidr: '198.51.100.10/32' }, target: { upstream: { providerId: 'midstate', name: 'Midstate Transit' } } },
          { match: { cidr: '198.51.100.20/32' }, target: { upstream: { providerId: 'harborgate', name: 'Harbor Gateway' } } },
        ],
      },
      {
        id: 'harborgate',
        name: 'Harbor Gateway',
        role: 'gateway',
        reach: 'agent-pull',
        gateway: true,
        policyServer: true,
        cdr: {
          format: 'freeswitch-csv',
          zone: 'UTC',
          file: 'Master.csv',
          options: { template: ['direction', 'start_uepoch', 'sip_network_ip', 'sip_gateway_name', 'sip_call_id', 'caller_id_number', 'destination_number'] },
          skewMs: -3_000,
        },
        ingress: [
          { match: { cidr: '127.0.0.44/32' }, target: { foreign: { name: FOREIGN_PEER } } },
          { match: { trunkGroup: 'oceanic' }, target: { foreign: { name: FOREIGN_PEER } } },
        ],
      },
      {
        id: 'lakeshore',
        name: 'Lakeshore Telephone',
        role: 'terminating',
        reach: 'agent-pull',
        policyServer: true,
        ingress: [{ match: { cidr: '127.0.0.30/32' }, target: { upstream: { providerId: 'crossroads', name: 'Crossroads Exchange' } } }],
      },
    ],
    routes: {
      domestic: {
        name: 'robocaller → VoxNova → Midstate → Crossroads → Lakeshore',
        ends: 'originated',
        legs: [
          { provider: 'voxnova', trunkGroup: 'PJSIP/dialerblast', ip: '203.0.113.50' },
          { provider: 'midstate', trunkGroup: 'TG_VOXNOVA', ip: '198.51.100.5' },
          { provider: 'crossroads', ip: '198.51.100.10' },
          { provider: 'lakeshore', sbc: '127.0.0.30' },
        ],
      },
      foreign: {
        name: 'abroad → Harbor Gateway → Crossroads → Lakeshore',
        ends: 'foreign',
        legs: [
          { provider: 'harborgate', sbc: '127.0.0.44', trunkGroup: 'oceanic' },
          { provider: 'crossroads', ip: '198.51.100.20' },
          { provider: 'lakeshore', sbc: '127.0.0.30' },
        ],
      },
    },
    hubDno: [
      '# Industry DNO list (synthetic): inbound-only lines of a government agency and of a bank',
      'number,category,reason',
      '+12025550100-+12025550109,listed,agency inbound-only lines (synthetic)',
      '+18885550123,listed,bank fraud-department inbound line (synthetic)',
      '',
    ].join('\n'),
    localDno: {
      lakeshore: ['# Lakeshore\'s spare numbers: never assigned, so never a real caller', '+17735550190-+17735550199,unassigned,spare DID block', ''].join('\n'),
    },
  };
}
