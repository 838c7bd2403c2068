import { describe, expect, it } from 'vitest';
import { gateSummary } from './PushesTable';

describe('gateSummary', () => {
  it('waits while the evaluation runs', () => {
    expect(gateSummary({ status: 'evaluating', gate: {} })).toBe('waiting for the evaluation');
  });
  it('names the metric, the live value and the threshold', () => {
    const gate = { passed: true, metric: 'accuracy', value: 0.97333, live_value: 0.965, threshold: 0.8 };
    expect(gateSummary({ status: 'canary', gate })).toBe('passed: accuracy 0.9733 (live 0.965, threshold 0.8)');
    expect(gateSummary({ status: 'gate_failed', gate: { ...gate, passed: false, live_value: null } })).toBe(
      'failed: accuracy 0.9733 (threshold 0.8)',
    );
  });
});
