/**
 * Seeded, deterministic INVITEs varied the ways carriers' SBCs vary them: display names (token, quoted,
 * escaped, with commas), header name case and compact forms, white space before colons, folded lines,
 * PAI as sip, tel, both on one line or two, several Vias joined or repeated, parameters, leading zeros.
 */

import { prng } from '../../helpers/prng.js';

export function inviteGenerator(seed: number): () => string {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
  const chance = (p: number) => rand() < p;
  const token = (n: number) => Array.from({ length: n }, () => pick([...'abcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`\'~'])).join('');
  const tn = () => `+1${int(2, 9)}${String(int(0, 99)).padStart(2, '0')}${int(2, 9)}${String(int(0, 999_999)).padStart(6, '0')}`;
  const ip = () => `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  const host = () => (chance(0.5) ? ip() : `sbc${int(1, 99)}.carrier${int(1, 9)}.example.net`);
  const name = (long: string, compact?: string) => {
    const forms = [long, long.toLowerCase(), long.toUpperCase(), `${long} `, `${long}\t `];
    return compact && chance(0.3) ? pick([compact, compact.toUpperCase()]) : pick(forms);
  };
  /** A line break plus white space before the first header parameter, as folding SBCs write it. */
  const fold = (s: string) => {
    const at = s.indexOf(';', s.lastIndexOf('>') + 1);
    return at < 0 || !chance(0.2) ? s : `${s.slice(0, at)}${pick(['\r\n ', '\r\n\t', ' \r\n  '])}${s.slice(at)}`;
  };
  const display = () =>
    pick([
      '',
      `${pick(['Alice', 'BOB', 'acme'])} `,
      `${pick(['Alice', 'Bob'])} ${pick(['Smith', 'Doe'])} `,
      `"${pick(['Caller', 'Doe, John', 'Sales & Support', 'Wireless Caller'])}" `,
      `"say \\"${token(4)}\\"" `,
      `"${token(6)}"`,
    ]);
  const sipUri = (user: string) => `sip:${user}@${host()}${chance(0.3) ? `:${int(1024, 65535)}` : ''}${chance(0.5) ? ';user=phone' : ''}`;
  /** With a display name or URI parameters the URI needs <>; otherwise sometimes bare. */
  const nameAddr = (uri: string, params: string) => {
    const shown = display();
    const bare = !shown && !uri.includes(';') && chance(0.4);
    return bare ? `${uri}${params}` : `${shown}<${uri}>${params}`;
  };
  const via = () =>
    `SIP/2.0/${pick(['UDP', 'TCP', 'TLS', 'udp'])} ${host()}${chance(0.6) ? `:${int(1024, 65535)}` : ''};branch=z9hG4bK-${token(int(4, 16))}` +
    `${chance(0.4) ? ';rport' : ''}${chance(0.3) ? `;received=${ip()}` : ''}`;

  return () => {
    const caller = tn();
    const called = tn();
    const vias = Array.from({ length: int(1, 4) }, via);
    const viaLines: string[] = [];
    for (let i = 0; i < vias.length; ) {
      const n = int(1, vias.length - i);
      viaLines.push(`${name('Via', 'v')}: ${fold(vias.slice(i, i + n).join(pick([', ', ',', ' , '])))}`);
      i += n;
    }
    const paiSip = `${display()}<${sipUri(caller)}>`;
    const paiTel = `<tel:${caller}>`;
    const pai = pick<string[]>([
      [],
      [paiSip],
      [paiTel],
      [`${paiSip}, ${paiTel}`],
      [`${paiTel},${paiSip}`],
      [paiSip, paiTel],
    ]).map((v) => `${name('P-Asserted-Identity')}: ${v}`);
    const sdp = chance(0.7) ? `v=0\r\no=- ${int(1, 1e6)} 1 IN IP4 ${ip()}\r\ns=-\r\nc=IN IP4 ${ip()}\r\nt=0 0\r\nm=audio ${int(1024, 65000)} RTP/AVP 0 8\r\n` : '';
    const headers = [
      ...viaLines,
      `Max-Forwards: ${int(0, 70)}`,
      `${name('From', 'f')}: ${fold(nameAddr(sipUri(caller), `;tag=${token(int(1, 20))}`))}`,
      `${name('To', 't')}: ${fold(nameAddr(sipUri(called), chance(0.2) ? `;tag=${token(8)}` : ''))}`,
      `${name('Call-ID', 'i')}: ${token(int(8, 24))}@${host()}`,
      `${name('CSeq')}: ${'0'.repeat(int(0, 2))}${int(1, 2 ** 31 - 1)} INVITE`,
      ...pai,
      ...(chance(0.5) ? [`Identity: ${token(40)}.${token(60)}.${token(40)};info=<https://cert.example.org/${token(6)}.pem>;alg=ES256;ppt=shaken`] : []),
      ...(chance(0.3) ? [`Subject: ${token(5)}\r\n ${token(5)}`] : []),
      `${name('Contact', 'm')}: <sip:${caller}@${host()}>`,
      `${name('Content-Length', 'l')}: ${sdp.length}`,
    ];
    const order = chance(0.5) ? headers : [...headers].sort(() => rand() - 0.5);
    return `INVITE sip:${called}@${host()};user=phone SIP/2.0\r\n${order.join('\r\n')}\r\n\r\n${sdp}`;
  };
}
