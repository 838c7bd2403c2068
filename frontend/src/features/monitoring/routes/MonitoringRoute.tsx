import { Anchor, Badge, Card, CloseButton, Group, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { IconActivityHeartbeat } from '@tabler/icons-react';
import { Link, useSearchParams } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useCurrentTeam } from '@/lib/current-team';
import { useAlerts, useOverview } from '../api/monitoring';
import { AlertsList } from '../components/AlertsList';
import { STATUS_COLOR, STATUS_LABEL } from '../components/format';
import { StatusDot } from '../components/StatusDot';

const MONITOR_ORDER = ['drift', 'invariants', 'skew', 'staleness', 'numerics', 'performance', 'quality'];

export function MonitoringRoute() {
  const { team } = useCurrentTeam();
  const [params, setParams] = useSearchParams();
  const project = params.get('project') || undefined;
  const overview = useOverview(team?.slug);
  const alerts = useAlerts({ status: 'open', team: team?.slug, project });
  const rows = (overview.data?.results ?? []).filter((row) => !project || row.project === project);
  return (
    <>
      <PageHeader
        title="Monitoring"
        description={`Every deployment of ${team?.name ?? 'your teams'}, worst first.`}
        actions={
          project ? (
            <Badge
              size="lg"
              variant="light"
              tt="none"
              rightSection={<CloseButton size="xs" aria-label="Show every project" onClick={() => setParams({})} />}
            >
              Project: {project}
            </Badge>
          ) : null
        }
      />
      {overview.isPending ? <LoadingState /> : null}
      {overview.isError ? <ErrorState error={overview.error} onRetry={() => void overview.refetch()} /> : null}
      {overview.data && rows.length === 0 ? (
        <EmptyState
          icon={<IconActivityHeartbeat size={28} />}
          title="Nothing deployed yet"
          description={
            project
              ? `Project ${project} has no deployment to monitor. Deploy a model version and its monitors appear here.`
              : 'Deploy a model version and its monitors appear here.'
          }
        />
      ) : null}
      {overview.data && rows.length > 0 ? (
        <Card withBorder radius="md" padding={0} mb="lg">
          <Table highlightOnHover aria-label="Deployments" verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Status</Table.Th>
                <Table.Th>Deployment</Table.Th>
                <Table.Th>Model</Table.Th>
                <Table.Th>Monitors</Table.Th>
                <Table.Th>Open alerts</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={`${row.project}/${row.deployment}`} data-testid="overview-row">
                  <Table.Td>
                    <StatusDot status={row.status} />
                  </Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/monitoring/${row.project}/${row.deployment}`} fw={600}>
                      {row.project} / {row.deployment}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    {row.model} v{row.version}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {MONITOR_ORDER.map((kind) => {
                        const m = row.monitors[kind];
                        const status = m?.status ?? 'no_data';
                        return (
                          <Tooltip key={kind} label={m ? `${kind}: ${m.summary}` : `${kind}: ${STATUS_LABEL.no_data}`}>
                            <Badge color={STATUS_COLOR[status]} variant="light" tt="none" size="sm">
                              {kind}
                            </Badge>
                          </Tooltip>
                        );
                      })}
                    </Group>
                  </Table.Td>
                  <Table.Td>{row.open_alerts}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      ) : null}
      <Stack gap="sm">
        <Title order={2} fz="h4">
          Open alerts
        </Title>
        {alerts.data ? <AlertsList alerts={alerts.data.results} /> : <Text c="dimmed">Loading alerts…</Text>}
      </Stack>
    </>
  );
}
