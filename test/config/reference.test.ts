import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AgentConfig } from '../../config/agent.js';
import { HubConfig } from '../../config/hub.js';
import { loadAgentConfig, loadHubConfig } from '../../config/load.js';
import { configReference, referenceRows } from '../../config/reference.js';

const examples = join(import.meta.dirname, '../../config/examples');

/** Every key path in a settings file as written, list items as `[]`: what a reader must find documented. */
function writtenPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => writtenPaths(item, `${prefix}[]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...writtenPaths(child, path)];
  });
}

describe('the generated configuration reference', () => {
  it.each([
    ['agent.yaml', AgentConfig],
    ['hub.yaml', HubConfig],
  ] as const)('documents every setting %s uses', (name, schema) => {
    const documented = new Set(referenceRows(schema).map((r) => r.path));
    const used = writtenPaths(parse(readFileSync(join(examples, name), 'utf8'))).filter((p) => !p.startsWith('cdr[].options.'));
    expect(used.filter((p) => !documented.has(p))).toEqual([]);
  });

  it.each([
    ['agent', AgentConfig, () => loadAgentConfig({ file: join(examples, 'agent.yaml'), env: {} })],
    ['hub', HubConfig, () => loadHubConfig({ file: join(examples, 'hub.yaml'), env: {} })],
  ] as const)('documents every setting the %s loader reports a source for', (_name, schema, load) => {
    const documented = new Set(referenceRows(schema).map((r) => r.path));
    expect(Object.keys(load().sources).filter((p) => !documented.has(p))).toEqual([]);
  });

  it('documents every ingress rule field the example map uses', () => {
    const documented = new Set(referenceRows(AgentConfig).map((r) => r.path));
    const used = writtenPaths(parse(readFileSync(join(examples, 'ingress.yaml'), 'utf8'))).map((p) => `ingress.map${p}`);
    expect(used.filter((p) => !documented.has(p))).toEqual([]);
  });

  it.each([
    ['agent', AgentConfig],
    ['hub', HubConfig],
  ] as const)('gives every %s field a type and a description', (_name, schema) => {
    const rows = referenceRows(schema);
    expect(rows.filter((r) => r.type === '' || r.type === 'any' || r.description === '')).toEqual([]);
  });

  it('shows defaults as a file writes them, and which settings are required', () => {
    const byPath = new Map(referenceRows(AgentConfig).map((r) => [r.path, r]));
    expect(byPath.get('http.listen')).toMatchObject({ type: 'HOST:PORT', default: '127.0.0.1:9091' });
    expect(byPath.get('sip.block.code')).toMatchObject({ type: '603 | 608', default: '603' });
    expect(byPath.get('sip.emergency')?.default).toBe('["911","112"]');
    expect(byPath.get('provider')?.default).toBe('required');
    expect(byPath.get('hub.url')).toMatchObject({ type: 'URL', default: '' });
    expect(byPath.get('ingress.map[].match.cidr')?.type).toBe('CIDR');
    expect(byPath.get('cdr[].zone')).toMatchObject({ type: 'IANA zone', default: 'UTC' });
  });

  it('renders a markdown table with one row per field, pipes escaped', () => {
    const table = configReference(HubConfig);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toBe('| path | type | default | description |');
    expect(lines).toHaveLength(2 + referenceRows(HubConfig).length);
    expect(table).toContain('| `log.level` | fatal \\| error \\| warn \\| info \\| debug \\| trace \\| silent | `info` |');
  });
});
