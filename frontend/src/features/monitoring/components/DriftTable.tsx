import { ActionIcon, Button, Group, Modal, NumberInput, Select, Stack, Table, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPencil } from '@tabler/icons-react';
import { useState } from 'react';
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

export function DriftTable({ project, deployment, features }: { project: string; deployment: string; features: DriftFeature[] }) {
  const [editing, setEditing] = useState<DriftFeature | null>(null);
  return (
    <>
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
            {features.map((f) => {
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
                  <Table.Td>{METRIC_LABEL[f.metric] ?? f.metric}</Table.Td>
                  <Table.Td>
                    <Tooltip
                      multiline
                      w={260}
                      label={Object.entries(f.metrics)
                        .map(([k, v]) => `${k}: ${formatNumber(v)}`)
                        .join(' · ')}
                    >
                      <Text ff="monospace">{formatNumber(f.value)}</Text>
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
