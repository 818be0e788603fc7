import { describe } from 'vitest';
import { MemoryDnoCache } from '../../../agent/dno/memory-cache.js';
import { cacheContract } from './cache-contract.js';

describe('MemoryDnoCache', () => {
  cacheContract(async () => new MemoryDnoCache());
});
