import { Badge, Group, Progress, Text } from '@mantine/core';
import type { JobStatus } from '../api/jobs';

const COLORS: Record<JobStatus, string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
  cancelled: 'yellow',
};

export function JobStatusBadge({ status }: { status: JobStatus }) {
  return (
    <Badge color={COLORS[status]} variant="light" data-testid="job-status">
      {status}
    </Badge>
  );
}

export function JobProgress({ status, progress, message }: { status: JobStatus; progress: number; message: string }) {
  return (
    <div>
      <Group justify="space-between" gap={4}>
        <Text size="xs" c="dimmed" lineClamp={1} style={{ maxWidth: 260 }}>
          {message}
        </Text>
        <Text size="xs" fw={600}>
          {Math.round(progress)}%
        </Text>
      </Group>
      <Progress
        value={progress}
        color={COLORS[status]}
        animated={status === 'running'}
        size="sm"
        aria-label="job progress"
        data-testid="job-progress"
      />
    </div>
  );
}
