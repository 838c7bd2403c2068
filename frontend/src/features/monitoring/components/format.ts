import type { Status } from '../api/monitoring';

export const STATUS_COLOR: Record<Status, string> = {
  ok: 'teal',
  warn: 'yellow',
  fail: 'red',
  no_data: 'gray',
  error: 'grape',
};

export const STATUS_LABEL: Record<Status, string> = {
  ok: 'OK',
  warn: 'Warning',
  fail: 'Failing',
  no_data: 'No data',
  error: 'Monitor error',
};

export const METRIC_LABEL: Record<string, string> = {
  kl: 'Kullback-Leibler divergence',
  psi: 'Population stability index',
  js: 'Jensen-Shannon distance',
  ks: 'Kolmogorov-Smirnov statistic',
  ks_pvalue: 'Kolmogorov-Smirnov p-value',
  wasserstein: 'Wasserstein distance',
  wasserstein_norm: 'Wasserstein / reference std',
};

export const OPERATOR_LABEL: Record<string, string> = {
  gt: 'Greater than',
  gte: 'At least',
  lt: 'Less than',
  lte: 'At most',
};

/** A short, readable rendering of a logged input or output. */
export function preview(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return '—';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
