import { Anchor, Button, Group, Stack, Tabs, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlayerPlay } from '@tabler/icons-react';
import { Link, useParams, useSearchParams } from 'react-router';
import { errorMessage } from '@/api/errors';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { formatDateTime } from '@/lib/format';
import { useAlerts, useDeploymentMonitoring, useDrift, useRunMonitors } from '../api/monitoring';
import { AlertsList } from '../components/AlertsList';
import { DriftTable } from '../components/DriftTable';
import { FlywheelPanel } from '../components/FlywheelPanel';
import { IngestStatus } from '../components/IngestStatus';
import { MonitorsPanel } from '../components/MonitorsPanel';
import { StatusBadge } from '../components/StatusDot';

const TABS = ['drift', 'flywheel', 'monitors', 'alerts'];
const WINDOW_LABEL: Record<string, string> = { hour: 'last hour', day: 'last day', last_n: 'last N predictions' };

function DriftTab({ project, deployment }: { project: string; deployment: string }) {
  const drift = useDrift(project, deployment);
  if (drift.isPending) return <LoadingState />;
  if (drift.isError) return <ErrorState error={drift.error} onRetry={() => void drift.refetch()} />;
  const d = drift.data;
  return (
    <Stack gap="sm">
      <Group gap="sm">
        <StatusBadge status={d.status} />
        <Text size="sm" c="dimmed">
          {d.summary} · window: {d.window.kind === 'last_n' ? `last ${d.window.n} predictions` : WINDOW_LABEL[d.window.kind]} ·{' '}
          {d.rows} predictions · checked {formatDateTime(d.computed_at)}
        </Text>
      </Group>
      <DriftTable project={project} deployment={deployment} features={d.features} />
    </Stack>
  );
}

export function DeploymentMonitoringRoute() {
  const { project = '', deployment = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const raw = params.get('tab') ?? 'drift';
  const tab = TABS.includes(raw) ? raw : raw in { invariants: 1, skew: 1, staleness: 1, numerics: 1, performance: 1, quality: 1 } ? 'monitors' : 'drift';
  const monitoring = useDeploymentMonitoring(project, deployment);
  const alerts = useAlerts({ project, deployment });
  const run = useRunMonitors(project, deployment);
  return (
    <>
      <PageHeader
        title={`${project} / ${deployment}`}
        description={
          <>
            <Anchor component={Link} to="/monitoring" underline="always">
              Monitoring
            </Anchor>
            {monitoring.data ? ` · live version v${monitoring.data.live_version}` : ''}
          </>
        }
        actions={
          <Button
            variant="default"
            leftSection={<IconPlayerPlay size={16} />}
            loading={run.isPending}
            onClick={() =>
              run.mutate(undefined, {
                onSuccess: () => notifications.show({ message: 'Monitors queued; results appear in a moment.' }),
                onError: (error) => notifications.show({ color: 'red', message: errorMessage(error) }),
              })
            }
          >
            Run monitors now
          </Button>
        }
      />
      {monitoring.data ? <IngestStatus ingest={monitoring.data.ingest} /> : null}
      {monitoring.isError ? (
        <ErrorState error={monitoring.error} onRetry={() => void monitoring.refetch()} />
      ) : monitoring.isPending ? (
        <LoadingState />
      ) : (
      <Tabs value={tab} onChange={(v) => setParams(v ? { tab: v } : {})} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="drift">Drift</Tabs.Tab>
          <Tabs.Tab value="flywheel">Flywheel</Tabs.Tab>
          <Tabs.Tab value="monitors">Monitors</Tabs.Tab>
          <Tabs.Tab value="alerts">Alerts</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="drift">
          <DriftTab project={project} deployment={deployment} />
        </Tabs.Panel>
        <Tabs.Panel value="flywheel">
          <FlywheelPanel project={project} deployment={deployment} />
        </Tabs.Panel>
        <Tabs.Panel value="monitors">
          {monitoring.data ? <MonitorsPanel data={monitoring.data} /> : <LoadingState />}
        </Tabs.Panel>
        <Tabs.Panel value="alerts">{alerts.data ? <AlertsList alerts={alerts.data.results} /> : <LoadingState />}</Tabs.Panel>
      </Tabs>
      )}
    </>
  );
}
