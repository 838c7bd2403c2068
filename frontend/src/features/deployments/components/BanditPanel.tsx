import { Badge, Card, Group, SimpleGrid, Table, Text, Title } from '@mantine/core';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { formatNumber, formatRatio } from '@/lib/format';
import type { BanditReport } from '../api/deployments';
import { useBandit } from '../api/deployments';

const COLORS = ['#12b886', '#fd7e14', '#228be6', '#be4bdb', '#fa5252', '#15aabf', '#fab005', '#868e96'];

type Point = BanditReport['history'][number];

/** One row per minute with a column per arm (`v<n>`), as recharts wants it; shares and means in percent. */
export function pivotBandit(history: Point[], field: 'share' | 'mean'): Record<string, number | string | null>[] {
  const byTime = new Map<string, Record<string, number | string | null>>();
  for (const p of history) {
    const row = byTime.get(p.t) ?? { t: new Date(p.t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) };
    const value = p[field];
    row[`v${p.version}`] = value === null ? null : value * 100;
    byTime.set(p.t, row);
  }
  return [...byTime.keys()].sort().map((k) => byTime.get(k)!);
}

function ArmChart({ title, rows, versions, testId }: { title: string; rows: Record<string, number | string | null>[]; versions: number[]; testId: string }) {
  return (
    <Card withBorder padding="sm" data-testid={testId}>
      <Text fw={500} size="sm" mb="xs">
        {title}
      </Text>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={rows}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="t" fontSize={11} />
          <YAxis fontSize={11} unit=" %" width={56} domain={[0, 100]} />
          <Tooltip formatter={(v) => `${formatNumber(Number(v), 3)} %`} />
          <Legend />
          {versions.map((v, i) => (
            <Line key={v} type="monotone" dataKey={`v${v}`} name={`v${v}`} stroke={COLORS[i % COLORS.length]} dot={false} isAnimationActive={false} connectNulls />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </Card>
  );
}

/** A deployment's bandit: each arm's share of the requests and its posterior (Beta mean and 95 %
 * credible interval), now and over time. */
export function BanditPanel({ project, name }: { project: string; name: string }) {
  const bandit = useBandit(project, name, true);
  if (bandit.isPending) return <LoadingState rows={2} label="Loading bandit" />;
  if (bandit.isError) return <ErrorState error={bandit.error} title="Could not load the bandit" onRetry={() => bandit.refetch()} />;
  const report = bandit.data;
  if (!report.active) return null;
  const versions = report.arms.map((a) => a.version);
  return (
    <Card withBorder data-testid="bandit-panel">
      <Group justify="space-between" mb="xs">
        <Title order={3} fz="h5">
          Bandit routing
        </Title>
        <Group gap="xs">
          <Badge variant="light" tt="none">
            {report.policy === 'thompson' ? 'Thompson sampling' : `epsilon-greedy (ε ${formatNumber(report.epsilon, 2)})`}
          </Badge>
          <Badge variant="outline" tt="none">
            min share {formatRatio(report.min_share)} per arm
          </Badge>
        </Group>
      </Group>
      <Table striped withTableBorder aria-label="Bandit arms">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Arm</Table.Th>
            <Table.Th ta="right">Share of requests</Table.Th>
            <Table.Th ta="right">Requests</Table.Th>
            <Table.Th ta="right">Correct / wrong</Table.Th>
            <Table.Th ta="right">Posterior mean</Table.Th>
            <Table.Th ta="right">95 % interval</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {report.arms.map((a) => (
            <Table.Tr key={a.version} data-testid={`arm-v${a.version}`}>
              <Table.Td>v{a.version}</Table.Td>
              <Table.Td ta="right">{formatRatio(a.share)}</Table.Td>
              <Table.Td ta="right">{formatNumber(a.requests)}</Table.Td>
              <Table.Td ta="right">
                {formatNumber(a.successes)} / {formatNumber(a.failures)}
              </Table.Td>
              <Table.Td ta="right">{formatRatio(a.mean)}</Table.Td>
              <Table.Td ta="right">
                {formatRatio(a.low)} – {formatRatio(a.high)}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {report.history.length === 0 ? (
        <Text size="sm" c="dimmed" mt="sm" data-testid="bandit-empty">
          No requests or feedback since the bandit started: the arms still share the traffic by their priors.
        </Text>
      ) : (
        <SimpleGrid cols={{ base: 1, md: 2 }} mt="sm">
          <ArmChart title="Share of requests per arm" rows={pivotBandit(report.history, 'share')} versions={versions} testId="bandit-share-chart" />
          <ArmChart title="Posterior mean reward per arm" rows={pivotBandit(report.history, 'mean')} versions={versions} testId="bandit-posterior-chart" />
        </SimpleGrid>
      )}
    </Card>
  );
}
