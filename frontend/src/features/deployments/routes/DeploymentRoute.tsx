import { Anchor, Badge, Breadcrumbs, Button, Card, Code, Group, SimpleGrid, Stack, Tabs, Text, Title, Tooltip } from '@mantine/core';
import { IconArrowBackUp, IconArrowUp, IconFlask, IconListSearch, IconRocket } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import type { ActionKind, MetricPoint } from '../api/deployments';
import { ensembleLabel, useDeployment, useDeploymentEvents, useDeploymentMetrics } from '../api/deployments';
import { ActionModal } from '../components/ActionModal';
import { BanditPanel } from '../components/BanditPanel';
import { ExperimentsMenu } from '../components/ExperimentsMenu';
import { OutlierPanel } from '../components/OutlierPanel';
import { ShadowPanel } from '../components/ShadowPanel';
import { HistoryTable } from '../components/HistoryTable';
import { PushesTable } from '../components/PushesTable';
import { describePolicy, usePushes, usePushPolicy } from '../api/pushes';
import { MetricsCharts } from '../components/MetricsCharts';
import { TrafficSplit } from '../components/TrafficSplit';
import { SettingsPanel } from '../components/SettingsPanel';
import { deniedReason, useProjectRole } from '../api/role';
import { useTabParam } from '@/lib/tabs';
import { formatNumber, formatRatio } from '@/lib/format';

function latest(series: MetricPoint[], version: number): MetricPoint | undefined {
  return series.filter((p) => p.version === version).at(-1);
}

