import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderWithProviders } from '@/test/render';
import type { FeatureImportanceReport, JobDetail, StalenessReport, TuneReport } from '../api/jobs';
import { JobReport } from './JobReport';

const job = (kind: JobDetail['kind'], result: JobDetail['result']) => ({ kind, result }) as JobDetail;

const feature = (name: string, mean: number, extra: Partial<FeatureImportanceReport['features'][number]> = {}) => ({
  feature: name,
  mean,
  std: 0.01,
  ci_low: mean - 0.01,
  ci_high: mean + 0.01,
  flagged: false,
  exempt: false,
  constant: false,
  cost: 1,
  cost_source: 'declared',
  per_cost: mean,
  below_ratio: false,
  ablation_drop: null,
  ...extra,
});

const importance: FeatureImportanceReport = {
  kind: 'feature_importance',
  dataset: 'tabular:v1',
  passed: false,
  summary: '3 features checked (5 repeats, 95% intervals): 1 flagged at or below 0',
  metric: 'accuracy',
  baseline_score: 0.97,
  n_repeats: 5,
  confidence: 0.95,
  min_importance: 0,
  features: [feature('a', 0.3), feature('b', 0.2), feature('zero', 0, { ci_low: 0, ci_high: 0, flagged: true, constant: true })],
  flagged: ['zero'],
  exempt: [],
  cost: { key: 'latency_ms', min_importance_per_cost: 0.001, passed: true, summary: 'all 3 features reach 0.001', below: [], missing: [] },
  ablation_baseline: null,
};

const tune: TuneReport = {
  kind: 'tune',
  version: null,
  passed: true,
  summary: '2 of 2 trials completed',
  metric: 'accuracy',
  direction: 'maximize',
  recipe: 'digits_mlp',
  search_space: { lr: { type: 'float', low: 0.001, high: 0.1, log: true } },
  n_trials: 2,
  completed: 1,
  pruned: 1,
  pruning: true,
  pruning_note: '',
  trials: [
    { number: 0, state: 'complete', value: 0.95, params: { lr: 0.01 }, config: {}, intermediate: [0.9, 0.95], duration_s: 1 },
    { number: 1, state: 'pruned', value: null, params: { lr: 0.0011 }, config: {}, intermediate: [0.5], duration_s: 0.4 },
  ],
  best_trial: 0,
  best_value: 0.95,
  best_config: { lr: 0.01 },
  reference_value: 0.93,
  reference_config: {},
  reference_duration_s: 1,
  reference_rank: 2,
  top_k: 5,
  eval_rows: 450,
};

const staleness: StalenessReport = {
  kind: 'staleness_impact',
  dataset: 'digits:v2',
  skipped: [],
  passed: false,
  summary: '2 versions: +3.00 accuracy points lost per week',
  metric: 'accuracy',
  points: [
    { version: 1, trained_at: '2026-10-01T00:00:00+00:00', date_source: 'declared', age_days: 56, accuracy: 0.8, live: false },
    { version: 2, trained_at: '2026-11-19T00:00:00+00:00', date_source: 'registered', age_days: 7, accuracy: 0.95, live: true },
  ],
  slope_per_week: -0.0214,
  intercept: 0.97,
  r_value: -1,
  loss_per_week: 0.0214,
  retrain_interval_days: 49,
  interval_source: 'measured',
  expected_loss: 0.15,
  tolerance: 0.02,
  data_date: '2026-11-26T00:00:00+00:00',
  data_age_days: 1,
  fresh_days: 90,
  fresh: true,
  rows: 600,
};

describe('reports of the jobs that measure rubric tests', () => {
  it('shows importance with intervals, the flagged feature and the cost verdict', () => {
    renderWithProviders(<JobReport job={job('feature_importance', importance)} />);
    expect(screen.getByText('data-2 all features beneficial: fail')).toBeInTheDocument();
    expect(screen.getByText('data-3 cost per feature: pass')).toBeInTheDocument();
    expect(screen.getByTestId('chart-importance')).toBeInTheDocument();
    expect(screen.getAllByText('flagged').length).toBeGreaterThan(0);
    expect(screen.getByRole('cell', { name: '30' })).toBeInTheDocument(); // 0.3 accuracy = 30 points
  });

  it('shows every trial and where the starting configuration ranks', () => {
    renderWithProviders(<JobReport job={job('tune', tune)} />);
    expect(screen.getByText('model-3 hyperparameters tuned: pass')).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: '1 completed, 1 pruned of 2' })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: '93 %, rank 2 (top 5 passes)' })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: 'pruned' })).toBeInTheDocument();
  });

  it('shows accuracy against age and the loss over the retraining interval', () => {
    renderWithProviders(<JobReport job={job('staleness_impact', staleness)} />);
    expect(screen.getByText('model-4 staleness impact known: fail')).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: '49 days (measured)' })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: '15 points (tolerance 2 points)' })).toBeInTheDocument();
    expect(screen.getByTestId('chart-staleness')).toBeInTheDocument();
  });
});
