import { describe, expect, it } from 'vitest';
import { markers, pivot } from './MetricsCharts';

describe('pivot', () => {
  it('puts one column per version on each minute', () => {
    const series = [
      { t: '2026-01-01T10:00:00+00:00', version: 1, requests: 60, rps: 1, error_rate: 0, p50_ms: 2, p99_ms: 5 },
      { t: '2026-01-01T10:00:00+00:00', version: 2, requests: 6, rps: 0.1, error_rate: 0.5, p50_ms: 3, p99_ms: 9 },
      { t: '2026-01-01T10:01:00+00:00', version: 1, requests: 120, rps: 2, error_rate: 0, p50_ms: 2, p99_ms: 4 },
    ];
    const { rows, versions } = pivot(series, 'p99_ms');
    expect(versions).toEqual([1, 2]);
    expect(rows).toHaveLength(2);
    expect(rows[0]?.v1).toBe(5);
    expect(rows[0]?.v2).toBe(9);
    expect(rows[1]?.v2).toBeUndefined();
  });
});

describe('pivot with a scale', () => {
  it('turns an error fraction into percent and keeps missing latencies empty', () => {
    const series = [{ t: '2026-01-01T10:00:00+00:00', version: 1, requests: 60, rps: 1, error_rate: 0.025, p50_ms: null, p99_ms: null }];
    expect(pivot(series, 'error_rate', 100).rows[0]?.v1).toBe(2.5);
    expect(pivot(series, 'p99_ms', 1).rows[0]?.v1).toBeNull();
  });
});

describe('markers', () => {
  const series = [
    { t: '2026-01-01T10:00:00+00:00', version: 1, requests: 60, rps: 1, error_rate: 0, p50_ms: 2, p99_ms: 5 },
    { t: '2026-01-01T10:05:00+00:00', version: 1, requests: 60, rps: 1, error_rate: 0, p50_ms: 2, p99_ms: 5 },
  ];
  const event = (kind: string, created_at: string) => ({
    id: 1,
    kind,
    actor: 'owner',
    from_version: 1,
    to_version: 2,
    weight_from: null,
    weight_to: null,
    reason: 'r',
    detail: {},
    created_at,
  });
  it('marks lifecycle events on the nearest minute inside the window and skips the rest', () => {
    const marks = markers(series, [
      event('promote', '2026-01-01T10:04:20+00:00'),
      event('settings', '2026-01-01T10:01:00+00:00'),
      event('canary', '2026-01-01T08:00:00+00:00'),
    ] as never);
    expect(marks).toHaveLength(1);
    expect(marks[0]?.label).toBe('promote');
    expect(marks[0]?.x).toBe(new Date('2026-01-01T10:05:00+00:00').toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  });
});
