import { Alert, Group, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { formatDateTime, formatNumber } from '@/lib/format';
import type { IngestInfo } from '../api/monitoring';

/** The ingest of the prediction log: folded rows, lag (a warning past the alert threshold) and undecodable rows. */
export function IngestStatus({ ingest }: { ingest: IngestInfo }) {
  const behind = ingest.lag_seconds > ingest.lag_alert_seconds;
  return (
    <>
      {behind ? (
        <Alert color="orange" icon={<IconAlertTriangle size={18} />} title="Monitoring is behind the prediction log" mb="sm">
          {formatNumber(ingest.lag_rows)} logged predictions are not ingested yet; the oldest is{' '}
          {formatNumber(ingest.lag_seconds, 3)} s old. Drift, invariants and the flywheel describe the past until the
          ingest catches up: add monitoring workers.
        </Alert>
      ) : null}
      {ingest.invalid > 0 ? (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Undecodable log rows skipped" mb="sm">
          {formatNumber(ingest.invalid)} logged predictions could not be decoded and were skipped. Latest request ids:{' '}
          {ingest.invalid_examples.join(', ')}
        </Alert>
      ) : null}
      <Group gap="xs" mb="sm" aria-label="Ingest status">
        <Text size="xs" c="dimmed">
          Ingested {formatNumber(ingest.rows)} predictions · lag {formatNumber(ingest.lag_rows)} rows (
          {formatNumber(ingest.lag_seconds, 3)} s) · {formatNumber(ingest.invalid)} invalid · checked{' '}
          {formatDateTime(ingest.checked_at)}
        </Text>
      </Group>
    </>
  );
}
