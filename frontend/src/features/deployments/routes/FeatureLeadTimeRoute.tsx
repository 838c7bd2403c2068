import { Badge, Card, Group, SimpleGrid, Table, Text, Title } from '@mantine/core';
import { IconClockHour4 } from '@tabler/icons-react';
import { useParams } from 'react-router';
import { CartesianGrid, ComposedChart, Line, ReferenceLine, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { formatDate, formatNumber } from '@/lib/format';
import { useFeatureLeadTime } from '../api/deployments';

/** Rubric data-6: how long a new feature column takes to reach a deployed model, with the trend. */
export function FeatureLeadTimeRoute() {
  const { slug = '' } = useParams();
  const lead = useFeatureLeadTime(slug);
  const r = lead.data;
  return (
    <>
      <PageHeader
        title="Feature lead time"
        description="From the first dataset version that adds a column to the first deployment of a model version that uses it (rubric data-6)."
      />
      {lead.isPending ? <LoadingState rows={3} label="Loading lead times" /> : null}
      {lead.isError ? <ErrorState error={lead.error} onRetry={() => lead.refetch()} /> : null}
      {r && r.features.length === 0 && r.pending.length === 0 ? (
        <EmptyState
          icon={<IconClockHour4 size={28} />}
          title="No features yet"
          description="Register a dataset version: its columns are the features whose lead time Shipyard measures."
        />
      ) : null}
      {r && (r.features.length > 0 || r.pending.length > 0) ? (
        <SimpleGrid cols={1} spacing="md">
          <Group gap="xs" data-testid="lead-time-verdict">
            <Badge color={r.passed === null ? 'gray' : r.passed ? 'green' : 'red'} variant="light">
              {r.passed === null ? 'no verdict yet' : r.passed ? 'data-6: pass' : 'data-6: fail'}
            </Badge>
            <Text size="sm">{r.summary}</Text>
          </Group>
          <Card withBorder radius="md" padding="md">
            <Title order={5} mb="xs">
              Median lead time per month of addition (days; target {formatNumber(r.target_days)})
            </Title>
            {r.trend.length ? (
              <div style={{ width: '100%', height: 220 }} data-testid="chart-lead-time">
                <ResponsiveContainer>
                  <ComposedChart data={r.trend} margin={{ left: 8, right: 8 }}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="month" fontSize={11} />
                    <YAxis width={48} fontSize={11} tickFormatter={(v: number) => formatNumber(v, 3)} />
                    <Tooltip formatter={(v) => `${formatNumber(Number(v), 3)} days`} />
                    <ReferenceLine y={r.target_days} stroke="#fa5252" strokeDasharray="4 4" />
                    <Line dataKey="median_days" stroke="#228be6" isAnimationActive={false} />
                    <Scatter dataKey="median_days" fill="#228be6" isAnimationActive={false} />
                  </ComposedChart>
                </ResponsiveContainer>
              </div>
            ) : (
              <Text size="sm" c="dimmed">
                No feature has reached a deployment yet.
              </Text>
            )}
          </Card>
          <Card withBorder radius="md" padding="md">
            <Title order={5} mb="xs">
              Features
            </Title>
            <Table striped data-testid="lead-time-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Feature</Table.Th>
                  <Table.Th>Added</Table.Th>
                  <Table.Th>First deployed</Table.Th>
                  <Table.Th>Lead time (days)</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {r.features.map((f) => (
                  <Table.Tr key={f.feature}>
                    <Table.Td>{f.feature}</Table.Td>
                    <Table.Td>
                      {f.dataset} v{f.dataset_version}, {formatDate(f.added_at)}
                    </Table.Td>
                    <Table.Td>
                      {f.deployment}: {f.model} v{f.version}, {formatDate(f.deployed_at)}
                    </Table.Td>
                    <Table.Td>{formatNumber(f.lead_days, 3)}</Table.Td>
                  </Table.Tr>
                ))}
                {r.pending.map((f) => (
                  <Table.Tr key={f.feature}>
                    <Table.Td>{f.feature}</Table.Td>
                    <Table.Td>
                      {f.dataset} v{f.dataset_version}, {formatDate(f.added_at)}
                    </Table.Td>
                    <Table.Td c="dimmed">not yet deployed</Table.Td>
                    <Table.Td c="dimmed">waiting {formatNumber(f.waiting_days, 3)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
        </SimpleGrid>
      ) : null}
    </>
  );
}
