import { Badge, Card, Group, Stack, Text } from '@mantine/core';
import { formatDateTime } from '@/lib/format';
import type { DependencyChange } from '../api/ci';
import { shortCommit } from './format';

export function DependencyDiff({ change }: { change: DependencyChange }) {
  return (
    <Card withBorder radius="md" padding="md" data-testid="ci-dependency-change">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>
          {change.branch || '—'} · {shortCommit(change.previous_commit)} → {shortCommit(change.commit)}
        </Text>
        <Text size="sm" c="dimmed">
          {formatDateTime(change.created_at)}
        </Text>
      </Group>
      <Stack gap={4}>
        {Object.entries(change.added).map(([name, version]) => (
          <Group key={`a-${name}`} gap="xs">
            <Badge color="green" variant="light" miw={84}>
              added
            </Badge>
            <Text ff="monospace" size="sm">
              {name} {version}
            </Text>
          </Group>
        ))}
        {Object.entries(change.removed).map(([name, version]) => (
          <Group key={`r-${name}`} gap="xs">
            <Badge color="red" variant="light" miw={84}>
              removed
            </Badge>
            <Text ff="monospace" size="sm">
              {name} {version}
            </Text>
          </Group>
        ))}
        {Object.entries(change.changed).map(([name, [before, after]]) => (
          <Group key={`c-${name}`} gap="xs">
            <Badge color="yellow" variant="light" miw={84}>
              changed
            </Badge>
            <Text ff="monospace" size="sm">
              {name} {before} → {after}
            </Text>
          </Group>
        ))}
      </Stack>
    </Card>
  );
}
