import { describe, expect, it } from 'vitest';
import { formatNumber, formatPercent, formatRatio, formatScore } from './format';

describe('number formatting for people', () => {
  it('rounds metrics to four significant digits', () => {
    expect(formatNumber(0.9621212121212122)).toBe('0.9621');
    expect(formatNumber(60.272999999999996)).toBe('60.27');
    expect(formatNumber(0.93)).toBe('0.93');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(12345.678)).toBe('12,346');
    expect(formatNumber(3.2e-7)).toBe('3.2e-7');
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(Number.NaN)).toBe('—');
  });

  it('shows percentages with one decimal', () => {
    expect(formatPercent(60.272999999999996)).toBe('60.3 %');
    expect(formatRatio(0.60273)).toBe('60.3 %');
    expect(formatRatio(1)).toBe('100 %');
    expect(formatRatio(undefined)).toBe('—');
  });

  it('shows rubric scores with at most one decimal', () => {
    expect(formatScore(4)).toBe('4');
    expect(formatScore(4.5)).toBe('4.5');
    expect(formatScore(2.333333)).toBe('2.3');
  });
});
