import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeClock, describeRelative, describeSpan, describeWhen, intlMomentParts, localDay } from './when.js';

const now = new Date('2026-12-06T14:17:00Z');

test('a moment today is a clock time and how long ago', () => {
  assert.equal(describeWhen('2026-12-06T14:05:00Z', now, 'UTC'), '14:05 (12 min ago)');
});

test('a moment to come says "in"', () => {
  assert.equal(describeWhen(new Date('2026-12-06T17:17:00Z'), now, 'UTC'), '17:17 (in 3 h)');
});

test('another day shows the date, another year the year', () => {
  assert.equal(describeWhen('2026-12-04T09:30:00Z', now, 'UTC'), 'Dec 4 09:30 (2.2 days ago)');
  assert.equal(describeWhen('2025-12-06T14:17:00Z', now, 'UTC'), 'Dec 6 2025 14:17 (365 days ago)');
});

test('the day is the local one', () => {
  // 23:30 UTC on the 5th is already the 6th in Tokyo.
  assert.equal(describeWhen('2026-12-05T23:30:00Z', now, 'Asia/Tokyo'), '08:30 (14.8 h ago)');
});

test('seconds and "just now"', () => {
  assert.equal(describeRelative(new Date('2026-12-06T14:16:58Z'), now), 'just now');
  assert.equal(describeRelative(new Date('2026-12-06T14:16:20Z'), now), '40 s ago');
});

test('an unreadable time is shown as it is', () => {
  assert.equal(describeWhen('yesterday', now, 'UTC'), 'yesterday');
});

test('in the machine\'s own zone, the moment reads as Intl spells it (no Intl is loaded for it)', () => {
  const zoneBefore = process.env.TZ;
  try {
    for (const zone of ['UTC', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham', 'Europe/London']) {
      // Node reads TZ again when it changes: the local getters then answer in this zone.
      process.env.TZ = zone;
      for (const at of ['2026-12-06T00:00:00Z', '2026-03-29T00:59:00Z', '2026-03-29T01:30:00Z', '2026-11-01T05:30:00Z', '2025-01-01T23:59:00Z', '2026-07-15T12:05:00Z', '1999-12-31T18:30:00Z']) {
        const date = new Date(at);
        assert.equal(describeClock(date, now), describeClock(date, now, zone), `${at} in ${zone}`);
        assert.equal(localDay(date), localDay(date, zone), `${at} in ${zone}`);
        assert.deepEqual(intlMomentParts(date), intlMomentParts(date, zone), `${at} in ${zone}`);
      }
    }
  } finally {
    if (zoneBefore === undefined) delete process.env.TZ;
    else process.env.TZ = zoneBefore;
  }
});

test('a span just under an hour that rounds to 60 minutes is said as 1 h, as a moment later it would be', () => {
  assert.equal(describeSpan(3599.7), '1 h');
  assert.equal(describeSpan(3580), '1 h');
  assert.equal(describeSpan(3500), '58 min');
  assert.equal(describeSpan(3600), '1 h');
});
