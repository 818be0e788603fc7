/**
 * An in-process fake drachtio-server speaking the real control-connection framing (sip-notes.md §4.3, §4.4):
 * `<N>#<payload>` frames (several per segment or split anywhere, even inside N), `authenticate` answered OK
 * or refused, `route|invite` noted, INVITEs handed to the app as `sip|network|…` and the app's `sip|<txnId>|`
 * answers collected and acknowledged with `response|<msgId>|OK|application|…` as a real server does.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';

export interface NetworkSource {
  address: string;
  port: number;
}

const frame = (payload: string) => `${Buffer.byteLength(payload)}#${payload}`;
const NOW = '12:00:00.000000';

export class FakeDrachtio {
  /** Secrets presented, in order. */
  readonly authentications: string[] = [];
  /** Verbs routed by the app. */
  readonly routes: string[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private app: net.Socket | undefined;
  private routed: (() => void)[] = [];
  private readonly pending = new Map<string, (sip: string) => void>();
  private txn = 0;

  private constructor(private readonly secret: string) {
    this.server = net.createServer((socket) => this.serve(socket));
  }

  static async start(secret: string): Promise<FakeDrachtio> {
    const fake = new FakeDrachtio(secret);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Resolves once an authenticated app has routed INVITEs to itself. */
  ready(): Promise<void> {
    if (this.app && this.routes.includes('invite')) return Promise.resolve();
    return new Promise((resolve) => this.routed.push(resolve));
  }

  /** Sends an INVITE from the network to the app; resolves with the SIP response the app sends. */
  invite(sip: string, from: NetworkSource = { address: '203.0.113.5', port: 5060 }): Promise<string> {
    const app = this.app;
    if (!app) return Promise.reject(new Error('no app connected'));
    const txnId = `txn-${++this.txn}`;
    const reply = new Promise<string>((resolve) => this.pending.set(txnId, resolve));
    const head = `${randomUUID()}|sip|network|${Buffer.byteLength(sip)}|udp|${from.address}|${from.port}|${NOW}|${txnId}||127.0.0.1|5060|`;
    // Split the frame in two writes, inside the length prefix: the app must reassemble it.
    const bytes = Buffer.from(frame(`${head}\r\n${sip}`));
    app.write(bytes.subarray(0, 2));
    setImmediate(() => app.write(bytes.subarray(2)));
    return reply;
  }

  /** Drops the app's connection (as a restarting server would); the app must authenticate and route again. */
  dropApp(): void {
    this.app?.destroy();
    this.app = undefined;
    this.routes.length = 0;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (let hash = buf.indexOf(0x23); hash > 0; hash = buf.indexOf(0x23)) {
        const n = Number(buf.toString('latin1', 0, hash));
        if (buf.length < hash + 1 + n) return;
        const msg = buf.toString('utf8', hash + 1, hash + 1 + n);
        buf = buf.subarray(hash + 1 + n);
        this.handle(socket, msg);
      }
    });
  }

  private handle(socket: net.Socket, msg: string): void {
    const crlf = msg.indexOf('\r\n');
    const head = crlf < 0 ? msg : msg.slice(0, crlf);
    const sip = crlf < 0 ? '' : msg.slice(crlf + 2);
    const [id, type, arg] = head.split('|');
    if (type === 'authenticate') {
      this.authentications.push(arg ?? '');
      const ok = arg === this.secret;
      socket.write(frame(`${randomUUID()}|response|${id}|${ok ? 'OK|udp/127.0.0.1:5060|0.9.4|udp/127.0.0.1:5060' : 'NOK|incorrect secret'}`));
      if (ok) this.app = socket;
      else socket.end();
    } else if (type === 'route') {
      this.routes.push(arg ?? '');
      if (arg === 'invite') for (const resolve of this.routed.splice(0)) resolve();
    } else if (type === 'sip') {
      const txnId = arg ?? '';
      socket.write(frame(`${randomUUID()}|response|${id}|OK|application|${Buffer.byteLength(sip)}|udp|203.0.113.5|5060|${NOW}|${txnId}||\r\n${sip}`));
      this.pending.get(txnId)?.(sip);
      this.pending.delete(txnId);
    }
  }
}
