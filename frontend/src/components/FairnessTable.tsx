import { Badge, Group, Stack, Table, Text } from '@mantine/core';
import type { components } from '@/api/schema';
import { formatNumber, formatRatio } from '@/lib/format';

export type FairnessReport = components['schemas']['FairnessJobReport'];
export type Grouping = components['schemas']['GroupingReport'];

/** A fairness report (fairlearn MetricFrame): per sensitive grouping, each group's metrics and the differences vs thresholds. */
export function FairnessTable({ report }: { report: Pick<FairnessReport, 'groupings' | 'thresholds' | 'rows' | 'data'> }) {
  const t = report.thresholds;
  return (
    <Stack gap="md" data-testid="fairness-report">
      <Text size="sm" c="dimmed">
        {formatNumber(report.rows, 6)} {report.data} rows · thresholds: accuracy difference ≤ {formatNumber(t.max_accuracy_difference)},
        demographic parity difference ≤ {formatNumber(t.max_demographic_parity_difference)}, equalized odds difference ≤{' '}
        {formatNumber(t.max_equalized_odds_difference)}
      </Text>
      {report.groupings.map((g) => (
        <Stack key={g.feature} gap={4}>
          <Group gap="xs">
            <Text fw={600}>{g.feature}</Text>
            <Badge variant="outline" tt="none">
              {g.source === 'slice' ? 'slice' : 'column'}
            </Badge>
            <Badge color={g.passed ? 'teal' : 'red'} variant="light" data-testid={`fairness-verdict-${g.feature}`}>
              {g.passed ? 'within thresholds' : 'over a threshold'}
            </Badge>
            <Text size="sm">
              accuracy diff {formatNumber(g.accuracy_difference, 3)} · demographic parity diff {formatNumber(g.demographic_parity_difference, 3)} ·
              equalized odds diff {formatNumber(g.equalized_odds_difference, 3)} (class {g.worst_class} vs rest)
            </Text>
          </Group>
          <Table aria-label={`Fairness by ${g.feature}`} striped withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Group</Table.Th>
                <Table.Th>Rows</Table.Th>
                <Table.Th>Accuracy</Table.Th>
                <Table.Th>Selection rate</Table.Th>
                <Table.Th>True positive rate</Table.Th>
                <Table.Th>False positive rate</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {g.groups.map((r) => (
                <Table.Tr key={r.group} data-testid="fairness-group">
                  <Table.Td>{r.group}</Table.Td>
                  <Table.Td>{formatNumber(r.count, 6)}</Table.Td>
                  <Table.Td>{formatRatio(r.accuracy)}</Table.Td>
                  <Table.Td>{formatRatio(r.selection_rate)}</Table.Td>
                  <Table.Td>{formatRatio(r.true_positive_rate)}</Table.Td>
                  <Table.Td>{formatRatio(r.false_positive_rate)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {g.violations.length ? (
            <Text size="sm" c="red">
              {g.violations.join('; ')}
            </Text>
          ) : null}
        </Stack>
      ))}
    </Stack>
  );
}
