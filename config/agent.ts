/**
 * The agent's configuration (DESIGN §4): one schema, the source of both validation and the generated
 * reference. Sections follow the agent's parts: how it reaches the hub, how it learns calls (sip, hep,
 * drachtio, cdr), how it answers (ingress) and how it enforces DNO.
 */
import { z } from 'zod';
import { ProviderId } from '../proto/messages.js';
import { ShortcutError, type Shortcut } from './shortcuts.js';
import { cidr, directory, filePath, ianaZone, listen, webUrl } from './fields.js';
import { IngressRule } from './ingress.js';
import { isLoopbackHost } from './loopback.js';
import { httpSection, KeysSection, LogSection, RedisSection, ShutdownSection, stopTimeoutShortcut } from './sections.js';

export const CdrFormat = z.enum([
  'ribbon',
  'acme',
  'broadworks-csv',
  'broadworks-xml',
  'metaswitch',
  'sansay',
  'asterisk',
  'asterisk-custom',
  'freeswitch-csv',
  'freeswitch-xml',
  'kamailio',
  'generic',
]);
export type CdrFormat = z.infer<typeof CdrFormat>;

export const DnoAction = z.enum(['block', 'monitor']);

/** proto/tn.ts TrunkRules as a site configures them (cdr-formats.md §5 step 4: stripped only when configured). */
const CdrNumberRules = z
  .object({
    stripPrefixes: z
      .array(z.string().min(1).max(16))
      .max(32)
      .optional()
      .describe('Technical prefixes the carrier glues onto numbers (e.g. A02, 3401#), stripped before normalising; the longest that matches wins'),
    npa: z.string().regex(/^[2-9][0-9]{2}$/, 'a NANP area code: three digits, the first 2-9').optional().describe('Area code of 7-digit local numbers'),
    international00: z.boolean().optional().describe('A leading 00 means an international number'),
  })
  .strict();

export const CdrSource = z
  .object({
    format: CdrFormat.describe('Record layout the files are written in'),
    dir: directory().describe('Directory the switch writes CDR files into'),
    zone: ianaZone().default('UTC').describe('IANA time zone of the times in the files (never an abbreviation such as CST)'),
    pattern: z.string().min(1).optional().describe('File-name glob to read, e.g. *.ACT; default: every file of the format'),
    options: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('Format-specific settings, e.g. column maps for csv or asterisk-custom'),
    numbers: CdrNumberRules.optional().describe('How the calling and called numbers in these files are read; absent: as E.164 or NANP digits'),
    trunks: z
      .array(CdrNumberRules.extend({ trunkGroup: z.string().min(1).max(128).describe('Ingress trunk group, as the CDRs name it (case-insensitive)') }).strict())
      .max(10_000)
      .optional()
      .describe('Number rules of calls on one ingress trunk group; they replace numbers for that trunk'),
    ingress: z
      .object({
        realm: z.string().min(1).max(128).optional().describe('Realm given to records that name none, e.g. the SBC the files come from; the ingress map can match it'),
        trunkGroupPrefix: z
          .string()
          .min(1)
          .max(32)
          .optional()
          .describe('Put before every trunk group name, e.g. sbc01/ when two SBCs both have a TG1; ingress map rules then name sbc01/TG1'),
      })
      .strict()
      .optional()
      .describe('How the records\' ingress is named for the ingress map'),
  })
  .strict();
export type CdrSource = z.infer<typeof CdrSource>;

/** Connection limits of a TCP listener (SIP policy server, HEP collector: agent/sip/connection-limit.ts). */
const tcpConnectionLimits = {
  idleSec: z.number().int().min(1).max(86_400).default(120).describe('Close a TCP connection that sent nothing for this long, seconds'),
  maxConnections: z.number().int().min(1).max(1_000_000).default(2_048).describe('TCP connections open at once; beyond it a new one closes the oldest that has not completed a message in 2 s, or is refused'),
};

