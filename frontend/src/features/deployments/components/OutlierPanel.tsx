import { Alert, Badge, Button, Card, Group, Loader, SimpleGrid, Text, Title } from '@mantine/core';
import { IconAlertTriangle, IconRadar } from '@tabler/icons-react';
import { errorMessage } from '@/api/errors';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { formatDateTime, formatNumber, formatRatio } from '@/lib/format';
import { useFitDetector, useOutliers } from '../api/deployments';

const STATE_COLOR: Record<string, string> = { ready: 'teal', fitting: 'blue', failed: 'red' };

/** The deployment's outlier detector: its state and threshold, the last hour's outlier rate, and
 * a button that fits it on the live version's training dataset. */
export function OutlierPanel({ project, name }: { project: string; name: string }) {
  const outliers = useOutliers(project, name);
  const fit = useFitDetector(project, name);
  if (outliers.isPending) return <LoadingState rows={2} label="Loading outlier detection" />;
  if (outliers.isError) return <ErrorState error={outliers.error} title="Could not load outlier detection" onRetry={() => outliers.refetch()} />;
  const r = outliers.data;
  const d = r.detector;
  return (
    <Card withBorder data-testid="outlier-panel">
      <Group justify="space-between" mb="xs">
        <Title order={3} fz="h5">
          Outlier detection
        </Title>
        <Group gap="xs">
          {d ? (
            <Badge color={STATE_COLOR[d.state] ?? 'gray'} variant="light" data-testid="detector-state" leftSection={d.state === 'fitting' ? <Loader size={10} /> : null}>
              {d.state}
            </Badge>
          ) : null}
          <Button size="xs" variant="light" leftSection={<IconRadar size={14} />} loading={fit.isPending} onClick={() => fit.mutate()}>
            {d ? 'Refit detector' : 'Fit detector'}
          </Button>
        </Group>
      </Group>
      {fit.isError ? (
        <Alert color="red" variant="light" icon={<IconAlertTriangle size={16} />} mb="sm" role="alert" data-testid="fit-error">
          {errorMessage(fit.error)}
        </Alert>
      ) : null}
      {!d ? (
        <Text size="sm" c="dimmed" data-testid="outlier-empty">
          No detector yet. Fitting one on the live version&apos;s training dataset scores every request and adds `outlier_score` and
          `is_outlier` to each answer and log row.
        </Text>
      ) : (
        <>
          {d.state === 'failed' ? (
            <Alert color="red" variant="light" mb="sm" data-testid="detector-error">
              {d.error}
            </Alert>
          ) : null}
          <SimpleGrid cols={{ base: 2, md: 4 }}>
            <Card withBorder padding="sm">
              <Text size="xs" c="dimmed">
                Outliers, last hour
              </Text>
              <Text fw={600} data-testid="outlier-rate">
                {r.rate === null ? 'no scored requests' : `${formatRatio(r.rate)} (${formatNumber(r.outliers)} of ${formatNumber(r.scored)})`}
              </Text>
            </Card>
            <Card withBorder padding="sm">
              <Text size="xs" c="dimmed">
                Method
              </Text>
              <Text fw={600}>{d.method}</Text>
            </Card>
            <Card withBorder padding="sm">
              <Text size="xs" c="dimmed">
                Threshold (distance)
              </Text>
              <Text fw={600} data-testid="detector-threshold">
                {d.threshold === null ? '–' : formatNumber(d.threshold, 4)} · {formatRatio(d.quantile, 2)} of {formatNumber(d.training_rows)} training rows below
              </Text>
            </Card>
            <Card withBorder padding="sm">
              <Text size="xs" c="dimmed">
                Version · fitted
              </Text>
              <Text fw={600}>
                v{d.version} · {formatDateTime(d.updated_at)}
              </Text>
            </Card>
          </SimpleGrid>
        </>
      )}
    </Card>
  );
}
