import type { ReactNode } from 'react';
import { Anchor, Badge, Button, Card, Code, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { Link, useParams } from 'react-router';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { type PolicyCheckView, PolicyCheckCard } from '@/components/PolicyCheckCard';
import { PageHeader } from '@/components/PageHeader';
import { formatDateTime, formatNumber } from '@/lib/format';
import { artifactUrl, formatBytes, type TensorSpec, useModelVersion } from '../api/registry';
import { LineageGraph } from '../components/LineageGraph';
import { DeploymentHistory } from '../components/DeploymentHistory';

function Specs({ title, specs }: { title: string; specs: TensorSpec[] | undefined }) {
  return (
    <>
      <Text fw={600} size="sm" mt="xs">
        {title}
      </Text>
      {(specs ?? []).length === 0 ? (
        <Text size="sm" c="dimmed">—</Text>
      ) : (
        (specs ?? []).map((s) => (
          <Text key={s.name} size="sm" ff="monospace">
            {s.name}: {s.dtype} [{s.shape.map((d) => (d === null ? 'N' : d)).join(', ')}]
          </Text>
        ))
      )}
    </>
  );
}

/** /projects/:slug/models/:model/versions/:number — the model card; ``children`` (what other features add
 * to the page) render once the version is known to exist. */
export function ModelVersionRoute({ children }: { children?: ReactNode } = {}) {
  const { slug = '', model = '', number = '0' } = useParams();
  const n = Number(number);
  const query = useModelVersion(slug, model, n);
  if (query.isPending) return <LoadingState rows={6} label="Loading version" />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const v = query.data;
  const sliceNames = Object.keys(v.slice_metrics);
  const sliceMetricNames = Array.from(new Set(sliceNames.flatMap((s) => Object.keys(v.slice_metrics[s] ?? {})))).sort();
  return (
    <>
      <PageHeader
        title={`${v.model} v${v.number}`}
        description={
          <>
            <Anchor component={Link} to={`/projects/${slug}`}>{slug}</Anchor> /{' '}
            <Anchor component={Link} to={`/projects/${slug}/models`}>models</Anchor> /{' '}
            <Anchor component={Link} to={`/projects/${slug}/models/${model}`}>{model}</Anchor> · {v.description || 'Model card'}
          </>
        }
        actions={
          <Button component="a" href={artifactUrl(slug, model, n)} leftSection={<IconDownload size={16} />} variant="light">
            Download artifact
          </Button>
        }
      />
      <div style={{ marginBottom: 16 }}>
        <PolicyCheckCard check={(v.policy_check ?? {}) as PolicyCheckView} policyHref={`/projects/${slug}?tab=data-policy`} />
      </div>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md" mb="md">
        <Card withBorder radius="md" padding="md" data-testid="model-card">
          <Title order={4} mb="xs">Artifact</Title>
          <Group gap={6} mb={4}>
            <Badge variant="light" tt="none">{v.format}</Badge>
            {v.framework && v.framework !== v.format ? <Badge variant="outline" tt="none">{v.framework}</Badge> : null}
            {v.code ? <Badge color="orange" tt="none">code: workers only</Badge> : null}
            {v.aliases.map((a) => <Badge key={a} tt="none">{a}</Badge>)}
          </Group>
          <Text size="sm">{v.artifact_filename || 'artifact'} · {formatBytes(v.artifact_size)}</Text>
          <Text size="xs" ff="monospace" c="dimmed">sha256 {v.artifact_sha256}</Text>
          {v.recipe ? <Text size="sm">Recipe: <Code>{v.recipe}</Code></Text> : null}
          <Text size="sm">Git commit: {v.git_commit ? <Code>{v.git_commit.slice(0, 12)}</Code> : '—'}</Text>
          <Text size="sm">Author: {v.author ?? '—'} · {formatDateTime(v.created_at)}</Text>
          <Text size="sm">
            Training dataset:{' '}
            {v.training_dataset ? (
              <Anchor component={Link} to={`/projects/${slug}/datasets/${v.training_dataset.dataset}?version=${v.training_dataset.number}`}>
                {v.training_dataset.dataset} v{v.training_dataset.number}
              </Anchor>
            ) : '—'}
          </Text>
          {v.environment.python ? (
            <Text size="xs" c="dimmed">
              Python {v.environment.python}
              {Object.entries(v.environment.packages ?? {}).map(([k, ver]) => ` · ${k} ${ver}`).join('')}
            </Text>
          ) : null}
        </Card>
        <Card withBorder radius="md" padding="md" data-testid="signature">
          <Title order={4} mb="xs">Signature</Title>
          <Specs title="Inputs" specs={v.signature.inputs} />
          <Specs title="Outputs" specs={v.signature.outputs} />
          {v.signature.features ? <Text size="xs" c="dimmed" mt="xs">{v.signature.features.length} named features</Text> : null}
        </Card>
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md" mb="md">
        <Card withBorder radius="md" padding="md">
          <Title order={4} mb="xs">Metrics</Title>
          {Object.keys(v.metrics).length === 0 ? <Text c="dimmed" size="sm">None recorded.</Text> : (
            <Table data-testid="version-metrics">
              <Table.Tbody>
                {Object.entries(v.metrics).map(([k, val]) => (
                  <Table.Tr key={k}><Table.Td>{k}</Table.Td><Table.Td>{formatNumber(Number(val))}</Table.Td></Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
        <Card withBorder radius="md" padding="md">
          <Title order={4} mb="xs">Per-slice metrics</Title>
          {sliceNames.length === 0 ? <Text c="dimmed" size="sm">None recorded.</Text> : (
            <Table data-testid="slice-metrics">
              <Table.Thead>
                <Table.Tr><Table.Th>Slice</Table.Th>{sliceMetricNames.map((m) => <Table.Th key={m}>{m}</Table.Th>)}</Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {sliceNames.map((s) => (
                  <Table.Tr key={s}>
                    <Table.Td>{s}</Table.Td>
                    {sliceMetricNames.map((m) => <Table.Td key={m}>{formatNumber(v.slice_metrics[s]?.[m])}</Table.Td>)}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
      </SimpleGrid>
      <Card withBorder radius="md" padding="md" mb="md">
        <Title order={4} mb="xs">Lineage</Title>
        <LineageGraph slug={slug} nodes={v.lineage.nodes} edges={v.lineage.edges} />
      </Card>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Card withBorder radius="md" padding="md">
          <Title order={4} mb="xs">Deployment history</Title>
          <DeploymentHistory slug={slug} deployments={v.deployments} />
        </Card>
        <Card withBorder radius="md" padding="md">
          <Title order={4} mb="xs">Rubric evidence</Title>
          {v.evidence.length === 0 ? <Text c="dimmed" size="sm">No evidence produced yet.</Text> : (
            <Stack gap={4}>
              {v.evidence.map((e) => (
                <Group key={e.id} gap={6}>
                  <Badge color={e.passed ? 'green' : 'red'} variant="light" tt="none">{e.test_id}</Badge>
                  <Text size="sm">{e.title}</Text>
                </Group>
              ))}
            </Stack>
          )}
        </Card>
      </SimpleGrid>
      {children}
    </>
  );
}