/** A listener's source allow-list (agent/sip/source-filter.ts). */
const allowFrom = (what: string, who: string) =>
  z
    .array(cidr())
    .refine((networks) => networks.length > 0, 'list at least one network; leave the setting out to take every source')
    .optional()
    .describe(
      `Networks allowed to send ${what} (${who}), by a datagram's or connection's own source address; others are dropped silently and counted (hoptrace_sip_refused_total, reason not_allowed). Absent: every source, with a warning at start when listening on a non-loopback address`,
    );

const dnoActionFor = (category: string) =>
  DnoAction.default('block').describe(`What to do with a call whose calling number is DNO-${category}: block rejects it, monitor only counts and logs it`);

export const AgentConfig = z
  .object({
    provider: ProviderId.describe('This carrier\'s provider id, as registered at the hub'),
    hub: z
      .object({
        url: webUrl().optional().describe('Hub base URL; absent: a DNO-only site that answers no hop queries'),
        allowInsecureHttp: z
          .boolean()
          .default(false)
          .describe('Accept an http:// hub.url to a non-loopback host: call details then travel in clear (signatures still hold); without it such a URL is refused'),
        id: ProviderId.default('hub').describe('The hub\'s envelope id (the aud of answers, the iss of queries)'),
        mode: z.enum(['pull', 'push']).default('pull').describe('pull: long-poll the hub over outbound HTTPS; push: the hub calls this agent\'s HTTP endpoint'),
        pollWaitSec: z.number().int().min(1).max(300).default(25).describe('Long-poll wait per request, seconds'),
        publicKeys: z
          .array(z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'base64url of a raw 32-byte Ed25519 key (as `hoptrace-hub keygen` prints it)'))
          .max(8)
          .default([])
          .describe('The hub\'s Ed25519 public keys: queries signed by anything else are refused (two during a key rotation)'),
      })
      .strict()
      .prefault({})
      .describe('Talking to the hub'),
    keys: KeysSection.optional().describe('This agent\'s signing key'),
    redis: RedisSection.optional().describe('Shared store for the call index and DNO cache'),
    sip: z
      .object({
        listen: z.array(listen(['udp', 'tcp'])).default([]).describe('Policy-server addresses the SBC sends INVITEs to'),
        continue: z
          .object({
            // YAML reads `mode: 302` as a number; the setting is the status, however it is written.
            mode: z
              .preprocess((v) => (typeof v === 'number' ? String(v) : v), z.enum(['302', '404', '503']))
              .default('302').describe('Answer for a call that may proceed: 302 redirect back to the SBC, or 404/503 for route advance'),
          })
          .strict()
          .prefault({})
          .describe('Answer for an allowed call'),
        block: z
          .object({
            code: z.literal([603, 608]).default(603).describe('SIP status for a DNO block: 603 Decline or 608 Rejected'),
            reasonText: z.string().min(1).max(128).default('Call Rejected').describe('text= of the Reason: Q.850;cause=21 header'),
          })
          .strict()
          .prefault({})
          .describe('Answer for a blocked call'),
        callingFrom: z.enum(['pai', 'from']).default('pai').describe('Header the calling number is taken from: P-Asserted-Identity (falling back to From) or From only'),
        emergency: z
          .array(z.string().regex(/^\+?[0-9]{1,15}$/, 'digits, optionally with a leading +'))
          .default(['911', '112'])
          .describe('Called numbers that are never blocked'),
        recvBufferBytes: z.number().int().min(65_536).default(8 * 1024 * 1024).describe('UDP socket receive buffer, bytes'),
        sendBufferBytes: z.number().int().min(65_536).default(4 * 1024 * 1024).describe('UDP socket send buffer, bytes'),
        allowFrom: allowFrom('INVITEs', "the carrier's SBCs"),
        trustPaiFrom: z
          .array(cidr())
          .optional()
          .describe('Peers whose P-Asserted-Identity is trusted (RFC 3325 trust domain), by the packet\'s source address; from any other the calling number is read from From. Absent: trust every peer (the SBC in front strips PAI from untrusted peers); [] trusts none'),
        tcp: z
          .object({
            maxMessageBytes: z.number().int().min(1_024).max(65_536).default(65_536).describe('Largest SIP message over TCP (headers and body), bytes; a larger one closes the connection'),
            ...tcpConnectionLimits,
          })
          .strict()
          .prefault({})
          .describe('SIP over TCP'),
        shaken: z
          .object({
            certDir: directory().optional().describe('Local STI certificate directory (<sha256 of the x5u URL>.pem, trust/*.pem); absent: Identity headers are recorded unverified'),
            maxSkewSec: z.number().int().min(1).max(3_600).default(60).describe('Largest difference between a PASSporT\'s iat and the time the call was seen, seconds'),
            reloadSec: z.number().int().min(0).max(86_400).default(300).describe('Re-read the certificate directory this often, seconds; 0: only at start'),
          })
          .strict()
          .prefault({})
          .describe('STIR/SHAKEN Identity verification for calls seen by the policy server, HEP and drachtio'),
      })
      .strict()
      .prefault({})
      .describe('SIP policy server'),
    hep: z
      .object({
        listen: listen(['udp', 'tcp']).optional().describe('Address of the HEP collector for mirrored SIP (UDP datagrams, or TCP framed by the HEP length); absent: no collector'),
        allowFrom: allowFrom('mirrored SIP', 'the capture agents on SBCs and proxies, not the source a HEP packet names'),
        authKey: z
          .string()
          .min(1)
          .max(256)
          .optional()
          .describe('Capture password every HEP packet must carry in its auth key chunk (type 14); packets without it or with another are dropped and counted (reason bad_auth). Secret: redacted in logs and check. Absent: not checked'),
        tcp: z.object(tcpConnectionLimits).strict().prefault({}).describe('HEP over TCP'),
      })
      .strict()
      .prefault({})
      .describe('HEP (Homer) collector'),
    drachtio: z
      .object({
        host: z.string().min(1).describe('drachtio-server host'),
        port: z.number().int().min(1).max(65_535).default(9022).describe('drachtio-server admin port'),
        secret: z.string().min(1).describe('drachtio-server shared secret'),
      })
      .strict()
      .optional()
      .describe('drachtio-server to take INVITEs from; absent: none'),
    http: httpSection('127.0.0.1:9091', 'health, readiness, metrics (and hop queries in push mode)').prefault({}).describe('HTTP server'),
    dno: z
      .object({
        file: filePath().optional().describe('Local DNO list (numbers, prefixes, ranges), used with the hub\'s list'),
        coFile: filePath().optional().describe('NANPA CO-code assignment report, for DNO-unallocated numbers'),
        actions: z
          .object({
            listed: dnoActionFor('listed'),
            invalid: dnoActionFor('invalid'),
            unallocated: dnoActionFor('unallocated'),
            unassigned: dnoActionFor('unassigned'),
          })
          .strict()
          .prefault({})
          .describe('Action per DNO category'),
      })
      .strict()
      .prefault({})
      .describe('Do-Not-Originate enforcement'),
    cdr: z.array(CdrSource).default([]).describe('CDR directories to read'),
    ingress: z
      .object({
        file: filePath().optional().describe('Ingress map file: a YAML/JSON list of rules shaped like ingress.map'),
        map: z.array(IngressRule).default([]).describe('Ingress rules, first match wins'),
      })
      .strict()
      .prefault({})
      .describe('How an ingress (peer IP, trunk group, realm) maps to an upstream or a customer'),
    calls: z
      .object({
        retentionDays: z.number().int().min(1).max(3650).default(30).describe('How long indexed calls are kept, days'),
        bucketSec: z.number().int().min(60).max(86_400).default(3600).describe('Time bucket of the call index, seconds; buckets expire whole'),
        shards: z
          .number()
          .int()
          .min(1)
          .max(65_536)
          .default(1024)
          .describe('Shards of the called number per bucket: a lookup reads one; raise it when a bucket holds more than a few thousand calls per shard (each shard is a Redis Cluster hash tag)'),
        evidence: z
          .enum(['none', 'hash', 'line'])
          .default('hash')
          .describe('What a hop answer says about the CDR behind a match: hash = file name (where the line is now, and the name it was indexed under when rotation renamed the file), byte offset and sha256 of the raw line; line = the raw line too; none = nothing'),
      })
      .strict()
      .prefault({})
      .describe('Call index'),
    shutdown: ShutdownSection.prefault({}).describe('Stopping on SIGTERM'),
    log: LogSection.prefault({}).describe('Logging'),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Answers carry CPNI: in clear only to this machine, or when the operator says so (a TLS proxy beside it).
    const hub = c.hub.url === undefined ? undefined : new URL(c.hub.url);
    if (hub?.protocol === 'http:' && !isLoopbackHost(hub.hostname) && !c.hub.allowInsecureHttp) {
      ctx.addIssue({
        code: 'custom',
        path: ['hub', 'url'],
        message: `plain http:// to ${hub.hostname} would send call details in clear: use https://, or set hub.allowInsecureHttp: true`,
      });
    }
    // Talking to a hub means signing answers and checking the hub's signature on every query (DESIGN §8).
    if (c.hub.url === undefined || !/^https?:\/\//.test(c.hub.url)) return;
    if (c.keys === undefined) ctx.addIssue({ code: 'custom', path: ['keys', 'privateKeyFile'], message: 'required when hub.url is set (make one with `hoptrace-agent keygen`)' });
    if (c.hub.publicKeys.length === 0) ctx.addIssue({ code: 'custom', path: ['hub', 'publicKeys'], message: 'required when hub.url is set: the hub\'s public key, as `hoptrace-hub keygen` prints it' });
  });
