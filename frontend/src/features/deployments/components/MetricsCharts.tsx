import { Card, SimpleGrid, Text } from '@mantine/core';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DeploymentEvent, MetricPoint } from '../api/deployments';
import { formatNumber } from '@/lib/format';

const COLORS = ['#12b886', '#fd7e14', '#228be6', '#be4bdb', '#fa5252'];

type Field = 'rps' | 'p50_ms' | 'p99_ms' | 'error_rate';

/** One row per minute with a column per version, as recharts wants it. */
const MARKED: Record<string, { label: string; color: string }> = {
  create: { label: 'deploy', color: '#228be6' },
  deploy: { label: 'deploy', color: '#228be6' },
  canary: { label: 'canary', color: '#fd7e14' },
  promote: { label: 'promote', color: '#12b886' },
  rollback: { label: 'rollback', color: '#fa5252' },
  auto_rollback: { label: 'rollback', color: '#fa5252' },
};

export interface Marker {
  x: string;
  label: string;
  color: string;
}

const minuteLabel = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** Deploy, canary, promote and rollback events inside the charted window, placed on the minute row
 * nearest to each (the x axis is one category per minute). */
export function markers(series: MetricPoint[], events: DeploymentEvent[]): Marker[] {
  const times = [...new Set(series.map((p) => p.t))].sort();
  if (times.length === 0) return [];
  const stamps = times.map((t) => new Date(t).getTime());
  const first = stamps[0]! - 60_000;
  const last = stamps[stamps.length - 1]! + 60_000;
  const out: Marker[] = [];
  for (const e of events) {
    const mark = MARKED[e.kind];
    const at = new Date(e.created_at).getTime();
    if (!mark || at < first || at > last) continue;
    let best = 0;
    stamps.forEach((s, i) => {
      if (Math.abs(s - at) < Math.abs(stamps[best]! - at)) best = i;
    });
    out.push({ x: minuteLabel(times[best]!), ...mark });
  }
  return out;
}

export function pivot(
  series: MetricPoint[],
  field: Field,
  scale = 1,
): { rows: Record<string, number | string | null>[]; versions: number[] } {
  const versions = [...new Set(series.map((p) => p.version))].sort((a, b) => a - b);
  const byTime = new Map<string, Record<string, number | string | null>>();
  for (const p of series) {
    const row = byTime.get(p.t) ?? { t: minuteLabel(p.t) };
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
  marks: Marker[];
}

function Chart({ title, series, field, unit, scale = 1, minMax, marks }: ChartProps) {
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
          {marks.map((m, i) => (
            <ReferenceLine
              key={`${m.x}-${m.label}-${i}`}
              x={m.x}
              stroke={m.color}
              strokeDasharray="4 2"
              label={{ value: m.label, position: 'insideTopLeft', fontSize: 10, fill: m.color }}
            />
          ))}
          {versions.map((v, i) => (
            <Line key={v} type="monotone" dataKey={`v${v}`} stroke={COLORS[i % COLORS.length]} dot={false} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </Card>
  );
}

export function MetricsCharts({ series, events = [] }: { series: MetricPoint[]; events?: DeploymentEvent[] }) {
  if (series.length === 0) {
    return (
      <Text c="dimmed" size="sm">
        No traffic in the last hour. Send requests to the endpoint and the charts fill in (updated every few seconds).
      </Text>
    );
  }
  const marks = markers(series, events);
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} data-testid="metrics-charts">
      <Chart title="Requests per second" series={series} field="rps" unit="" marks={marks} />
      <Chart title="Error rate (%)" series={series} field="error_rate" unit=" %" scale={100} minMax={5} marks={marks} />
      <Chart title="Latency p50 (ms)" series={series} field="p50_ms" unit=" ms" marks={marks} />
      <Chart title="Latency p99 (ms)" series={series} field="p99_ms" unit=" ms" marks={marks} />
    </SimpleGrid>
  );
}
