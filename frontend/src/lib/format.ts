const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : dateFormat.format(date);
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : dateTimeFormat.format(date);
}

const EMPTY = '—';

function isMissing(value: number | null | undefined): value is null | undefined {
  return value === null || value === undefined || Number.isNaN(value);
}

/**
 * A metric, score or measurement, rounded for people: four significant digits below 1,000
 * (0.9621212121212122 → 0.9621, 60.272999999999996 → 60.27), whole numbers with digit groups
 * above (12,346), and scientific notation for magnitudes below 0.0001 (3.2e-7).
 */
export function formatNumber(value: number | null | undefined, significant = 4): string {
  if (isMissing(value)) return EMPTY;
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && magnitude < 1e-4) return value.toExponential(1);
  if (magnitude >= 1000) return new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(value);
  return new Intl.NumberFormat('en-US', { maximumSignificantDigits: significant, useGrouping: false }).format(value);
}

/** A value already in percent (60.272999999999996 → "60.3 %"). */
export function formatPercent(value: number | null | undefined, fractionDigits = 1): string {
  if (isMissing(value)) return EMPTY;
  return `${new Intl.NumberFormat('en-US', { maximumFractionDigits: fractionDigits }).format(value)} %`;
}

/** A fraction shown as a percentage (0.60273 → "60.3 %"). */
export function formatRatio(value: number | null | undefined, fractionDigits = 1): string {
  return isMissing(value) ? EMPTY : formatPercent(value * 100, fractionDigits);
}

/** A rubric score (half points): 4 → "4", 4.5 → "4.5", 4.25 → "4.3". */
export function formatScore(value: number | null | undefined): string {
  if (isMissing(value)) return EMPTY;
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(value);
}
