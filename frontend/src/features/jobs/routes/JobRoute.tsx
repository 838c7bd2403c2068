import { Alert, Anchor, Badge, Button, Card, Code, Group, ScrollArea, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { formatDateTime } from '@/lib/format';
import { isActive, KIND_LABELS, useJob, useJobAction } from '../api/jobs';
import { JobReport } from '../components/JobReport';
import { JobProgress, JobStatusBadge } from '../components/JobStatus';

/** /jobs/:id — live progress and log while it runs; the report (charts and tables) once it is done. */
export function JobRoute() {
  const { id = '0' } = useParams();
  const query = useJob(Number(id));
  const cancel = useJobAction('cancel');
  const retry = useJobAction('retry');
  const navigate = useNavigate();
  if (query.isPending) return <LoadingState rows={6} label="Loading job" />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const job = query.data;
  const versionUrl = `/projects/${job.project}/models/${job.model.name}/versions/${job.model.number}`;
  return (
    <Stack gap="md">
      <PageHeader
        title={`Job #${job.id}: ${KIND_LABELS[job.kind]}`}
        description={
          <>
            <Anchor component={Link} to={versionUrl}>
              {job.model.name} v{job.model.number}
            </Anchor>{' '}
            · {job.project} · queue {job.queue} · device {job.device_used || job.device}
          </>
        }
        actions={
          <Group>
            {isActive(job.status) ? (
              <Button color="red" variant="light" loading={cancel.isPending} disabled={job.cancel_requested} onClick={() => cancel.mutate(job.id)}>
                {job.cancel_requested ? 'Stopping…' : 'Cancel'}
              </Button>
            ) : null}
            {job.status === 'failed' || job.status === 'cancelled' ? (
              <Button
                variant="light"
                loading={retry.isPending}
                onClick={() => retry.mutate(job.id, { onSuccess: (next) => void navigate(`/jobs/${next.id}`) })}
              >
                Retry
              </Button>
            ) : null}
          </Group>
        }
      />
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Card withBorder radius="md" padding="md">
          <Group mb="xs">
            <JobStatusBadge status={job.status} />
            {job.passed === true ? <Badge color="green">passed</Badge> : null}
            {job.passed === false ? <Badge color="red">did not pass</Badge> : null}
            <Text size="sm" c="dimmed">
              attempt {job.attempts}
            </Text>
          </Group>
          <JobProgress status={job.status} progress={job.progress} message={job.message} />
          <Text size="xs" c="dimmed" mt="xs">
            created {formatDateTime(job.created_at)} · started {formatDateTime(job.started_at)} · finished {formatDateTime(job.finished_at)}
          </Text>
          <Text size="xs" c="dimmed">
            worker {job.worker || '—'} · time limit {job.time_limit_s} s
          </Text>
          {job.produced.length > 0 ? (
            <Stack gap={2} mt="sm">
              <Text size="sm" fw={600}>
                Produced
              </Text>
              {job.produced.map((v) => (
                <Anchor key={v.id} component={Link} to={`/projects/${job.project}/models/${v.model}/versions/${v.number}`} data-testid="produced-version">
                  {v.model} v{v.number} ({v.format})
                </Anchor>
              ))}
            </Stack>
          ) : null}
          <Text size="sm" fw={600} mt="sm">
            Params
          </Text>
          <Code block fz={11}>
            {JSON.stringify(job.params, null, 1)}
          </Code>
        </Card>
        <Card withBorder radius="md" padding="md">
          <Title order={5} mb="xs">
            Log
          </Title>
          <ScrollArea h={300} type="auto">
            <Code block fz={11} data-testid="job-log" style={{ whiteSpace: 'pre-wrap' }}>
              {job.log.map((l) => `${l.t.slice(11, 19)} ${l.msg}`).join('\n')}
            </Code>
          </ScrollArea>
        </Card>
      </SimpleGrid>
      {job.status === 'failed' && job.message ? <Alert color="red" title="Failed">{job.message}</Alert> : null}
      <JobReport job={job} />
    </Stack>
  );
}
