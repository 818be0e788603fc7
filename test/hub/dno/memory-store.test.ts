import { describe } from 'vitest';
import { MemoryDnoListStore } from '../../../hub/dno/memory-store.js';
import { storeContract } from './store-contract.js';

describe('MemoryDnoListStore', () => {
  storeContract(async () => new MemoryDnoListStore());
});
