/**
 * Tells a tailer when to look at its directory again: at once on a filesystem event (fs.watch, inotify on
 * Linux), and every `pollMs` regardless, because events are not delivered on every filesystem (NFS, some
 * container mounts) and a watch can fail or die. A watch that fails is armed again at the next poll.
 */
import { watch, type FSWatcher } from 'node:fs';

export interface DirWatchOptions {
  pollMs: number;
  /** Events come in bursts (one per write): one look per `eventDelayMs` is enough. */
  eventDelayMs: number;
}

export class DirWatch {
  private watcher: FSWatcher | undefined;
  private readonly poller: NodeJS.Timeout;
  private soon: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly onChange: () => void,
    private readonly o: DirWatchOptions,
  ) {
    this.arm();
    this.poller = setInterval(() => {
      this.arm();
      onChange();
    }, o.pollMs);
  }

  /** Whether filesystem events are arriving (else only polling finds changes). */
  get watching(): boolean {
    return this.watcher !== undefined;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poller);
    clearTimeout(this.soon);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private arm(): void {
    if (this.watcher || this.closed) return;
    try {
      const watcher = watch(this.dir, { persistent: false }, () => {
        this.soon ??= setTimeout(() => {
          this.soon = undefined;
          this.onChange();
        }, this.o.eventDelayMs);
      });
      watcher.on('error', () => {
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
      });
      this.watcher = watcher;
    } catch {
      // No such directory yet, or no watch support here: polling covers it.
    }
  }
}