export function DeploymentRoute() {
  const { project = '', name = '' } = useParams();
  const deployment = useDeployment(project, name);
  // the history and the charts are asked for once the deployment exists (a missing one is one 404)
  const events = useDeploymentEvents(project, name, deployment.isSuccess);
  const metrics = useDeploymentMetrics(project, name, 60, deployment.isSuccess);
  const pushes = usePushes(project, name, deployment.isSuccess);
  const policy = usePushPolicy(project, name, deployment.isSuccess);
  const [action, setAction] = useState<ActionKind | null>(null);
  const role = useProjectRole(project);
  const [tab, setTab] = useTabParam(['overview', 'settings'] as const, 'overview');

  if (deployment.isPending) return <LoadingState rows={4} label="Loading deployment" />;
  if (deployment.isError) return <ErrorState error={deployment.error} onRetry={() => deployment.refetch()} />;
  const d = deployment.data;
  const series = metrics.data?.series ?? [];
  const bandit = d.bandit_arms.length > 0;
  const versions = bandit ? d.bandit_arms : [d.live_version.number, ...(d.canary_version ? [d.canary_version.number] : [])];
  // while the role loads, the buttons stay enabled: the API still checks (403 names the reason)
  const denied = role === null ? null : deniedReason(role, 'maintainer', 'deploy, canary, promote or roll back');
  const guarded = (label: string, button: React.ReactElement) =>
    denied ? (
      <Tooltip label={denied} key={label}>
        <span>{button}</span>
      </Tooltip>
    ) : (
      button
    );

  return (
    <>
      <Breadcrumbs mb="sm">
        <Anchor component={Link} to="/deployments" size="sm">
          Deployments
        </Anchor>
        <Anchor component={Link} to={`/deployments?project=${project}`} size="sm">
          {project}
        </Anchor>
        <Text size="sm">{d.name}</Text>
      </Breadcrumbs>
      <PageHeader
        title={d.name}
        description={
          <>
            {d.model} · <Code>POST {d.endpoint}</Code>
          </>
        }
        actions={
          <>
            <Button component={Link} to={`/deployments/${project}/${name}/predictions`} leftSection={<IconListSearch size={16} />} variant="default">
              Predictions
            </Button>
            {guarded(
              'deploy',
              <Button leftSection={<IconRocket size={16} />} variant="light" onClick={() => setAction('deploy')} disabled={!!denied}>
                Deploy
              </Button>,
            )}
            {guarded(
              'canary',
              <Button leftSection={<IconFlask size={16} />} variant="light" color="orange" onClick={() => setAction('canary')} disabled={!!denied}>
                Canary
              </Button>,
            )}
            {guarded(
              'promote',
              <Button leftSection={<IconArrowUp size={16} />} variant="light" color="teal" onClick={() => setAction('promote')} disabled={!!denied || !d.canary_version}>
                Promote
              </Button>,
            )}
            {guarded(
              'rollback',
              <Button leftSection={<IconArrowBackUp size={16} />} color="red" onClick={() => setAction('rollback')} disabled={!!denied || !d.can_rollback}>
                Rollback
              </Button>,
            )}
            <ExperimentsMenu deployment={d} role={role} />
          </>
        }
      />
      <ActionModal key={action ?? 'none'} action={action} deployment={d} onClose={() => setAction(null)} />
      {denied ? (
        <Text size="sm" c="dimmed" mb="sm" data-testid="actions-denied">
          {denied}
        </Text>
      ) : null}
      <Tabs value={tab} onChange={setTab} mb="md">
        <Tabs.List>
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="settings">Settings</Tabs.Tab>
        </Tabs.List>
      </Tabs>
      {tab === 'settings' ? (
        <SettingsPanel deployment={d} role={role} />
      ) : (
      <Stack gap="lg">
        <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
          <Card withBorder>
            <Text size="xs" c="dimmed">
              Live version
            </Text>
            <Badge color="teal.9" size="lg" tt="none" data-testid="live-version">
              v{d.live_version.number}
            </Badge>
            {ensembleLabel(d.live_version) ? (
              <Text size="sm" mt={4} data-testid="live-ensemble">
                {ensembleLabel(d.live_version)}
              </Text>
            ) : null}
          </Card>
          <Card withBorder>
            <Text size="xs" c="dimmed">
              {bandit ? 'Bandit arms' : 'Canary'}
            </Text>
            <Text fw={600} data-testid="canary">
              {bandit
                ? d.bandit_arms.map((v) => `v${v}`).join(' · ')
                : d.canary_version
                  ? `v${d.canary_version.number} at ${d.canary_weight} %`
                  : 'none'}
            </Text>
            {!bandit && ensembleLabel(d.canary_version) ? (
              <Text size="sm" mt={4} data-testid="canary-ensemble">
                {ensembleLabel(d.canary_version)}
              </Text>
            ) : null}
          </Card>
          {versions.map((v) => {
            const p = latest(series, v);
            return (
              <Card withBorder key={v}>
                <Text size="xs" c="dimmed">
                  v{v} last minute
                </Text>
                <Text fw={600}>
                  {p ? `${formatNumber(p.rps, 3)} req/s · p50 ${formatNumber(p.p50_ms)} ms · p99 ${formatNumber(p.p99_ms)} ms · ${formatRatio(p.error_rate)} errors` : 'no traffic'}
                </Text>
              </Card>
            );
          })}
        </SimpleGrid>
        {bandit ? (
          <BanditPanel project={project} name={name} />
        ) : (
          <Card withBorder>
            <Title order={3} fz="h5" mb="xs">
              Traffic split
            </Title>
            <TrafficSplit deployment={d} />
          </Card>
        )}
        {d.shadow_version ? <ShadowPanel project={project} name={name} /> : null}
        <OutlierPanel project={project} name={name} />
        <MetricsCharts series={series} events={events.data?.results ?? []} />
        <Group gap="xs">
          <Text size="sm" c="dimmed">
            Batching: up to {d.max_batch_size} rows, {d.max_delay_ms} ms delay · timeout {d.request_timeout_ms} ms · inputs: {d.validation_policy} · quality gate:{' '}
            {d.quality_threshold === null ? 'no threshold' : `${d.quality_metric} ≥ ${d.quality_threshold}`}
          </Text>
        </Group>
        <Card withBorder>
          <Title order={3} fz="h5" mb={4}>
            Pushes from CI
          </Title>
          {policy.data && (
            <Text size="sm" c="dimmed" mb="xs" data-testid="push-policy">
              {describePolicy(policy.data)}
            </Text>
          )}
          {pushes.isError ? (
            <ErrorState error={pushes.error} onRetry={() => pushes.refetch()} />
          ) : (
            <PushesTable pushes={pushes.data ?? []} />
          )}
        </Card>
        <Card withBorder>
          <Title order={3} fz="h5" mb="xs">
            History
          </Title>
          <HistoryTable events={events.data?.results ?? []} />
        </Card>
      </Stack>
      )}
    </>
  );
}
