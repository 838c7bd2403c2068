import { Badge, Table, Text } from '@mantine/core';
import { formatDateTime } from '@/lib/format';
import type { DeploymentEvent } from '../api/deployments';

const KIND_COLOR: Record<string, string> = {
  rollback: 'red',
  auto_rollback: 'red',
  promote: 'teal',
  canary: 'orange',
  weight: 'orange',
  deploy: 'blue',
  create: 'blue',
  gate_override: 'grape',
};

function change(e: DeploymentEvent): string {
  const versions = e.from_version || e.to_version ? `v${e.from_version ?? '—'} → v${e.to_version ?? '—'}` : '';
  const weights = e.weight_to !== null ? ` (${e.weight_from ?? 0} % → ${e.weight_to} %)` : '';
  return versions + weights;
}

export function HistoryTable({ events }: { events: DeploymentEvent[] }) {
  if (events.length === 0) return <Text c="dimmed">No changes yet.</Text>;
  return (
    <Table striped aria-label="Deployment history">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>When</Table.Th>
          <Table.Th>Change</Table.Th>
          <Table.Th>Versions</Table.Th>
          <Table.Th>Who</Table.Th>
          <Table.Th>Reason</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {events.map((e) => (
          <Table.Tr key={e.id}>
            <Table.Td>{formatDateTime(e.created_at)}</Table.Td>
            <Table.Td>
              <Badge color={KIND_COLOR[e.kind] ?? 'gray'} variant="light">
                {e.kind.replace('_', ' ')}
              </Badge>
            </Table.Td>
            <Table.Td>{change(e)}</Table.Td>
            <Table.Td>{e.actor ?? 'Shipyard'}</Table.Td>
            <Table.Td>{e.reason}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
