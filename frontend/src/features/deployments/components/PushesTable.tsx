import { Anchor, Badge, Code, Stack, Table, Text } from '@mantine/core';
import { formatDateTime, formatNumber } from '@/lib/format';
import type { Push } from '../api/pushes';

export const PUSH_STATUS: Record<Push['status'], { label: string; color: string }> = {
  evaluating: { label: 'evaluating', color: 'blue' },
  canary: { label: 'canary', color: 'orange' },
  promoted: { label: 'promoted', color: 'teal' },
  rolled_back: { label: 'rolled back', color: 'red' },
  gate_failed: { label: 'gate failed', color: 'red' },
  failed: { label: 'failed', color: 'red' },
  superseded: { label: 'superseded', color: 'gray' },
};

/** "accuracy 0.9733 (live 0.9650, threshold 0.8)", or what is known so far. */
export function gateSummary(push: Pick<Push, 'gate' | 'status'>): string {
  const g = push.gate;
  if (g.passed === undefined) return push.status === 'evaluating' ? 'waiting for the evaluation' : '—';
  const parts = [`${g.metric ?? 'metric'} ${formatNumber(g.value)}`];
  if (g.live_value !== null && g.live_value !== undefined) parts.push(`live ${formatNumber(g.live_value)}`);
  if (g.threshold !== null && g.threshold !== undefined) parts.push(`threshold ${formatNumber(g.threshold)}`);
  return `${g.passed ? 'passed' : 'failed'}: ${parts[0]}${parts.length > 1 ? ` (${parts.slice(1).join(', ')})` : ''}`;
}

export function PushesTable({ pushes }: { pushes: Push[] }) {
  if (pushes.length === 0)
    return (
      <Stack gap={4}>
        <Text c="dimmed">No pushes yet.</Text>
        <Text size="sm" c="dimmed">
          From CI: <Code>shipyard push model.onnx --project … --model … --deployment …</Code>
        </Text>
      </Stack>
    );
  return (
    <Table striped aria-label="Pushes from CI">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>When</Table.Th>
          <Table.Th>Version</Table.Th>
          <Table.Th>Commit</Table.Th>
          <Table.Th>CI run</Table.Th>
          <Table.Th>Quality gate</Table.Th>
          <Table.Th>Outcome</Table.Th>
          <Table.Th>What happened</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {pushes.map((p) => {
          const status = PUSH_STATUS[p.status];
          const runUrl = p.ci_url || p.ci_run?.url || '';
          return (
            <Table.Tr key={p.id}>
              <Table.Td>{formatDateTime(p.created_at)}</Table.Td>
              <Table.Td>v{p.version}</Table.Td>
              <Table.Td>
                <Code>{p.commit.slice(0, 12)}</Code> {p.branch}
              </Table.Td>
              <Table.Td>
                {p.ci_run ? `${p.ci_run.external_id} (${p.ci_run.status})` : '—'}
                {runUrl && (
                  <>
                    {' '}
                    <Anchor href={runUrl} target="_blank" rel="noreferrer" size="sm">
                      open
                    </Anchor>
                  </>
                )}
              </Table.Td>
              <Table.Td>{gateSummary(p)}</Table.Td>
              <Table.Td>
                <Badge color={status.color} variant="light" data-testid={`push-status-${p.id}`}>
                  {status.label}
                </Badge>
              </Table.Td>
              <Table.Td>{p.message}</Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
