import { describe, expect, it } from 'vitest';
import { change } from './HistoryTable';

describe('change', () => {
  const base = { from_version: null, to_version: null, weight_from: null, weight_to: null };
  it('shows only the new version when there was none before', () => {
    expect(change({ ...base, to_version: 2 })).toBe('v2');
    expect(change({ ...base, to_version: 3, weight_from: 0, weight_to: 20 })).toBe('v3 (0 % → 20 %)');
  });
  it('shows from and to when both exist', () => {
    expect(change({ ...base, from_version: 2, to_version: 3, weight_from: 20, weight_to: 100 })).toBe('v2 → v3 (20 % → 100 %)');
    expect(change({ ...base, from_version: 3, to_version: 2 })).toBe('v3 → v2');
  });
});
