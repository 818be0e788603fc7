/**
 * The business-hours rule for manual hops (the industry traceback group's practice): a request that reaches a
 * provider outside business hours — 08:00 to 17:00 local time, Monday to Friday — counts as received at 08:00
 * on the next business day, and the person's deadline runs from then. Pure: times in, times out; the zone's
 * offsets (daylight saving included) come from the IANA database built into Intl.
 */

import { wallClock, zoneOffset } from '../proto/wall-clock.js';

export const OPENS_HOUR = 8;
export const CLOSES_HOUR = 17;

/** When a request sent at `sentAt` counts as received by a person working in `zone`. */
export function businessReceipt(sentAt: number, zone: string): number {
  const t = wallClock(sentAt, zone);
  const isBusinessDay = t.weekday >= 1 && t.weekday <= 5;
  if (isBusinessDay && t.hour >= OPENS_HOUR && t.hour < CLOSES_HOUR) return sentAt;
  // Before opening on a business day: that day's opening; otherwise the next business day's.
  let day = Date.UTC(t.year, t.month - 1, t.day);
  if (!isBusinessDay || t.hour >= CLOSES_HOUR) {
    do day += 86_400_000;
    while ([0, 6].includes(new Date(day).getUTCDay()));
  }
  const d = new Date(day);
  return zonedInstant(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), OPENS_HOUR, zone);
}

/** The deadline of a manual hop sent at `sentAt`, counting `ms` from its receipt under the rule. */
export function businessDeadline(sentAt: number, ms: number, zone: string): number {
  return businessReceipt(sentAt, zone) + ms;
}

/** The instant at which the wall clock in `zone` shows the given date at `hour`:00. */
function zonedInstant(year: number, month: number, day: number, hour: number, zone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour);
  // Two passes: the offset at the first guess may differ from the offset at the answer across a DST change.
  let at = wall - zoneOffset(wall, zone);
  at = wall - zoneOffset(at, zone);
  return at;
}
