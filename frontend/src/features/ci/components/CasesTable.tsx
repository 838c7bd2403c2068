import { Badge, Code, Group, Table, Text } from '@mantine/core';
import type { TestCase } from '../api/ci';
import { formatDuration } from './format';
import { RunStatusBadge } from './RunStatusBadge';

/** Test cases as the API returns them: failures first. */
export function CasesTable({ cases }: { cases: TestCase[] }) {
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={90}>Status</Table.Th>
            <Table.Th>Test</Table.Th>
            <Table.Th w={110}>Duration</Table.Th>
            <Table.Th w={160}>Rubric</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {cases.map((c) => (
            <Table.Tr key={c.id} data-testid="ci-case-row" data-status={c.status}>
              <Table.Td>
                <RunStatusBadge status={c.status} />
              </Table.Td>
              <Table.Td>
                <Text size="sm" fw={500}>
                  {c.name}
                </Text>
                {c.classname ? (
                  <Text size="xs" c="dimmed">
                    {c.classname}
                  </Text>
                ) : null}
                {c.message && (c.status === 'failed' || c.status === 'error') ? (
                  <Code block mt={6} mah={160} style={{ overflow: 'auto' }}>
                    {c.message}
                  </Code>
                ) : null}
              </Table.Td>
              <Table.Td>
                <Text size="sm">{formatDuration(c.duration_s)}</Text>
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {c.rubric_ids.map((id) => (
                    <Badge key={id} variant="outline" size="sm" tt="none">
                      {id}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
