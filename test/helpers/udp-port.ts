import dgram from 'node:dgram';

/** A UDP port free on 127.0.0.1 right now (sipp, a UAC or the agent's --sip need one chosen up front). */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