export type AgentConfig = z.infer<typeof AgentConfig>;

/** Settings that have a flag and a short environment variable (DESIGN §4), so a site can start without a file. */
export const agentShortcuts: readonly Shortcut[] = [
  { flag: 'provider', env: 'HOPTRACE_PROVIDER', path: ['provider'] },
  { flag: 'sip', env: 'HOPTRACE_SIP', path: ['sip', 'listen'], multiple: true },
  { flag: 'hep', env: 'HOPTRACE_HEP', path: ['hep', 'listen'] },
  { flag: 'http', env: 'HOPTRACE_HTTP', path: ['http', 'listen'] },
  { flag: 'redis', env: 'HOPTRACE_REDIS_URL', path: ['redis', 'url'] },
  { flag: 'dno-file', env: 'HOPTRACE_DNO_FILE', path: ['dno', 'file'] },
  { flag: 'cdr', env: 'HOPTRACE_CDR', path: ['cdr'], multiple: true, expand: cdrShorthand },
  { flag: 'ingress', env: 'HOPTRACE_INGRESS', path: ['ingress', 'file'] },
  { flag: 'hub', env: 'HOPTRACE_HUB_URL', path: ['hub', 'url'] },
  { flag: 'hub-key', env: 'HOPTRACE_HUB_KEY', path: ['hub', 'publicKeys'], multiple: true },
  { flag: 'key', env: 'HOPTRACE_KEY_FILE', path: ['keys', 'privateKeyFile'] },
  { flag: 'log-level', env: 'HOPTRACE_LOG_LEVEL', path: ['log', 'level'] },
  stopTimeoutShortcut,
];

/** `--cdr FORMAT:DIR`: the format is validated by the schema like any other. */
function cdrShorthand(text: string): { format: string; dir: string } {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) throw new ShortcutError('expected FORMAT:DIR, e.g. ribbon:/var/log/sbc/cdr');
  return { format: text.slice(0, colon), dir: text.slice(colon + 1) };
}
