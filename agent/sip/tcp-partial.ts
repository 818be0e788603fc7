/**
 * The start of a SIP message that has not fully arrived on a TCP connection, kept as the chunks that brought it.
 * Joining everything received so far on each read and searching it all again would make a peer that drips one
 * byte per read cost quadratic CPU (a 64 KiB message: 65,536 reads, each copying and searching up to 64 KiB).
 * Here each read is searched only for the header end, and only in its own bytes plus the 3 before it (a CRLFCRLF
 * may straddle reads); the chunks are joined once when the header section is complete, and once more when a
 * body known to be missing has arrived.
 */
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);

export class PartialMessage {
  /** Bytes examined by header-end searches so far: linear in the bytes received (tests hold it to that). */
  scanned: number;
  private chunks: Buffer[];
  private held: number;
  /** The last (up to) 3 bytes received, for a header end split across reads. */
  private tail: Buffer;
  private headerComplete = false;

  /**
   * `start` has been framed already: either its header end was searched for in all of it and not found, or
   * (with `end`) its header section is complete and the message ends at `end`, past what has arrived.
   */
  constructor(start: Buffer, private readonly end?: number) {
    this.chunks = [start];
    this.held = start.length;
    this.scanned = end === undefined ? start.length : 0;
    this.tail = start.subarray(-3);
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.held += chunk.length;
    if (this.end !== undefined || this.headerComplete) return;
    const across = Buffer.concat([this.tail, chunk.subarray(0, 3)]);
    this.scanned += across.length + chunk.length;
    this.headerComplete = across.includes(HEADER_END) || chunk.includes(HEADER_END);
    this.tail = chunk.length >= 3 ? chunk.subarray(-3) : Buffer.concat([this.tail, chunk]).subarray(-3);
  }

  /**
   * Whether framing the bytes held can tell more than the last time: the header section is complete, the
   * message's known end has arrived, or the bytes held already exceed the size cap (an oversize fault).
   */
  ready(maxBytes: number): boolean {
    if (this.end !== undefined) return this.held >= this.end;
    return this.headerComplete || this.held > maxBytes;
  }

  /** The bytes held, as one Buffer. */
  join(): Buffer {
    const joined = this.chunks.length === 1 ? (this.chunks[0] ?? EMPTY) : Buffer.concat(this.chunks, this.held);
    this.chunks = [joined];
    return joined;
  }
}
