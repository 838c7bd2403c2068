import { Anchor, Badge, Breadcrumbs, Card, Group, SegmentedControl, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '@/api/errors';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { formatDateTime } from '@/lib/format';
import { useCiRun, useRunCases } from '../api/ci';
import { CasesTable } from '../components/CasesTable';
import { DependencyDiff } from '../components/DependencyDiff';
import { formatDuration, shortCommit } from '../components/format';
import { RunStatusBadge } from '../components/RunStatusBadge';
import { formatNumber } from '@/lib/format';
import { NotFound } from '@/components/NotFound';

function Stat({ label, value, color }: { label: string; value: string | number; color?: string }) {
  return (
    <Card withBorder padding="sm" radius="md">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="lg" c={color}>
        {value}
      </Text>
    </Card>
  );
}

export function CiRunRoute() {
  const { slug = '', runId = '' } = useParams();
  const [status, setStatus] = useState('');
  const run = useCiRun(slug, runId);
  const cases = useRunCases(slug, runId, status, run.isSuccess);

  const crumbs = (
    <Breadcrumbs mb="sm">
      <Anchor component={Link} to="/ci" size="sm">
        CI
      </Anchor>
      <Anchor component={Link} to={`/projects/${slug}/ci`} size="sm">
        {slug}
      </Anchor>
      <Text size="sm">#{runId}</Text>
    </Breadcrumbs>
  );
  if (run.isPending) return <>{crumbs}<LoadingState rows={4} label="Loading run" /></>;
  if (run.isError) {
    if (run.error instanceof ApiError && run.error.status === 404) {
      return <>{crumbs}<NotFound title="Run not found" description={`There is no run #${runId} in ${slug}.`} backTo={`/projects/${slug}/ci`} backLabel="Back to the project's CI runs" /></>;
    }
    return <>{crumbs}<ErrorState error={run.error} onRetry={() => void run.refetch()} /></>;
  }
  const r = run.data;
  const failed = r.tests_failed + r.tests_errored;
  return (
    <>
      {crumbs}
      <PageHeader
        title={r.name || r.external_id}
        description={
          <>
            {r.provider} · {r.branch || 'no branch'} · <code>{shortCommit(r.commit)}</code> · {formatDateTime(r.finished_at ?? r.created_at)}
            {r.url ? (
              <>
                {' · '}
                <Anchor href={r.url} target="_blank" rel="noreferrer">
                  open in the pipeline
                </Anchor>
              </>
            ) : null}
          </>
        }
        actions={<RunStatusBadge status={r.status} />}
      />
      <SimpleGrid cols={{ base: 2, sm: 5 }} mb="lg">
        <Stat label="Tests" value={r.tests_total} />
        <Stat label="Failed" value={failed} color={failed ? 'red' : undefined} />
        <Stat label="Skipped" value={r.tests_skipped} />
        <Stat label="Duration" value={formatDuration(r.duration_s)} />
        <Stat label="Packages" value={r.lockfile_packages || '—'} />
      </SimpleGrid>
      {r.metrics.length > 0 ? (
        <Stack gap="xs" mb="lg">
          <Title order={3} fz="h4">
            Metrics
          </Title>
          <Group gap="sm">
            {r.metrics.map((m) => (
              <Badge
                key={m.name}
                color={m.verdict === 'regression' ? 'red' : m.verdict === 'baseline' ? 'teal' : 'gray'}
                variant={m.verdict === 'regression' ? 'filled' : 'light'}
                size="lg"
                tt="none"
                data-verdict={m.verdict}
              >
                {m.name} {formatNumber(m.value)}
                {m.verdict === 'baseline'
                  ? ' · baseline established'
                  : m.baseline !== null
                    ? ` (baseline ${formatNumber(m.baseline)})`
                    : ' · no baseline yet'}
                {m.verdict === 'regression' ? ' · regression' : ''}
              </Badge>
            ))}
          </Group>
        </Stack>
      ) : null}
      {r.dependency_change ? (
        <Stack gap="xs" mb="lg">
          <Title order={3} fz="h4">
            Dependency changes
          </Title>
          <DependencyDiff change={r.dependency_change} />
        </Stack>
      ) : null}
      <Group justify="space-between" mb="sm">
        <Title order={3} fz="h4">
          Test cases
        </Title>
        <SegmentedControl
          size="xs"
          value={status}
          onChange={setStatus}
          data={[
            { value: '', label: 'All' },
            { value: 'failed', label: 'Failed' },
            { value: 'error', label: 'Errors' },
            { value: 'skipped', label: 'Skipped' },
          ]}
        />
      </Group>
      {cases.isPending ? (
        <LoadingState rows={4} label="Loading test cases" />
      ) : cases.isError ? (
        <ErrorState error={cases.error} onRetry={() => void cases.refetch()} />
      ) : cases.data.count === 0 ? (
        <Text c="dimmed">No test cases.</Text>
      ) : (
        <CasesTable cases={cases.data.results} />
      )}
    </>
  );
}
