/**
 * An SBC asking its policy server about one INVITE, over real UDP: the simulated upstream sends from its own
 * loopback address (the ingress the policy server records) and waits for the final answer, retransmitting
 * as RFC 3261 §17.1.1.2 (timer A) says while none has come. Only loopback is ever addressed.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

export interface PolicyAnswer {
  status: number;
  reason: string;
  /** Header lines of the answer, lower-cased names: `reason` carries the Q.850 cause of a block. */
  headers: Map<string, string>;
  /** When the INVITE was first sent, epoch ms. */
  sentAt: number;
  /** How long the final answer took, ms. */
  tookMs: number;
}

export class PolicyTimeoutError extends Error {
  override readonly name = 'PolicyTimeoutError';
  constructor(
    readonly server: string,
    readonly callId: string,
  ) {
    super(`no final answer from the policy server at ${server} for Call-ID ${callId}`);
  }
}

export class NotLoopbackError extends Error {
  override readonly name = 'NotLoopbackError';
  constructor(readonly address: string) {
    super(`the simulator sends SIP to loopback only, not to ${address}`);
  }
}

/** Timer A starts at T1 = 500 ms and doubles; the transaction gives up at 64·T1 (shortened: a policy server answers in ms). */
const T1_MS = 500;
const GIVE_UP_MS = 4_000;

export class Sbc {
  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    readonly port: number,
  ) {}

  /** An SBC sending from `address` (a 127.0.0.0/8 address). */
  static async open(address: string): Promise<Sbc> {
    if (!address.startsWith('127.')) throw new NotLoopbackError(address);
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => resolve());
    });
    return new Sbc(socket, address, socket.address().port);
  }

  /** Ask the policy server at 127.x:port about a call from `calling` to `called`; resolves with its final answer. */
  async invite(server: { host: string; port: number }, call: { calling: string; called: string }): Promise<PolicyAnswer> {
    if (!server.host.startsWith('127.')) throw new NotLoopbackError(server.host);
    const callId = `${randomBytes(8).toString('hex')}@${this.address}`;
    const request = Buffer.from(inviteText(this.address, this.port, server, call, callId));
    const sentAt = Date.now();
    return new Promise<PolicyAnswer>((resolve, reject) => {
      let interval = T1_MS;
      let retransmit: NodeJS.Timeout;
      const send = () => this.socket.send(request, server.port, server.host);
      const again = () => {
        send();
        interval *= 2;
        retransmit = setTimeout(again, interval);
      };
      const done = () => {
        clearTimeout(retransmit);
        clearTimeout(giveUp);
        this.socket.off('message', onMessage);
      };
      const onMessage = (msg: Buffer) => {
        const answer = parseResponse(msg.toString('latin1'));
        if (!answer || answer.headers.get('call-id') !== callId || answer.status < 200) return;
        done();
        resolve({ ...answer, sentAt, tookMs: Date.now() - sentAt });
      };
      const giveUp = setTimeout(() => {
        done();
        reject(new PolicyTimeoutError(`${server.host}:${server.port}`, callId));
      }, GIVE_UP_MS);
      this.socket.on('message', onMessage);
      send();
      retransmit = setTimeout(again, interval);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** The INVITE an SBC sends its policy server: the caller in From and P-Asserted-Identity, no body. */
function inviteText(address: string, port: number, server: { host: string; port: number }, call: { calling: string; called: string }, callId: string): string {
  const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
  const tag = randomBytes(4).toString('hex');
  return [
    `INVITE sip:${call.called}@${server.host}:${server.port};user=phone SIP/2.0`,
    `Via: SIP/2.0/UDP ${address}:${port};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:${call.calling}@${address};user=phone>;tag=${tag}`,
    `To: <sip:${call.called}@${server.host};user=phone>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:sbc@${address}:${port}>`,
    `P-Asserted-Identity: <sip:${call.calling}@${address};user=phone>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** RFC 3261 §7.3.3 compact forms of the headers read here. */
const COMPACT: Readonly<Record<string, string>> = { i: 'call-id', m: 'contact', v: 'via' };

/** Status line and headers of a SIP response; undefined for anything else. */
export function parseResponse(text: string): { status: number; reason: string; headers: Map<string, string> } | undefined {
  const [first, ...lines] = text.split('\r\n');
  const m = first?.match(/^SIP\/2\.0 (\d{3}) ?(.*)$/);
  if (!m) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(COMPACT[name] ?? name, line.slice(colon + 1).trim());
  }
  return { status: Number(m[1]), reason: m[2] ?? '', headers };
}
