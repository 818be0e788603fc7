/**
 * The bytes of a CDR file, in chunks: a plain file from a byte offset up to a size seen by stat (what is
 * written after that is read on the next pass), or a .gz file's content from its start (node:zlib; every gzip
 * member, as `cat a.gz b.gz` makes).
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Each chunk is valid until the next one is asked for. Two buffers serve the whole read: the next chunk is read
 * into one while the reader works on the other (reading a file's backlog, the tailer waited ~10% of its time
 * for reads it could have had ready).
 */
export async function* fileChunks(handle: FileHandle, from: number, to: number, chunkBytes: number): AsyncGenerator<Buffer> {
  const size = Math.max(0, Math.min(chunkBytes, to - from));
  const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  let position = from;
  const readInto = (buffer: Buffer): Promise<Buffer> => {
    const read = handle.read(buffer, 0, Math.min(buffer.length, to - position), position).then(({ bytesRead }) => {
      position += bytesRead;
      return buffer.subarray(0, bytesRead);
    });
    // Handled here as well as where it is awaited: the reader may be waiting for the index (the store down)
    // when a read ahead fails, and the failure must reach it, not end the process as an unhandled rejection.
    read.catch(() => undefined);
    return read;
  };
  let next = position < to && size > 0 ? readInto(buffers[0] as Buffer) : undefined;
  try {
    for (let k = 1; next !== undefined; k ^= 1) {
      const chunk = await next;
      // Nothing read: the file shrank since stat, and the next pass sees the truncation. A short read goes on.
      next = chunk.length > 0 && position < to ? readInto(buffers[k] as Buffer) : undefined;
      if (chunk.length > 0) yield chunk;
    }
  } finally {
    // Left early: the read ahead must not land in a buffer nobody owns.
    await next?.catch(() => undefined);
  }
}

/** A .gz that does not decompress: still being written (cut short), or corrupt. */
export class GzipError extends Error {
  override readonly name = 'GzipError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

export async function* gunzipChunks(handle: FileHandle, file: string, chunkBytes: number): AsyncGenerator<Buffer> {
  // Read through the handle (the tailer's: a file stream would close it), decompressed as it comes. The
  // stream may hold a chunk after asking for the next: each gets its own copy.
  const { size } = await handle.stat();
  const source = Readable.from(copies(fileChunks(handle, 0, size, chunkBytes)));
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    throw new GzipError(file, (err as Error).message);
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}

/**
 * The first `bytes` of the content (fewer if it is shorter), and the whole content, read once. It keeps the first
 * chunks while asking for more: they must be the caller's to keep (gunzip's are; fileChunks' are not).
 */
export async function withStart(chunks: AsyncIterable<Buffer>, bytes: number): Promise<{ start: Buffer; content: AsyncIterable<Buffer> }> {
  const it = chunks[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes && !ended) {
    const next = await it.next();
    if (next.done) ended = true;
    else {
      first.push(next.value);
      length += next.value.length;
    }
  }
  const whole = Buffer.concat(first);
  const content = (async function* () {
    yield whole;
    if (!ended) yield* { [Symbol.asyncIterator]: () => it };
  })();
  return { start: whole.subarray(0, bytes), content };
}

/** The chunks after the first `bytes` bytes. */
export async function* skipBytes(chunks: AsyncIterable<Buffer>, bytes: number): AsyncGenerator<Buffer> {
  let left = bytes;
  for await (const chunk of chunks) {
    if (left >= chunk.length) left -= chunk.length;
    else {
      yield left === 0 ? chunk : chunk.subarray(left);
      left = 0;
    }
  }
}

async function* copies(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) yield Buffer.from(chunk);
}
