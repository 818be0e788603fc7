import { MemoryNotifyStore } from '../../../hub/notify/memory-store.js';
import { notifyStoreContract } from './store-contract.js';

// One process holds the memory store: both "instances" are the same object.
notifyStoreContract('memory', async () => {
  const store = new MemoryNotifyStore();
  return [store, store];
});
