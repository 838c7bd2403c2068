import { Anchor, Badge, Card, CloseButton, Code, Group, Select, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useCurrentTeam } from '@/lib/current-team';
import { formatDateTime } from '@/lib/format';
import { JOB_KINDS, JOB_STATUSES, KIND_LABELS, useJobs } from '../api/jobs';
import { JobProgress, JobStatusBadge } from '../components/JobStatus';

/** /jobs — every job of the caller's teams, filterable, with live progress and log tails. */
export function JobsRoute() {
  const { team } = useCurrentTeam();
  const [params, setParams] = useSearchParams();
  const project = params.get('project') || undefined;
  const [kind, setKind] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const query = useJobs({ kind: kind ?? undefined, status: status ?? undefined, project, team: team?.slug });
  const filtered = Boolean(kind || status || project);
  return (
    <>
      <PageHeader title="Jobs" description="Training tests, evaluation, export, quantization, pruning and distillation on CPU and GPU workers." />
      <Group mb="md" align="flex-end">
        {project ? (
          <Badge
            size="lg"
            variant="light"
            tt="none"
            rightSection={
              <CloseButton size="xs" aria-label="Show jobs of every project" onClick={() => setParams({})} />
            }
          >
            Project: {project}
          </Badge>
        ) : null}
        <Select
          label="Kind"
          placeholder="All kinds"
          clearable
          data={JOB_KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] }))}
          value={kind}
          onChange={setKind}
          w={220}
        />
        <Select label="Status" placeholder="All statuses" clearable data={[...JOB_STATUSES]} value={status} onChange={setStatus} w={180} />
      </Group>
      {query.isPending ? <LoadingState rows={5} label="Loading jobs" /> : null}
      {query.isError ? <ErrorState error={query.error} onRetry={() => void query.refetch()} /> : null}
      {query.data && query.data.results.length === 0 ? (
        filtered ? (
          <EmptyState title="No matching jobs" description="No job matches these filters. Clear a filter to see more." />
        ) : (
          <EmptyState title="No jobs yet" description="Start one from a model version: Run training tests, Export to ONNX, Quantize, Prune or Distill." />
        )
      ) : null}
      {query.data && query.data.results.length > 0 ? (
        <Card withBorder radius="md" padding={0}>
          <Table striped highlightOnHover verticalSpacing="xs" data-testid="jobs-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Job</Table.Th>
                <Table.Th>Kind</Table.Th>
                <Table.Th>Version</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th w={280}>Progress</Table.Th>
                <Table.Th>Log</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {query.data.results.map((job) => (
                <Table.Tr key={job.id} data-testid={`job-row-${job.id}`}>
                  <Table.Td>
                    <Anchor component={Link} to={`/jobs/${job.id}`}>
                      #{job.id}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{KIND_LABELS[job.kind]}</Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/projects/${job.project}/models/${job.model.name}/versions/${job.model.number}`}>
                      {job.model.name} v{job.model.number}
                    </Anchor>
                    <Text size="xs" c="dimmed">
                      {job.project} · {job.queue}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <JobStatusBadge status={job.status} />
                  </Table.Td>
                  <Table.Td>
                    <JobProgress status={job.status} progress={job.progress} message={job.message} />
                  </Table.Td>
                  <Table.Td>
                    <Code block fz={11} style={{ maxWidth: 360, whiteSpace: 'pre-wrap' }}>
                      {job.log_tail.map((l) => l.msg).join('\n') || '—'}
                    </Code>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">{formatDateTime(job.created_at)}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      ) : null}
    </>
  );
}
