import { Anchor, Badge, Card, Group, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { IconActivityHeartbeat } from '@tabler/icons-react';
import { Link } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useAlerts, useOverview } from '../api/monitoring';
import { AlertsList } from '../components/AlertsList';
import { STATUS_COLOR, STATUS_LABEL } from '../components/format';
import { StatusDot } from '../components/StatusDot';

const MONITOR_ORDER = ['drift', 'invariants', 'skew', 'staleness', 'numerics', 'performance', 'quality'];

export function MonitoringRoute() {
  const overview = useOverview();
  const alerts = useAlerts({ status: 'open' });
  return (
    <>
      <PageHeader title="Monitoring" description="Every deployment of your teams, worst first." />
      {overview.isPending ? <LoadingState /> : null}
      {overview.isError ? <ErrorState error={overview.error} onRetry={() => void overview.refetch()} /> : null}
      {overview.data && overview.data.results.length === 0 ? (
        <EmptyState
          icon={<IconActivityHeartbeat size={28} />}
          title="Nothing deployed yet"
          description="Deploy a model version and its monitors appear here."
        />
      ) : null}
      {overview.data && overview.data.results.length > 0 ? (
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
              {overview.data.results.map((row) => (
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
