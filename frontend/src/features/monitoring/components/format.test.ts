import { describe, expect, it } from 'vitest';
import { preview } from './format';

describe('monitoring format helpers', () => {
  it('previews logged values', () => {
    expect(preview([1, 2, 3])).toBe('[1,2,3]');
    expect(preview('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
