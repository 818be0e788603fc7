import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatEffective, loadAgentConfig, loadHubConfig, redact } from '../../config/load.js';

describe('redaction', () => {
  it('masks secrets by name and passwords in URLs, and leaves the original alone', () => {
    const config = {
      drachtio: { host: '127.0.0.1', secret: 'cymru' },
      redis: { url: 'redis://:hunter2@10.0.0.5:6379/0' },
      hub: { url: 'https://agent:s3cret@hub.example.net/api' },
      cdr: [{ options: { sftpPassword: 'pw', apiToken: 'tok', user: 'cdr' } }],
      tokens: { file: '/etc/hoptrace/tokens.yaml' },
      plain: 'redis://10.0.0.5:6379',
    };
    const original = structuredClone(config);
    expect(redact(config)).toEqual({
      drachtio: { host: '127.0.0.1', secret: '***' },
      redis: { url: 'redis://:***@10.0.0.5:6379/0' },
      hub: { url: 'https://agent:***@hub.example.net/api' },
      cdr: [{ options: { sftpPassword: '***', apiToken: '***', user: 'cdr' } }],
      tokens: { file: '/etc/hoptrace/tokens.yaml' },
      plain: 'redis://10.0.0.5:6379',
    });
    expect(config).toEqual(original);
  });
});

describe('formatEffective', () => {
  const { config, sources } = loadAgentConfig({
    env: { HOPTRACE_REDIS_URL: 'redis://user:hunter2@127.0.0.1:6380', HOPTRACE_DRACHTIO: '{"host":"127.0.0.1","secret":"cymru"}' },
    flags: ['--provider', 'acme', '--sip', 'udp:[::]:5060', '--hep', 'udp:0.0.0.0:9060'],
  });
  const text = formatEffective(config, sources);

  it('never prints a secret', () => {
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('cymru');
    expect(parse(text)).toMatchObject({ redis: { url: 'redis://user:***@127.0.0.1:6380' }, drachtio: { secret: '***' } });
  });

  it('prints listen addresses as they are written in a file', () => {
    expect(parse(text)).toMatchObject({ sip: { listen: ['udp:[::]:5060'] }, hep: { listen: 'udp:0.0.0.0:9060' }, http: { listen: '127.0.0.1:9091' } });
  });

  it('says where each non-default value came from', () => {
    expect(text).toMatch(/^provider: acme # flag$/m);
    expect(text).toMatch(/^ {2}url: redis:\/\/user:\*\*\*@127\.0\.0\.1:6380 # env$/m);
    expect(text).toMatch(/^ {2}# flag\n {2}listen:\n {4}- udp:\[::\]:5060$/m);
    expect(text).toMatch(/^ {4}code: 603$/m);
  });

  it('without sources it is plain YAML of the settings', () => {
    const hub = loadHubConfig({ env: {} }).config;
    expect(formatEffective(hub)).not.toContain('#');
    expect(parse(formatEffective(hub))).toEqual({ ...hub, http: { listen: '127.0.0.1:8080' } });
  });
});
