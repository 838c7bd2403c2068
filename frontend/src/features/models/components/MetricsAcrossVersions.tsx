import { Card, Table, Text } from '@mantine/core';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ModelVersion } from '../api/registry';
import { formatNumber } from '@/lib/format';

const COLORS = ['blue', 'teal', 'grape', 'orange', 'red', 'cyan'];

export function MetricsAcrossVersions({ versions }: { versions: ModelVersion[] }) {
  const ordered = [...versions].sort((a, b) => a.number - b.number);
  const names = Array.from(new Set(ordered.flatMap((v) => Object.keys(v.metrics)))).sort();
  if (names.length === 0) return <Text c="dimmed">No metrics recorded yet.</Text>;
  const data = ordered.map((v) => ({ version: `v${v.number}`, ...v.metrics }));
  return (
    <>
      <Card withBorder radius="md" padding="md" mb="md" data-testid="metrics-chart">
        <ResponsiveContainer width="100%" height={240}>
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="version" tick={{ fontSize: 11 }} />
            <YAxis tick={{ fontSize: 11 }} width={56} domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v, 3)} />
            <Tooltip formatter={(v) => formatNumber(Number(v))} />
            <Legend />
            {names.map((name, i) => (
              <Line
                key={name}
                type="monotone"
                dataKey={name}
                stroke={`var(--mantine-color-${COLORS[i % COLORS.length]}-6)`}
                isAnimationActive={false}
                connectNulls
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </Card>
      <Table.ScrollContainer minWidth={480}>
        <Table striped data-testid="metrics-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Version</Table.Th>
              {names.map((n) => (
                <Table.Th key={n}>{n}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {ordered.map((v) => (
              <Table.Tr key={v.id}>
                <Table.Td>v{v.number}</Table.Td>
                {names.map((n) => (
                  <Table.Td key={n}>{v.metrics[n] === undefined ? '—' : formatNumber(Number(v.metrics[n]))}</Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}
