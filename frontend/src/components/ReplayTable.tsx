import { Badge, Table, Text } from '@mantine/core';
import type { ReplayReport } from '@/api/explain';
import { formatNumber, formatRatio } from '@/lib/format';

const show = (v: unknown): string => (typeof v === 'number' ? formatNumber(v, 4) : JSON.stringify(v));

/** A replay: each logged request's original output next to the replayed version's. */
export function ReplayTable({ report }: { report: ReplayReport }) {
  return (
    <>
      <Text size="sm" mb="xs" data-testid="replay-summary">
        {report.summary} (agreement {formatRatio(report.agreement, 0)})
      </Text>
      <Table.ScrollContainer minWidth={600}>
        <Table aria-label="Replay side by side" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Request</Table.Th>
              <Table.Th>Original version</Table.Th>
              <Table.Th>Original output</Table.Th>
              <Table.Th>Replayed on v{report.version}</Table.Th>
              <Table.Th>Confidence</Table.Th>
              <Table.Th>Same?</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.rows.map((r) => (
              <Table.Tr key={r.request_id} data-testid="replay-row">
                <Table.Td>
                  <Text ff="monospace" size="xs">
                    {r.request_id}
                  </Text>
                </Table.Td>
                <Table.Td>v{r.original_version}</Table.Td>
                <Table.Td>{show(r.original_output)}</Table.Td>
                <Table.Td>{show(r.replay_output)}</Table.Td>
                <Table.Td>
                  {formatNumber(r.original_confidence, 3)} → {formatNumber(r.replay_confidence, 3)}
                </Table.Td>
                <Table.Td>
                  <Badge color={r.agrees ? 'teal' : 'orange'} variant="light">
                    {r.agrees ? 'same' : 'differs'}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}
