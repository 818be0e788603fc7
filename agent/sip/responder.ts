/**
 * What the policy server answers to one SIP message, statelessly like Kamailio's `sl` (RFC 3261 §8.2.7,
 * sip-notes.md §1): pure, bytes in → response bytes (or none) out. No state is kept between messages, so a
 * retransmission gets the same answer and memory stays flat.
 *
 *   INVITE → the DNO decision (policy.ts), whatever it Requires: a redirect server sends no provisional
 *            answers, so no extension comes into play, and refusing one would switch DNO off for that SBC
 *   ACK → absorbed unparsed (it acknowledges our non-2xx answer; nothing in it could change that)
 *   OPTIONS → 200 (SBCs ping the policy route), 420 when it Requires an extension (RFC 3261 §8.2.2.3)
 *   CANCEL → 200 (the INVITE was answered at once anyway)
 *   other known methods → 405 with Allow         unknown methods → 501
 *   malformed → 400/416/501/505 naming the fault, or nothing when no answer can be formed
 *   responses → never answered (§18.1.2)
 */
import { parseSip, type SipMessage, type SipParseError } from './parser.js';
import { decideInvite, type InviteAnswer, type InviteSource, type PolicyContext } from './policy.js';
import { buildResponse } from './response.js';

export type SipTransport = 'udp' | 'tcp';

export interface SipAnswer {
  /** To be sent to the packet's source; null: send nothing. */
  response: Buffer | null;
  /** The method of a well-formed request. */
  method?: string;
  /** Set for a well-formed INVITE, with the INVITE itself (for what is learned after the answer is sent). */
  invite?: InviteAnswer;
  message?: SipMessage;
  /** Set when the message did not parse. */
  parseError?: SipParseError;
}

export const ALLOW = 'INVITE, ACK, CANCEL, OPTIONS';
const ALLOW_HEADERS: [string, string][] = [['Allow', ALLOW]];

/** RFC 3261 and extension methods: these get 405 (not ours to serve), any other method 501 (RFC 3261 §8.2.1). */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'BYE', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);

const NOTHING: SipAnswer = { response: null };
const ACK_ABSORBED: SipAnswer = { response: null, method: 'ACK' };

export function answerSip(buf: Buffer, src: InviteSource, transport: SipTransport, ctx: PolicyContext): SipAnswer {
  // Every call sends an ACK for our final answer: absorbed unread, it costs nothing next to the INVITE.
  if (isAck(buf)) return ACK_ABSORBED;
  const parsed = parseSip(buf, { transport });
  if (!parsed.ok) return answerFault(parsed.error, src);
  const msg = parsed.msg;
  if (msg.kind === 'response') return NOTHING;
  switch (msg.method) {
    case 'INVITE': {
      const invite = decideInvite(msg, src, ctx);
      return { response: invite.response, method: 'INVITE', invite, message: msg };
    }
    case 'ACK':
      return ACK_ABSORBED;
    case 'OPTIONS': {
      const required = msg.headers.get('require');
      const response = required
        ? buildResponse(msg, 420, 'Bad Extension', { headers: [['Unsupported', required.join(', ')]] }, src)
        : buildResponse(msg, 200, 'OK', { headers: ALLOW_HEADERS }, src);
      return { response, method: 'OPTIONS' };
    }
    case 'CANCEL':
      return { response: buildResponse(msg, 200, 'OK', {}, src), method: 'CANCEL' };
    default: {
      const known = KNOWN_METHODS.has(msg.method as string);
      const status = known ? 405 : 501;
      const response = buildResponse(msg, status, known ? 'Method Not Allowed' : 'Not Implemented', { headers: ALLOW_HEADERS }, src);
      return { response, method: msg.method as string };
    }
  }
}

const A = 0x41;
const C = 0x43;
const K = 0x4b;
const SP = 0x20;

/** The start line names the ACK method (case-sensitive, RFC 3261 §7.1), after any keep-alive CRLFs. */
function isAck(buf: Buffer): boolean {
  let i = 0;
  while (i < buf.length && (buf[i] === 13 || buf[i] === 10)) i++;
  return buf[i] === A && buf[i + 1] === C && buf[i + 2] === K && buf[i + 3] === SP;
}

/** A request that can be answered (a Via to answer along, not an ACK) gets the parser's code and reason. */
function answerFault(error: SipParseError, src: InviteSource): SipAnswer {
  const partial = error.partial;
  if (error.code === 'drop' || !partial || partial.kind !== 'request' || partial.method === 'ACK' || !partial.headers.has('via')) {
    return { response: null, parseError: error };
  }
  return { response: buildResponse(partial, error.code, error.reason, {}, src), parseError: error };
}
