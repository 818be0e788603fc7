/**
 * Reads a file's content, as it comes in chunks, unit by unit (segment.ts) into the batcher: records with the
 * position after them, line errors to the tailer. What follows the last complete unit waits for the next pass,
 * unless the file is finished. A unit longer than `maxUnitBytes` (no end of line in megabytes: not a CDR) is
 * skipped as a line error, so that one bad file cannot hold the reader's memory.
 */
import type { CallRecord } from '../calls/record.js';
import type { Batcher } from './batcher.js';
import { CdrLineError, type CdrContext, type CdrFormat } from './format.js';
import type { Followed, Mark } from './followed.js';
import type { SourceMetrics } from './metrics.js';
import type { SourceRules } from './rules.js';
import { countLf, parseSegment, unitEnd } from './segment.js';

export interface UnitReaderOptions {
  format: CdrFormat;
  zone: string;
  /** The configured options object, the same for every line (formats parse it once: options.ts). */
  options: Record<string, unknown>;
  rules?: SourceRules | undefined;
  batcher: Batcher<Followed, Mark>;
  metrics: SourceMetrics | undefined;
  maxUnitBytes: number;
  reject(f: Followed, e: CdrLineError): void;
  path(f: Followed): string;
  /** Reading stops at the next chunk when this aborts. */
  stopped: AbortSignal;
}

const EMPTY = Buffer.alloc(0);

export class UnitReader {
  constructor(private readonly o: UnitReaderOptions) {}

  /**
   * Reads `chunks` (the content after `f.read`; each valid until the next is asked for); with `finish`, the bytes
   * after the last unit are one too. False when stopped.
   */
  async read(f: Followed, chunks: AsyncIterable<Buffer>, finish: boolean): Promise<boolean> {
    const { format, maxUnitBytes } = this.o;
    let carry = EMPTY;
    let skipping = false;
    for await (const chunk of chunks) {
      let rest = chunk;
      if (skipping || carry.length > 0) {
        // The unit begun in an earlier chunk ends in this one (or not yet): only that unit is copied together.
        const first = unitEnd(format, rest, 'first');
        const head = rest.subarray(0, first || rest.length);
        rest = rest.subarray(head.length);
        if (skipping) {
          this.skip(f, head);
          skipping = first === 0;
        } else {
          const joined = Buffer.concat([carry, head]);
          // An end tag may be cut in two by the chunks: then it ends in the joined bytes, not in this chunk.
          const end = first > 0 ? joined.length : unitEnd(format, joined);
          if (end > 0) this.emit(f, joined.subarray(0, end));
          carry = joined.subarray(end);
        }
      }
      const end = unitEnd(format, rest);
      if (end > 0) this.emit(f, rest.subarray(0, end));
      // What is kept must be a copy: the chunk's memory is read into again.
      if (end < rest.length) carry = Buffer.from(rest.subarray(end));
      if (carry.length > maxUnitBytes) {
        const text = carry.subarray(0, 200).toString('latin1');
        this.o.reject(f, new CdrLineError(this.o.path(f), f.read.line, `longer than ${maxUnitBytes} bytes without an end: skipped`, text));
        this.skip(f, carry);
        carry = EMPTY;
        skipping = true;
      }
      await this.o.batcher.room();
      if (this.o.stopped.aborted) return false;
    }
    if (finish && carry.length > 0 && !skipping) this.emit(f, carry);
    return true;
  }

  private emit(f: Followed, bytes: Buffer): void {
    const file = this.o.path(f);
    const ctx: CdrContext = { file, zone: this.o.zone, options: this.o.options, rules: this.o.rules };
    const segment = parseSegment(this.o.format, ctx, bytes, f.read.line);
    const start = f.read.offset;
    for (let i = 0; i < segment.records.length; i++) {
      (segment.records[i] as CallRecord).evidence = { file, offset: start + (segment.offsets[i] as number), fileKey: f.key };
    }
    f.read = { offset: start + bytes.length, line: segment.nextLine };
    this.o.metrics?.read(segment.records.length);
    for (const e of segment.errors) this.o.reject(f, e);
    this.o.batcher.push(f, file, segment.records, segment.lines, { ...f.read });
  }

  private skip(f: Followed, bytes: Buffer): void {
    f.read = { offset: f.read.offset + bytes.length, line: f.read.line + countLf(bytes) };
    this.o.batcher.push(f, this.o.path(f), [], [], { ...f.read });
  }
}
