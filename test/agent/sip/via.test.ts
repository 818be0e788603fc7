import { describe, expect, it } from 'vitest';
import { parseVia, parseViaList } from '../../../agent/sip/via.js';

const fields = (s: string) => {
  const v = parseVia(s);
  return v && { transport: v.transport, host: v.host, port: v.port, branch: v.branch, params: Object.fromEntries(v.params) };
};

describe('parseVia', () => {
  it.each([
    ['SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1;rport', { transport: 'UDP', host: '198.51.100.7', port: 5060, branch: 'z9hG4bK-1', params: { branch: 'z9hG4bK-1', rport: null } }],
    ['SIP/2.0/udp host.example.com;Branch=z9hG4bK-2;RECEIVED=192.0.2.1;rport=5070', { transport: 'UDP', host: 'host.example.com', port: undefined, branch: 'z9hG4bK-2', params: { branch: 'z9hG4bK-2', received: '192.0.2.1', rport: '5070' } }],
    ['SIP / 2.0 / TCP   [2001:db8::9] : 5061 ; branch = z9hG4bK-3', { transport: 'TCP', host: '[2001:db8::9]', port: 5061, branch: 'z9hG4bK-3', params: { branch: 'z9hG4bK-3' } }],
    ['SIP/2.0/WSS edge.example.com;branch=z9hG4bK-4;alias;;', { transport: 'WSS', host: 'edge.example.com', port: undefined, branch: 'z9hG4bK-4', params: { branch: 'z9hG4bK-4', alias: null } }],
    ['SIP/2.0/UDP iftgw.example.com', { transport: 'UDP', host: 'iftgw.example.com', port: undefined, branch: undefined, params: {} }],
    ['SIP/2.0/UDP 192.0.2.1;branch=', { transport: 'UDP', host: '192.0.2.1', port: undefined, branch: undefined, params: { branch: '' } }],
  ])('parses %j', (s, expected) => {
    expect(fields(s)).toEqual(expected);
    expect(parseVia(s)?.raw).toBe(s);
  });

  it.each([
    ['no transport', 'SIP/2.0 host.example.com'],
    ['no sent-by', 'SIP/2.0/UDP'],
    ['no space before the sent-by', 'SIP/2.0/UDPhost.example.com'],
    ['a port out of range', 'SIP/2.0/UDP host.example.com:70000'],
    ['text where parameters belong', 'SIP/2.0/UDP host.example.com junk'],
    ['a lone semicolon', ';'],
    ['nothing', ''],
  ])('rejects a value with %s', (_, s) => {
    expect(parseVia(s)).toBeUndefined();
  });
});

describe('parseViaList', () => {
  it('splits joined values and keeps the order across lines', () => {
    const list = parseViaList(['SIP/2.0/UDP a.example.com;branch=z9hG4bK-a, SIP/2.0/TCP b.example.com;branch=z9hG4bK-b', 'SIP/2.0/TLS c.example.com']);
    expect(list.map((v) => v.host)).toEqual(['a.example.com', 'b.example.com', 'c.example.com']);
  });

  it('gives [] when any value is malformed, or there is none', () => {
    expect(parseViaList(['SIP/2.0/UDP 192.0.2.15;;,;,,'])).toEqual([]);
    expect(parseViaList(['SIP/2.0/UDP a.example.com', 'garbage'])).toEqual([]);
    expect(parseViaList(undefined)).toEqual([]);
  });
});
