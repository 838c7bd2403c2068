import { ActionIcon, Button, Group, Modal, NumberInput, Select, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPencil, IconSearch } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { Bar, BarChart, Line, LineChart, ResponsiveContainer, Tooltip as ChartTooltip, XAxis, YAxis } from 'recharts';
import { errorMessage } from '@/api/errors';
import type { DriftFeature, RuleInput } from '../api/monitoring';
import { useUpdateRule } from '../api/monitoring';
import { METRIC_LABEL, OPERATOR_LABEL } from './format';
import { StatusDot } from './StatusDot';
import { formatNumber, formatRatio } from '@/lib/format';

function MiniHistogram({ labels, values, color, title }: { labels: string[]; values: number[]; color: string; title: string }) {
  const data = labels.map((label, i) => ({ label, value: values[i] ?? 0 }));
  return (
    <div style={{ width: 150, height: 56 }} title={title} role="img" aria-label={title}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 2, right: 0, bottom: 0, left: 0 }} barCategoryGap={1}>
          <XAxis dataKey="label" hide />
          <YAxis hide domain={[0, 'dataMax']} />
          <ChartTooltip formatter={(v) => formatRatio(Number(v))} />
          <Bar dataKey="value" fill={color} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function Sparkline({ feature }: { feature: DriftFeature }) {
  const data = feature.series.map((p) => ({ t: new Date(p.t).toLocaleString(), value: p.value }));
  return (
    <div style={{ width: 160, height: 48 }} role="img" aria-label={`${feature.feature} over time`}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 4, right: 4, bottom: 4, left: 4 }}>
          <XAxis dataKey="t" hide />
          <YAxis hide domain={['auto', 'auto']} />
          <ChartTooltip formatter={(v) => formatNumber(Number(v))} />
          <Line
            type="monotone"
            dataKey="value"
            stroke="var(--mantine-color-blue-6)"
            dot={false}
            strokeWidth={2}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

