import { Anchor, Breadcrumbs, Button, Card, Checkbox, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { IconBulb, IconPlayerPlay } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { ExplanationPanel } from '@/components/ExplanationPanel';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { ReplayTable } from '@/components/ReplayTable';
import { formatDateTime, formatNumber } from '@/lib/format';
import { useDeployment } from '../api/deployments';
import { type LoggedPrediction, usePredictions, useReplay, useVersionNumbers } from '../api/debugging';

const preview = (v: unknown, max = 60): string => {
  const text = JSON.stringify(v) ?? '';
  return text.length > max ? `${text.slice(0, max)}…` : text;
};
const row = (p: LoggedPrediction): number[] | undefined => {
  const v = Array.isArray(p.inputs) && Array.isArray(p.inputs[0]) ? p.inputs[0] : p.inputs;
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
};

/** The deployment's logged predictions: explain any of them (attributions on a worker) or replay them on another version. */
export function PredictionsRoute() {
  const { project = '', name = '' } = useParams();
  const deployment = useDeployment(project, name);
  const predictions = usePredictions(project, name);
  const versions = useVersionNumbers(project, deployment.data?.model ?? '');
  const replay = useReplay(project, name);
  const [explained, setExplained] = useState<LoggedPrediction | null>(null);
  const [selected, setSelected] = useState<string[]>([]);
  const [version, setVersion] = useState<string | null>(null);

  if (predictions.isPending || deployment.isPending) return <LoadingState rows={4} label="Loading predictions" />;
  if (predictions.isError) return <ErrorState error={predictions.error} onRetry={() => void predictions.refetch()} />;
  if (deployment.isError) return <ErrorState error={deployment.error} onRetry={() => void deployment.refetch()} />;
  const items = predictions.data.results;
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  return (
    <>
      <Breadcrumbs mb="sm">
        <Anchor component={Link} to="/deployments" size="sm">
          Deployments
        </Anchor>
        <Anchor component={Link} to={`/deployments/${project}/${name}`} size="sm">
          {name}
        </Anchor>
        <Text size="sm">Predictions</Text>
      </Breadcrumbs>
      <PageHeader title={`${name}: predictions`} description="Explain a logged prediction, or replay requests on any version of the model." />
      {items.length === 0 ? (
        <EmptyState title="No logged predictions yet" description={`Send requests to POST /serve/${project}/${name}/predict; logged ones appear here.`} />
      ) : (
        <Stack gap="lg">
          <Card withBorder>
            <Group justify="space-between" mb="sm">
              <Title order={3} fz="h5">
                Recent predictions
              </Title>
              <Group>
                <Select
                  aria-label="Replay on version"
                  placeholder="Replay on version…"
                  data={(versions.data ?? []).map((v) => ({ value: String(v.number), label: `v${v.number} (${v.format})` }))}
                  value={version}
                  onChange={setVersion}
                  w={200}
                />
                <Button
                  leftSection={<IconPlayerPlay size={16} />}
                  disabled={!version || selected.length === 0}
                  loading={replay.isPending}
                  onClick={() => replay.mutate({ request_ids: selected, version: Number(version) })}
                >
                  Replay {selected.length || ''} selected
                </Button>
              </Group>
            </Group>
            <Table.ScrollContainer minWidth={800}>
              <Table aria-label="Logged predictions" verticalSpacing="xs" highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Replay</Table.Th>
                    <Table.Th>When</Table.Th>
                    <Table.Th>Version</Table.Th>
                    <Table.Th>Inputs</Table.Th>
                    <Table.Th>Output</Table.Th>
                    <Table.Th>Confidence</Table.Th>
                    <Table.Th>Explain</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((p) => (
                    <Table.Tr key={p.request_id} data-testid="prediction-row">
                      <Table.Td>
                        <Checkbox aria-label={`Select ${p.request_id}`} checked={selected.includes(p.request_id)} onChange={() => toggle(p.request_id)} />
                      </Table.Td>
                      <Table.Td>{formatDateTime(p.created_at)}</Table.Td>
                      <Table.Td>v{p.version}</Table.Td>
                      <Table.Td>
                        <Text ff="monospace" size="xs">
                          {preview(p.inputs)}
                        </Text>
                      </Table.Td>
                      <Table.Td>{preview(p.outputs, 20)}</Table.Td>
                      <Table.Td>{formatNumber(p.confidence, 3)}</Table.Td>
                      <Table.Td>
                        <Button size="xs" variant="light" leftSection={<IconBulb size={14} />} onClick={() => setExplained(p)} aria-label={`Explain ${p.request_id}`}>
                          Explain
                        </Button>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Card>
          {replay.isError ? <ErrorState error={replay.error} title="Replay failed" /> : null}
          {replay.isError ? null : replay.data ? (
            <Card withBorder>
              <Title order={3} fz="h5" mb="xs">
                Replay
              </Title>
              <ReplayTable report={replay.data} />
            </Card>
          ) : null}
          {explained ? (
            <Card withBorder>
              <Title order={3} fz="h5" mb="xs">
                Why {preview(explained.outputs, 20)}? Request {explained.request_id}
              </Title>
              <ExplanationPanel
                key={explained.request_id}
                project={project}
                deployment={name}
                body={{ request_id: explained.request_id }}
                inputs={row(explained) ? [row(explained) as number[]] : undefined}
              />
            </Card>
          ) : null}
        </Stack>
      )}
    </>
  );
}
