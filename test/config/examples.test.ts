import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatEffective, loadAgentConfig, loadHubConfig, loadIngressFile, loadProvidersFile, redact } from '../../config/load.js';
import { scratchDir } from './tmp.js';

const examples = join(import.meta.dirname, '../../config/examples');
const example = (name: string) => join(examples, name);
const scratch = scratchDir();

describe('example configuration files', () => {
  it('agent.yaml loads with no warnings, every section set from the file', () => {
    const { config, warnings, sources } = loadAgentConfig({ file: example('agent.yaml'), env: {} });
    expect(warnings).toEqual([]);
    expect(config.provider).toBe('lakeshore-tel');
    expect(config.sip.listen).toEqual([
      { transport: 'udp', host: '0.0.0.0', port: 5070 },
      { transport: 'tcp', host: '0.0.0.0', port: 5070 },
    ]);
    expect(config.cdr.map((c) => c.format)).toEqual(['ribbon', 'asterisk-custom']);
    expect(config.dno.actions.unassigned).toBe('monitor');
    expect(Object.values(sources).every((s) => s === 'file')).toBe(true);
  });

  it('agent.yaml names ingress.yaml relative to itself', () => {
    const { config } = loadAgentConfig({ file: example('agent.yaml'), env: {}, cwd: '/' });
    expect(config.ingress.file).toBe(example('ingress.yaml'));
  });

  it('ingress.yaml loads as rules with exactly one match and one target each', () => {
    const rules = loadIngressFile(example('ingress.yaml'));
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(Object.keys(rule.match)).toHaveLength(1);
      expect(Object.keys(rule.target)).toHaveLength(1);
    }
    expect(rules.map((r) => r.match)).toContainEqual({ cidr: '2001:db8:4400::/40' });
  });

  it('hub.yaml loads, and with it the providers file it names', () => {
    const { config, warnings } = loadHubConfig({ file: example('hub.yaml'), env: {} });
    expect(warnings).toEqual([]);
    expect(config.providersFile).toBe(example('providers.yaml'));
    expect(config.http.listen).toEqual({ host: '0.0.0.0', port: 8080 });
  });

  it('providers.yaml loads with the providers API defaults applied', () => {
    const providers = loadProvidersFile(example('providers.yaml'));
    const ids = providers.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const manual = providers.find((p) => p.reach === 'manual' && !p.foreign);
    expect(manual?.country).toBe('US');
    expect(manual?.keys).toEqual([]);
  });

  it.each([
    ['agent.yaml', loadAgentConfig],
    ['hub.yaml', loadHubConfig],
  ] as const)('the effective config printed for %s loads again to the same settings, secrets masked', (name, load) => {
    const original = load({ file: example(name), env: {} }).config;
    const printed = scratch.write(`effective-${name}`, formatEffective(original));
    expect(load({ file: printed, env: {} }).config).toEqual(redact(original));
  });

  it('a JSON config file loads like its YAML form', () => {
    const original = loadHubConfig({ file: example('hub.yaml'), env: {} }).config;
    const asJson = JSON.stringify(parse(formatEffective(original)));
    const fromJson = loadHubConfig({ file: scratch.write('hub.json', asJson), env: {} }).config;
    expect(fromJson).toEqual(redact(original));
  });
});
