import { Anchor, Group, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { formatDateTime } from '@/lib/format';
import type { CiRun } from '../api/ci';
import { formatDuration, shortCommit } from './format';
import { RunStatusBadge } from './RunStatusBadge';

export function RunsTable({ slug, runs }: { slug: string; runs: CiRun[] }) {
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Status</Table.Th>
            <Table.Th>Run</Table.Th>
            <Table.Th>Branch</Table.Th>
            <Table.Th>Commit</Table.Th>
            <Table.Th>Tests</Table.Th>
            <Table.Th>Duration</Table.Th>
            <Table.Th>Finished</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {runs.map((run) => (
            <Table.Tr key={run.id} data-testid="ci-run-row">
              <Table.Td>
                <RunStatusBadge status={run.status} />
              </Table.Td>
              <Table.Td>
                <Anchor component={Link} to={`/projects/${slug}/ci/runs/${run.id}`} fw={600}>
                  {run.name || run.external_id}
                </Anchor>
                <Text size="xs" c="dimmed">
                  {run.provider}
                </Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{run.branch || '—'}</Text>
              </Table.Td>
              <Table.Td>
                <Text ff="monospace" size="sm">
                  {shortCommit(run.commit)}
                </Text>
              </Table.Td>
              <Table.Td>
                <Group gap={6} wrap="nowrap">
                  <Text size="sm">{run.tests_total}</Text>
                  {run.tests_failed + run.tests_errored > 0 ? (
                    <Text size="sm" c="red">
                      {run.tests_failed + run.tests_errored} failed
                    </Text>
                  ) : null}
                  {run.tests_skipped > 0 ? (
                    <Text size="sm" c="dimmed">
                      {run.tests_skipped} skipped
                    </Text>
                  ) : null}
                </Group>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{formatDuration(run.duration_s)}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm" c="dimmed">
                  {formatDateTime(run.finished_at ?? run.created_at)}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
