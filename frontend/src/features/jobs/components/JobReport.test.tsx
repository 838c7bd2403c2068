import { describe, expect, it } from 'vitest';
import { tick } from './JobReport';

describe('tick', () => {
  it('keeps axis labels short enough to stay on one line', () => {
    expect(tick(0)).toBe('0');
    expect(tick(0.015)).toBe('0.015');
    expect(tick(0.0123456)).toBe('0.0123');
    expect(tick(80000)).toBe('80k');
    expect(tick(2_500_000)).toBe('2.5M');
    expect(tick(1)).toBe('1');
  });
});
