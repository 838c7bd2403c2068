import { Anchor, Badge, Button, Group, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { formatDateTime } from '@/lib/format';
import type { AlertItem } from '../api/monitoring';
import { useResolveAlert } from '../api/monitoring';

const SEVERITY_COLOR: Record<string, string> = { error: 'grape', warning: 'red', info: 'blue' };

export function AlertsList({ alerts }: { alerts: AlertItem[] }) {
  const resolve = useResolveAlert();
  if (alerts.length === 0) return <EmptyState title="No alerts" description="Nothing has fired." />;
  return (
    <Table aria-label="Alerts" verticalSpacing="xs">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Alert</Table.Th>
          <Table.Th>Opened</Table.Th>
          <Table.Th>Seen</Table.Th>
          <Table.Th>Evidence</Table.Th>
          <Table.Th />
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {alerts.map((a) => (
          <Table.Tr key={a.id} data-testid="alert-row">
            <Table.Td>
              <Stack gap={2}>
                <Group gap={6}>
                  <Badge color={SEVERITY_COLOR[a.severity] ?? 'gray'} variant="light" tt="none">
                    {a.severity}
                  </Badge>
                  <Badge color={a.status === 'open' ? 'red' : 'gray'} variant="outline" tt="none">
                    {a.status}
                  </Badge>
                  {a.link ? (
                    <Anchor component={Link} to={a.link} fw={600}>
                      {a.title}
                    </Anchor>
                  ) : (
                    <Text fw={600}>{a.title}</Text>
                  )}
                </Group>
                <Text size="xs" c="dimmed">
                  {a.project}
                  {a.deployment ? ` / ${a.deployment}` : ''}
                </Text>
              </Stack>
            </Table.Td>
            <Table.Td>{formatDateTime(a.opened_at)}</Table.Td>
            <Table.Td>
              {a.occurrences}× · {formatDateTime(a.last_seen_at)}
            </Table.Td>
            <Table.Td>
              {a.evidence ? (
                <Anchor component={Link} to={`/projects/${a.project}/rubric`}>
                  {a.evidence.test_id}
                </Anchor>
              ) : (
                '—'
              )}
            </Table.Td>
            <Table.Td>
              {a.status === 'open' ? (
                <Button size="xs" variant="default" loading={resolve.isPending} onClick={() => resolve.mutate(a.id)}>
                  Resolve
                </Button>
              ) : null}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
