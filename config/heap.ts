/**
 * After a full DNO sync or snapshot rebuild the old generation holds tens of MB of dead list entries
 * (measured: 45 MB of the syncing agent's 204 MB RSS at 3 M numbers) that an idle process never collects, since
 * V8 starts a major GC only when the heap grows. Where node runs with `--expose-gc` (the Docker image does),
 * collections right after such a rare, bulky step give that memory back; elsewhere this does nothing.
 *
 * Two collections, not one: the first frees the dead entries but leaves the pages where they lay interleaved
 * with live objects mostly empty and still committed (measured: the syncing agent's old generation stayed at
 * 40 MB committed for 21 MB live); V8 picks the pages to evacuate from the live bytes a previous marking
 * counted, so the second compacts them and hands the emptied pages back.
 */
export function releaseGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc();
  return true;
}
