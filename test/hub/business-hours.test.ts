import { describe, expect, it } from 'vitest';
import { businessDeadline, businessReceipt } from '../../hub/business-hours.js';

const at = (iso: string) => Date.parse(iso);

describe('business-hours rule for manual hops', () => {
  it.each([
    // [what, zone, sent (UTC), counts as received (UTC)]
    ['a Wednesday morning in New York is inside business hours', 'America/New_York', '2026-11-25T15:00:00Z', '2026-11-25T15:00:00Z'],
    ['07:59 on a weekday waits for 08:00 the same day', 'America/New_York', '2026-11-25T12:59:00Z', '2026-11-25T13:00:00Z'],
    ['08:00 sharp is inside', 'America/New_York', '2026-11-25T13:00:00Z', '2026-11-25T13:00:00Z'],
    ['16:59:59 is inside', 'America/New_York', '2026-11-25T21:59:59Z', '2026-11-25T21:59:59Z'],
    ['17:00 sharp is after hours: next business day 08:00', 'America/New_York', '2026-11-25T22:00:00Z', '2026-11-26T13:00:00Z'],
    ['Friday 18:00 counts as Monday 08:00', 'America/New_York', '2026-11-27T23:00:00Z', '2026-11-30T13:00:00Z'],
    ['Saturday noon counts as Monday 08:00', 'America/New_York', '2026-11-28T17:00:00Z', '2026-11-30T13:00:00Z'],
    ['Sunday 23:59 counts as Monday 08:00', 'America/New_York', '2026-11-30T04:59:00Z', '2026-11-30T13:00:00Z'],
    ['a Friday night before spring-forward lands on Monday 08:00 EDT', 'America/New_York', '2026-03-07T01:00:00Z', '2026-03-09T12:00:00Z'],
    ['a Friday evening before fall-back lands on Monday 08:00 EST', 'America/New_York', '2026-10-30T22:00:00Z', '2026-11-02T13:00:00Z'],
    ['early Tuesday in Los Angeles waits for 08:00 PST', 'America/Los_Angeles', '2026-11-24T14:00:00Z', '2026-11-24T16:00:00Z'],
    ['a half-hour zone: 07:00 IST waits for 08:00 IST', 'Asia/Kolkata', '2026-11-23T01:30:00Z', '2026-11-23T02:30:00Z'],
    ['the same instant is Friday night in New York but Saturday in Tokyo', 'Asia/Tokyo', '2026-11-27T23:00:00Z', '2026-11-29T23:00:00Z'],
  ])('%s', (_what, zone, sent, received) => {
    expect(new Date(businessReceipt(at(sent), zone)).toISOString()).toBe(new Date(at(received)).toISOString());
  });

  it('runs the deadline from the receipt', () => {
    expect(businessDeadline(at('2026-11-27T23:00:00Z'), 24 * 3_600_000, 'America/New_York')).toBe(at('2026-12-01T13:00:00Z'));
    expect(businessDeadline(at('2026-11-25T15:00:00Z'), 3_600_000, 'America/New_York')).toBe(at('2026-11-25T16:00:00Z'));
  });
});
