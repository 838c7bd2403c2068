import { Alert, Badge, Group, Loader, Table, Text } from '@mantine/core';
import { formatDateTime, formatNumber } from '@/lib/format';
import type { PiiScan } from '../api/datasets';

const KIND_LABELS: Record<string, string> = {
  email: 'e-mail',
  phone: 'phone',
  card_number: 'card number',
  national_id: 'national id',
  iban: 'IBAN',
  ip_address: 'IP address',
  person_name: 'person name',
};

/** The PII scan of a dataset version (rubric data-5): per column, what was found and how often. */
export function PiiScanCard({ scan }: { scan: PiiScan }) {
  if (!scan.status) return null;
  if (scan.status === 'pending') {
    return (
      <Group gap="xs" data-testid="pii-scan" role="status">
        <Loader size="xs" />
        <Text size="sm">PII scan queued on a worker…</Text>
      </Group>
    );
  }
  if (scan.status === 'failed') {
    return <Alert color="red" title="The PII scan failed" data-testid="pii-scan">{scan.message}</Alert>;
  }
  const findings = scan.findings ?? [];
  const title = scan.passed
    ? findings.length
      ? 'PII scan: only declared sensitive columns hold personal data'
      : 'PII scan: no personal data found'
    : (scan.undeclared ?? []).length
      ? `PII scan: personal data in ${(scan.undeclared ?? []).length} undeclared column${(scan.undeclared ?? []).length === 1 ? '' : 's'}`
      : 'PII scan: sensitive columns are not access-restricted';
  return (
    <Alert color={scan.passed ? 'teal' : 'red'} title={title} data-testid="pii-scan">
      <Text size="sm" mb="xs">
        {formatNumber(scan.sampled_rows ?? 0)} of {formatNumber(scan.rows ?? 0)} rows scanned {formatDateTime(scan.scanned_at)}.
        {' '}Sensitive columns download for {scan.access?.min_role ?? 'maintainer'} and above; every download is logged.
        {' '}Only counts are kept, never the values.
      </Text>
      {findings.length ? (
        <Table withTableBorder={false} verticalSpacing={4} data-testid="pii-findings">
          <Table.Thead>
            <Table.Tr><Table.Th>Column</Table.Th><Table.Th>Found</Table.Th><Table.Th>Declared sensitive</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {findings.map((f) => (
              <Table.Tr key={f.column}>
                <Table.Td>{f.column}</Table.Td>
                <Table.Td>
                  {Object.entries(f.kinds).map(([kind, count]) => (
                    <Badge key={kind} variant="light" tt="none" mr={4}>
                      {KIND_LABELS[kind] ?? kind}: {formatNumber(count)}{f.by === 'column name' ? ' (by column name)' : ''}
                    </Badge>
                  ))}
                </Table.Td>
                <Table.Td>{f.declared ? <Badge color="teal" tt="none">declared</Badge> : <Badge color="red" tt="none">not declared</Badge>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
    </Alert>
  );
}