function RuleEditor({
  project,
  deployment,
  feature,
  onClose,
}: {
  project: string;
  deployment: string;
  feature: DriftFeature;
  onClose: () => void;
}) {
  const [metric, setMetric] = useState(feature.metric);
  const [operator, setOperator] = useState(feature.operator);
  const [threshold, setThreshold] = useState<number | string>(feature.threshold);
  const update = useUpdateRule(project, deployment);
  const metricOptions = Object.entries(METRIC_LABEL)
    .filter(([key]) => feature.kind === 'numeric' || !key.startsWith('ks') && !key.startsWith('wasserstein'))
    .map(([value, label]) => ({ value, label }));
  return (
    <Modal opened onClose={onClose} title={`Drift rule for ${feature.feature}`}>
      <Stack>
        <Select label="Test" data={metricOptions} value={metric} onChange={(v) => v && setMetric(v)} allowDeselect={false} />
        <Select
          label="Operator"
          data={Object.entries(OPERATOR_LABEL).map(([value, label]) => ({ value, label }))}
          value={operator}
          onChange={(v) => v && setOperator(v)}
          allowDeselect={false}
        />
        <NumberInput label="Threshold" value={threshold} onChange={setThreshold} decimalScale={6} step={0.05} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            loading={update.isPending}
            onClick={() =>
              update.mutate(
                {
                  feature: feature.feature,
                  // the options are the keys of METRIC_LABEL and OPERATOR_LABEL: the schema's MetricEnum and OperatorEnum
                  rule: { metric: metric as RuleInput['metric'], operator: operator as RuleInput['operator'], threshold: Number(threshold) },
                },
                {
                  onSuccess: () => {
                    notifications.show({ message: `Rule saved; it applies from the next drift check.` });
                    onClose();
                  },
                  onError: (error) => notifications.show({ color: 'red', message: errorMessage(error) }),
                },
              )
            }
          >
            Save rule
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

const STATUS_ORDER: Record<string, number> = { error: 0, fail: 1, warn: 2, no_data: 3, ok: 4 };

type SortKey = 'status' | 'name' | 'change';

/** Search, sort and measure: the table stays usable with dozens of features (65 for the digits). */
export function useDriftView(features: DriftFeature[], search: string, sort: SortKey, measure: string) {
  return useMemo(() => {
    const needle = search.trim().toLowerCase();
    const value = (f: DriftFeature) => (measure === 'rule' ? f.value : (f.metrics[measure] ?? null));
    const rows = features.filter((f) => f.feature.toLowerCase().includes(needle));
    const sorted = [...rows];
    if (sort === 'name') sorted.sort((a, b) => a.feature.localeCompare(b.feature, undefined, { numeric: true }));
    if (sort === 'status') sorted.sort((a, b) => (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9));
    if (sort === 'change') sorted.sort((a, b) => (value(b) ?? -Infinity) - (value(a) ?? -Infinity));
    return { rows: sorted, value };
  }, [features, search, sort, measure]);
}

export function DriftTable({ project, deployment, features }: { project: string; deployment: string; features: DriftFeature[] }) {
  const [editing, setEditing] = useState<DriftFeature | null>(null);
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<SortKey>('status');
  const [measure, setMeasure] = useState('rule');
  const { rows, value } = useDriftView(features, search, sort, measure);
  return (
    <>
      <Group gap="sm" mb="sm" align="flex-end">
        <TextInput
          label="Search features"
          placeholder="e.g. pixel_3"
          leftSection={<IconSearch size={14} />}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={220}
        />
        <Select
          label="Sort by"
          data={[
            { value: 'status', label: 'Status (worst first)' },
            { value: 'change', label: 'Distribution change (largest first)' },
            { value: 'name', label: 'Feature name' },
          ]}
          value={sort}
          onChange={(v) => v && setSort(v as SortKey)}
          allowDeselect={false}
          w={260}
        />
        <Select
          label="Measure shown"
          data={[{ value: 'rule', label: "Each feature's rule test" }, ...Object.entries(METRIC_LABEL).map(([v, label]) => ({ value: v, label }))]}
          value={measure}
          onChange={(v) => v && setMeasure(v)}
          allowDeselect={false}
          w={260}
        />
        <Text size="sm" c="dimmed" data-testid="drift-count">
          {rows.length} of {features.length} features
        </Text>
      </Group>
      <Table.ScrollContainer minWidth={1000}>
        <Table verticalSpacing="xs" highlightOnHover aria-label="Drift per feature">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Status</Table.Th>
              <Table.Th>Feature</Table.Th>
              <Table.Th>Training data</Table.Th>
              <Table.Th>Prediction data</Table.Th>
              <Table.Th>Test type</Table.Th>
              <Table.Th>Distribution change</Table.Th>
              <Table.Th>Test rule</Table.Th>
              <Table.Th>Over time</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={8}>
                  <Text c="dimmed">No feature matches “{search}”.</Text>
                </Table.Td>
              </Table.Tr>
            ) : null}
            {rows.map((f) => {
              const labels = f.histogram.labels ?? [];
              return (
                <Table.Tr key={f.feature} data-testid={`drift-row-${f.feature}`} data-status={f.status}>
                  <Table.Td>
                    <StatusDot status={f.status} />
                  </Table.Td>
                  <Table.Td>
                    <Text fw={600}>{f.feature}</Text>
                    <Text size="xs" c="dimmed">
                      {f.role === 'prediction' ? 'Prediction' : 'Feature'} · {f.kind} · {f.n_current} rows
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <MiniHistogram
                      labels={labels}
                      values={f.histogram.reference ?? []}
                      color="var(--mantine-color-gray-6)"
                      title={`${f.feature} training data`}
                    />
                  </Table.Td>
                  <Table.Td>
                    <MiniHistogram
                      labels={labels}
                      values={f.histogram.current ?? []}
                      color={f.status === 'fail' ? 'var(--mantine-color-red-6)' : 'var(--mantine-color-blue-6)'}
                      title={`${f.feature} prediction data`}
                    />
                  </Table.Td>
                  <Table.Td>{measure === 'rule' ? (METRIC_LABEL[f.metric] ?? f.metric) : (METRIC_LABEL[measure] ?? measure)}</Table.Td>
                  <Table.Td>
                    <Tooltip
                      multiline
                      w={260}
                      label={Object.entries(f.metrics)
                        .map(([k, v]) => `${k}: ${formatNumber(v)}`)
                        .join(' · ')}
                    >
                      <Text ff="monospace" data-testid="drift-value">
                        {formatNumber(value(f))}
                      </Text>
                    </Tooltip>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Text size="sm">
                        {OPERATOR_LABEL[f.operator] ?? f.operator} {f.threshold}
                      </Text>
                      <ActionIcon variant="subtle" aria-label={`Edit rule for ${f.feature}`} onClick={() => setEditing(f)}>
                        <IconPencil size={16} />
                      </ActionIcon>
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Sparkline feature={f} />
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {editing ? (
        <RuleEditor project={project} deployment={deployment} feature={editing} onClose={() => setEditing(null)} />
      ) : null}
    </>
  );
}
