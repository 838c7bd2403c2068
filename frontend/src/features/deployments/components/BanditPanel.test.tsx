import { describe, expect, it } from 'vitest';
import { ensembleLabel } from '../api/deployments';
import { pivotBandit } from './BanditPanel';

describe('pivotBandit', () => {
  it('puts one row per minute with a percent column per arm', () => {
    const history = [
      { t: '2026-12-01T01:00:00Z', version: 1, requests: 30, share: 0.3, mean: 0.7, low: 0.5, high: 0.8 },
      { t: '2026-12-01T01:00:00Z', version: 2, requests: 70, share: 0.7, mean: 0.9, low: 0.8, high: 0.95 },
      { t: '2026-12-01T01:01:00Z', version: 1, requests: 0, share: null, mean: 0.7, low: 0.5, high: 0.8 },
    ];
    const rows = pivotBandit(history, 'share');
    expect(rows).toHaveLength(2);
    expect(rows[0]?.v1).toBeCloseTo(30);
    expect(rows[0]?.v2).toBeCloseTo(70);
    expect(rows[1]?.v1).toBeNull();
    expect(pivotBandit(history, 'mean')[0]?.v2).toBeCloseTo(90);
  });
});

describe('ensembleLabel', () => {
  it('names the combination, weights and members', () => {
    expect(ensembleLabel({ id: 3, number: 3, format: 'ensemble', ensemble: { combine: 'weighted', weights: [2, 1], members: [1, 2] } })).toBe(
      'ensemble (weighted weights 2:1) of v1 + v2',
    );
    expect(ensembleLabel({ id: 1, number: 1, format: 'onnx' })).toBeNull();
    expect(ensembleLabel(null)).toBeNull();
  });
});
