import { Badge, Card, Group, SimpleGrid, Table, Text, Title } from '@mantine/core';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { formatDateTime, formatNumber, formatRatio } from '@/lib/format';
import { useShadow } from '../api/deployments';

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Card withBorder padding="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600} data-testid={testId}>
        {value}
      </Text>
    </Card>
  );
}

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${formatNumber(v, 3)} ms`);

/** A deployment's shadow: how often it agrees with live, and its latency next to live's. */
export function ShadowPanel({ project, name }: { project: string; name: string }) {
  const shadow = useShadow(project, name, true);
  if (shadow.isPending) return <LoadingState rows={2} label="Loading shadow" />;
  if (shadow.isError) return <ErrorState error={shadow.error} title="Could not load the shadow" onRetry={() => shadow.refetch()} />;
  const r = shadow.data;
  if (!r.active) return null;
  const rows = r.series.map((p) => ({
    t: new Date(p.t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
    agreement: p.agreement === null ? null : p.agreement * 100,
  }));
  return (
    <Card withBorder data-testid="shadow-panel">
      <Group justify="space-between" mb="xs">
        <Title order={3} fz="h5">
          Shadow traffic
        </Title>
        <Badge variant="light" tt="none">
          v{r.version} gets {formatRatio(r.share)} of requests, answers never returned
        </Badge>
      </Group>
      {r.count === 0 ? (
        <Text size="sm" c="dimmed" data-testid="shadow-empty">
          No mirrored requests compared yet. They appear here a few seconds after live answers them.
        </Text>
      ) : (
        <>
          <SimpleGrid cols={{ base: 2, md: 5 }}>
            <Stat label="Agreement with live" value={formatRatio(r.agreement)} testId="shadow-agreement" />
            <Stat label="Rows compared" value={formatNumber(r.count)} testId="shadow-count" />
            <Stat label="Shadow failures" value={formatNumber(r.failed)} testId="shadow-failed" />
            <Stat label="Live p50 / p99" value={`${ms(r.live_p50_ms)} / ${ms(r.live_p99_ms)}`} testId="shadow-live-latency" />
            <Stat label="Shadow p50 / p99" value={`${ms(r.shadow_p50_ms)} / ${ms(r.shadow_p99_ms)}`} testId="shadow-latency" />
          </SimpleGrid>
          <Card withBorder padding="sm" mt="sm" data-testid="shadow-agreement-chart">
            <Text fw={500} size="sm" mb="xs">
              Agreement with live per minute
            </Text>
            <ResponsiveContainer width="100%" height={180}>
              <LineChart data={rows}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="t" fontSize={11} />
                <YAxis fontSize={11} unit=" %" width={56} domain={[0, 100]} />
                <Tooltip formatter={(v) => `${formatNumber(Number(v), 3)} %`} />
                <Legend />
                <Line type="monotone" dataKey="agreement" name="agreement" stroke="#228be6" dot isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          </Card>
          {r.disagreements.length > 0 ? (
            <Table striped withTableBorder mt="sm" aria-label="Shadow disagreements">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Request</Table.Th>
                  <Table.Th>Live said</Table.Th>
                  <Table.Th>Shadow said</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {r.disagreements.map((row) => (
                  <Table.Tr key={row.request_id}>
                    <Table.Td>{formatDateTime(row.created_at)}</Table.Td>
                    <Table.Td>{row.request_id}</Table.Td>
                    <Table.Td>{JSON.stringify(row.live_output)}</Table.Td>
                    <Table.Td>{JSON.stringify(row.shadow_output)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          ) : null}
        </>
      )}
    </Card>
  );
}
