import { describe, expect, it } from 'vitest';
import { formatDuration, shortCommit } from './format';

describe('CI formatting', () => {
  it('formats durations', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(0.25)).toBe('250 ms');
    expect(formatDuration(12.34)).toBe('12.3 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
  });
  it('shortens commits', () => {
    expect(shortCommit('')).toBe('—');
    expect(shortCommit('0123456789abcdef')).toBe('01234567');
  });
});
