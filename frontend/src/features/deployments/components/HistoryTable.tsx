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

/** "v2 → v3", or just "v3" where there was no version before (a new deployment or a new canary). */
export function change(e: Pick<DeploymentEvent, 'from_version' | 'to_version' | 'weight_from' | 'weight_to'>): string {
  const from = e.from_version ? `v${e.from_version}` : null;
  const to = e.to_version ? `v${e.to_version}` : null;
  const versions = from && to ? (from === to ? to : `${from} → ${to}`) : (to ?? from ?? '');
  const weights = e.weight_to !== null ? ` (${e.weight_from ?? 0} % → ${e.weight_to} %)` : '';
  return (versions + weights).trim();
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
