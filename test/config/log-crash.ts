/** A program that logs through config/log.ts and then dies of an uncaught exception (test/config/log.test.ts). */
import { createLogger } from '../../config/log.js';

const log = createLogger('crash-test');
for (let i = 0; i < 3; i++) log.info({ i }, 'line before the crash');
setTimeout(() => {
  throw new Error('deliberate crash');
}, 10);
