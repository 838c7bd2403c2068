import { Badge, Card, Group, SimpleGrid, Text } from '@mantine/core';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricPoint } from '../api/ci';
import { shortCommit } from './format';
import { formatNumber } from '@/lib/format';

interface DotProps {
  cx?: number;
  cy?: number;
  payload?: MetricPoint;
}

function RegressionDot({ cx, cy, payload }: DotProps) {
  if (cx === undefined || cy === undefined || !payload) return null;
  if (payload.verdict === 'baseline') {
    return <rect x={cx - 5} y={cy - 5} width={10} height={10} fill="var(--mantine-color-teal-6)" stroke="white" strokeWidth={1.5} />;
  }
  return payload.regression ? (
    <circle cx={cx} cy={cy} r={6} fill="var(--mantine-color-red-6)" stroke="white" strokeWidth={1.5} />
  ) : (
    <circle cx={cx} cy={cy} r={3} fill="var(--mantine-color-blue-6)" />
  );
}

export function MetricChart({ name, points }: { name: string; points: MetricPoint[] }) {
  const regressions = points.filter((p) => p.regression).length;
  const baselines = points.filter((p) => p.verdict === 'baseline').length;
  const data = points.map((p) => ({ ...p, label: `${p.branch}@${shortCommit(p.commit)}` }));
  return (
    <Card withBorder radius="md" padding="md" data-testid="ci-metric-chart">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>{name}</Text>
        <Group gap={6}>
          <Badge variant="light" tt="none">
            {points[0]?.direction === 'lower' ? 'lower is better' : 'higher is better'}
          </Badge>
          {baselines > 0 ? (
            <Badge color="teal" variant="light" tt="none">
              baseline established
            </Badge>
          ) : null}
          {regressions > 0 ? (
            <Badge color="red" variant="filled" tt="none">
              {regressions} regression{regressions > 1 ? 's' : ''}
            </Badge>
          ) : null}
        </Group>
      </Group>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="label" tick={{ fontSize: 11 }} hide={data.length > 12} />
          <YAxis tick={{ fontSize: 11 }} width={56} domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v, 3)} />
          <Tooltip formatter={(v) => formatNumber(Number(v))} />
          <Line type="monotone" dataKey="value" stroke="var(--mantine-color-blue-6)" dot={<RegressionDot />} isAnimationActive={false} />
          <Line type="monotone" dataKey="baseline" stroke="var(--mantine-color-gray-6)" strokeDasharray="4 4" dot={false} isAnimationActive={false} connectNulls />
        </LineChart>
      </ResponsiveContainer>
    </Card>
  );
}

export function MetricCharts({ series }: { series: Record<string, MetricPoint[]> }) {
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
      {Object.entries(series).map(([name, points]) => (
        <MetricChart key={name} name={name} points={points} />
      ))}
    </SimpleGrid>
  );
}
