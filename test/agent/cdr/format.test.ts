import { describe, expect, it } from 'vitest';
import { CdrLineError } from '../../../agent/cdr/format.js';

describe('CdrLineError', () => {
  it('carries file, line and reason, and keeps only the start of a long raw line', () => {
    const raw = 'STOP,' + 'x'.repeat(2000);
    const e = new CdrLineError('/var/log/sonus/sbx/evlog/1000001.ACT', 42, 'field 6 (start date): "99/99/2025" is not mm/dd/yyyy', raw);
    expect(e.message).toBe('/var/log/sonus/sbx/evlog/1000001.ACT:42: field 6 (start date): "99/99/2025" is not mm/dd/yyyy');
    expect(e.text).toBe(raw.slice(0, 200) + '…');
    expect(new CdrLineError('f', 1, 'r', 'short').text).toBe('short');
  });
});
