import { Card, SimpleGrid, Text } from '@mantine/core';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricPoint } from '../api/deployments';
import { formatNumber } from '@/lib/format';

const COLORS = ['#12b886', '#fd7e14', '#228be6', '#be4bdb', '#fa5252'];

type Field = 'rps' | 'p50_ms' | 'p99_ms' | 'error_rate';

/** One row per minute with a column per version, as recharts wants it. */
export function pivot(
  series: MetricPoint[],
  field: Field,
  scale = 1,
): { rows: Record<string, number | string | null>[]; versions: number[] } {
  const versions = [...new Set(series.map((p) => p.version))].sort((a, b) => a - b);
  const byTime = new Map<string, Record<string, number | string | null>>();
  for (const p of series) {
    const row = byTime.get(p.t) ?? { t: new Date(p.t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) };
    const value = p[field];
    row[`v${p.version}`] = value === null ? null : value * scale;
    byTime.set(p.t, row);
  }
  return { rows: [...byTime.keys()].sort().map((k) => byTime.get(k)!), versions };
}

interface ChartProps {
  title: string;
  series: MetricPoint[];
  field: Field;
  unit: string;
  scale?: number;
  /** lowest upper end of the y axis, so an all-zero series does not get an arbitrary 0–4 scale */
  minMax?: number;
}

function Chart({ title, series, field, unit, scale = 1, minMax }: ChartProps) {
  const { rows, versions } = pivot(series, field, scale);
  return (
    <Card withBorder padding="sm">
      <Text fw={500} size="sm" mb="xs">
        {title}
      </Text>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={rows}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="t" fontSize={11} />
          <YAxis
            fontSize={11}
            unit={unit}
            width={56}
            domain={minMax === undefined ? undefined : [0, (max: number) => Math.max(max, minMax)]}
          />
          <Tooltip formatter={(v) => `${formatNumber(Number(v))}${unit}`} />
          <Legend />
          {versions.map((v, i) => (
            <Line key={v} type="monotone" dataKey={`v${v}`} stroke={COLORS[i % COLORS.length]} dot={false} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </Card>
  );
}

export function MetricsCharts({ series }: { series: MetricPoint[] }) {
  if (series.length === 0) {
    return (
      <Text c="dimmed" size="sm">
        No traffic in the last hour. Send requests to the endpoint and the charts fill in (updated every few seconds).
      </Text>
    );
  }
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      <Chart title="Requests per second" series={series} field="rps" unit="" />
      <Chart title="Error rate (%)" series={series} field="error_rate" unit=" %" scale={100} minMax={5} />
      <Chart title="Latency p50 (ms)" series={series} field="p50_ms" unit=" ms" />
      <Chart title="Latency p99 (ms)" series={series} field="p99_ms" unit=" ms" />
    </SimpleGrid>
  );
}
