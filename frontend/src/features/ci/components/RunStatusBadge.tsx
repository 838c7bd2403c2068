import { Badge } from '@mantine/core';

const COLORS: Record<string, string> = {
  passed: 'green',
  failed: 'red',
  error: 'orange',
  skipped: 'gray',
  running: 'blue',
  canceled: 'gray',
  unknown: 'gray',
};

export function RunStatusBadge({ status }: { status: string }) {
  return (
    <Badge color={COLORS[status] ?? 'gray'} variant="light" tt="none">
      {status}
    </Badge>
  );
}
