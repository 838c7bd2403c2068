import { Card, Group, Text } from '@mantine/core';
import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { FeatureSchema, FeatureStats } from '../api/datasets';
import { formatNumber } from '@/lib/format';

export function FeatureHistogram({ feature, stats }: { feature: FeatureSchema; stats: FeatureStats | undefined }) {
  const data = stats?.histogram
    ? stats.histogram.counts.map((count, i) => ({ bin: formatNumber(stats.histogram?.edges[i] ?? 0, 3), count }))
    : (stats?.top ?? []).map(([value, count]) => ({ bin: value, count }));
  return (
    <Card withBorder radius="md" padding="sm" data-testid="feature-histogram">
      <Group justify="space-between" mb={4}>
        <Text fw={600} size="sm">{feature.name}</Text>
        <Text size="xs" c="dimmed">{feature.dtype}{feature.role === 'label' ? ' · label' : ''}</Text>
      </Group>
      {feature.redacted ? (
        <Text size="xs" c="dimmed" h={110} pt="xl" ta="center">
          Values hidden: personal data
        </Text>
      ) : (
        <ResponsiveContainer width="100%" height={110}>
          <BarChart data={data} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
            <XAxis dataKey="bin" hide />
            <YAxis hide />
            <Tooltip formatter={(v) => formatNumber(Number(v))} />
            <Bar dataKey="count" fill="var(--mantine-color-blue-5)" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </Card>
  );
}
