import { Anchor, Button, Card, Group, Modal, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { IconBulb, IconDatabasePlus } from '@tabler/icons-react';
import { useState } from 'react';
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ErrorState } from '@/components/ErrorState';
import { ExplanationPanel } from '@/components/ExplanationPanel';
import { LoadingState } from '@/components/LoadingState';
import { formatDateTime, formatNumber, formatPercent } from '@/lib/format';
import { type Mistake, useFlywheel } from '../api/monitoring';
import { ExportReview } from './ExportReview';
import { preview } from './format';
import { InputPreview } from './InputPreview';

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <Card withBorder radius="md" padding="md">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fz={28} fw={700}>
        {value}
      </Text>
      {hint ? (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      ) : null}
    </Card>
  );
}

/** A logged row of numbers, as the heat map's input image. */
function pixels(inputs: unknown): number[][] | undefined {
  const row = Array.isArray(inputs) && Array.isArray(inputs[0]) ? inputs[0] : inputs;
  return Array.isArray(row) && row.every((v) => typeof v === 'number') ? [row as number[]] : undefined;
}

export function FlywheelPanel({ project, deployment }: { project: string; deployment: string }) {
  const [slice, setSlice] = useState('');
  const query = useFlywheel(project, deployment, slice);
  const [reviewing, setReviewing] = useState(false);
  const [explained, setExplained] = useState<Mistake | null>(null);
  if (query.isPending) return <LoadingState />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const data = query.data;
  const chart = [...data.daily].reverse().map((d) => ({
    date: d.date,
    predictions: d.predictions,
    confident: d.predictions ? (d.confident / d.predictions) * 100 : null,
    corrected: d.confident ? (d.corrected / d.confident) * 100 : null,
  }));
  return (
    <Stack gap="lg">
      {reviewing ? <ExportReview project={project} deployment={deployment} slice={slice} data={data} onClose={() => setReviewing(false)} /> : null}
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Stat
          label="% confident predictions"
          value={formatPercent(data.pct_confident)}
          hint={`confidence ≥ ${formatNumber(data.confidence_threshold)}; ${data.confident} of ${data.predictions}`}
        />
        <Stat
          label="% user-corrected of confident"
          value={formatPercent(data.pct_corrected_of_confident)}
          hint={`${data.corrected} corrected`}
        />
        <Stat label="Mistakes to learn from" value={String(data.mistakes_total)} hint={slice ? `slice ${slice}` : 'all traffic'} />
      </SimpleGrid>
      <Card withBorder radius="md" padding="md">
        <Title order={3} fz="h5" mb="sm">
          Recent performance
        </Title>
        <ResponsiveContainer width="100%" height={220}>
          <ComposedChart data={chart} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="date" />
            <YAxis yAxisId="n" />
            <YAxis yAxisId="pct" orientation="right" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} unit="%" />
            <Tooltip formatter={(v, name) => (String(name).startsWith('%') ? formatPercent(Number(v)) : formatNumber(Number(v)))} />
            <Legend />
            <Bar yAxisId="n" dataKey="predictions" name="predictions" fill="var(--mantine-color-gray-4)" />
            <Line yAxisId="pct" dataKey="confident" name="% confident" stroke="var(--mantine-color-blue-6)" strokeWidth={2} />
            <Line yAxisId="pct" dataKey="corrected" name="% corrected of confident" stroke="var(--mantine-color-red-6)" strokeWidth={2} />
          </ComposedChart>
        </ResponsiveContainer>
      </Card>
      <Card withBorder radius="md" padding="md">
        <Title order={3} fz="h5" mb="sm">
          Per day
        </Title>
        <Table aria-label="Flywheel per day" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Date</Table.Th>
              <Table.Th>Predictions</Table.Th>
              <Table.Th>Confident</Table.Th>
              <Table.Th>Corrected</Table.Th>
              <Table.Th>Mistakes</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.daily.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={5}>
                  <Text c="dimmed">No predictions yet.</Text>
                </Table.Td>
              </Table.Tr>
            ) : (
              data.daily.map((d) => (
                <Table.Tr key={d.date} data-testid="flywheel-day">
                  <Table.Td>{d.date}</Table.Td>
                  <Table.Td>{d.predictions}</Table.Td>
                  <Table.Td>{d.confident}</Table.Td>
                  <Table.Td>{d.corrected}</Table.Td>
                  <Table.Td>{d.mistakes}</Table.Td>
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </Card>
      <Card withBorder radius="md" padding="md">
        <Group justify="space-between" mb="sm">
          <Title order={3} fz="h5">
            Mistakes
          </Title>
          <Group>
            <Select
              aria-label="Slice"
              placeholder="All traffic"
              data={data.slices}
              value={slice || null}
              onChange={(v) => setSlice(v ?? '')}
              clearable
              w={200}
            />
            <Button
              leftSection={<IconDatabasePlus size={16} />}
              disabled={!data.can_export || data.mistakes_total === 0}
              onClick={() => setReviewing(true)}
            >
              Add to dataset
            </Button>
          </Group>
        </Group>
        <Table.ScrollContainer minWidth={700}>
          <Table aria-label="Mistakes" verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Inputs</Table.Th>
                <Table.Th>Model answer</Table.Th>
                <Table.Th>User answer</Table.Th>
                <Table.Th>Confidence</Table.Th>
                <Table.Th>Why?</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.mistakes.map((m) => (
                <Table.Tr key={m.id}>
                  <Table.Td>{formatDateTime(m.predicted_at)}</Table.Td>
                  <Table.Td>
                    <InputPreview value={m.inputs} size={32} />
                  </Table.Td>
                  <Table.Td>{preview(m.prediction)}</Table.Td>
                  <Table.Td>{preview(m.label)}</Table.Td>
                  <Table.Td>{formatNumber(m.confidence, 3)}</Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="light" leftSection={<IconBulb size={14} />} onClick={() => setExplained(m)} aria-label={`Explain ${m.request_id}`}>
                      Explain
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
      <Modal opened={explained !== null} onClose={() => setExplained(null)} title={explained ? `Why ${preview(explained.prediction)}? (user says ${preview(explained.label)})` : ''} size="xl">
        {explained ? (
          <ExplanationPanel
            project={project}
            deployment={deployment}
            body={{ request_id: explained.request_id }}
            inputs={pixels(explained.inputs)}
          />
        ) : null}
      </Modal>
      {data.exports.length > 0 ? (
        <Card withBorder radius="md" padding="md">
          <Title order={3} fz="h5" mb="sm">
            Added to datasets
          </Title>
          <Table aria-label="Dataset versions from feedback">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Dataset version</Table.Th>
                <Table.Th>From</Table.Th>
                <Table.Th>Examples</Table.Th>
                <Table.Th>Next model</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.exports.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/projects/${project}/datasets/${e.dataset}?version=${e.version}`}>
                      {e.dataset} v{e.version}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>v{e.base_version}</Table.Td>
                  <Table.Td>{e.examples}</Table.Td>
                  <Table.Td>
                    {e.next_model
                      ? `${e.next_model.model} v${e.next_model.version}: ${preview(e.next_model.on_examples ?? e.next_model.metrics, 80)}`
                      : 'not trained yet'}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      ) : null}
    </Stack>
  );
}
