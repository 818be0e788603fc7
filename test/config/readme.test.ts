import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withReference } from '../../config/reference.js';

describe('the README configuration reference', () => {
  it('is exactly what the schemas generate (run `npm run docs` after changing a schema)', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toBe(withReference(readme));
  });
});
