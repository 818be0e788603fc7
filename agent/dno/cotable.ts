/**
 * Which NANP central-office codes (NPA-NXX) are assigned to a carrier, from NANPA's CO-code report
 * (cdr-formats.md §5 "Allocation data"). A bitset of the 10^6 NPA-NXX codes (125 KB) answers "unallocated?"
 * with two array reads.
 *
 * Coverage: an NPA with no row at all in the report is *unknown*, never unallocated. NANPA's `allutlzd.txt`
 * lists US codes only, while +1 also serves Canada and the Caribbean (domain.md §2.4), and 8YY toll-free
 * codes are Somos data: treating an absent NPA as unallocated would block whole countries.
 */
const CODES = 1_000_000;

export class CoTable {
  private readonly assigned = new Uint8Array(CODES / 8);
  private readonly covered = new Uint8Array(1000);
  /** Number of assigned NPA-NXX codes. */
  readonly size: number;

  /** `codes` are assigned NPA-NXX as NPA * 1000 + NXX; `npas` are the NPAs the report covers. */
  constructor(codes: Iterable<number>, npas: Iterable<number>) {
    let size = 0;
    for (const code of codes) {
      const byte = code >>> 3;
      const bit = 1 << (code & 7);
      if ((this.assigned[byte]! & bit) === 0) size++;
      this.assigned[byte]! |= bit;
      this.covered[Math.floor(code / 1000)] = 1;
    }
    for (const npa of npas) this.covered[npa] = 1;
    this.size = size;
  }

  /** True only when the report covers `npa` and does not assign `nxx` in it. */
  isUnallocated(npa: number, nxx: number): boolean {
    if (this.covered[npa] !== 1) return false;
    const code = npa * 1000 + nxx;
    return (this.assigned[code >>> 3]! & (1 << (code & 7))) === 0;
  }
}
