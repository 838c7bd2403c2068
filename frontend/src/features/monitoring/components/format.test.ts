import { describe, expect, it } from 'vitest';
import { formatPercent, formatValue, preview } from './format';

describe('monitoring format helpers', () => {
  it('formats metric values', () => {
    expect(formatValue(null)).toBe('—');
    expect(formatValue(0.123456)).toBe('0.1235');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(0.000001)).toBe('1.00e-6');
  });
  it('formats percentages and previews', () => {
    expect(formatPercent(12.345)).toBe('12.3 %');
    expect(formatPercent(null)).toBe('—');
    expect(preview([1, 2, 3])).toBe('[1,2,3]');
    expect(preview('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
