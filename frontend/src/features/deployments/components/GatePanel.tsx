import { Alert, Group, Loader, Table, Text } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconCircleX } from '@tabler/icons-react';
import { formatNumber, formatRatio } from '@/lib/format';
import type { CanaryComparison } from '../api/deployments';
import { useComparison, useGate } from '../api/deployments';

/** The quality gate's verdict for the version about to go live: metric, threshold, live comparison. */
export function GateResultPanel({ project, name, version }: { project: string; name: string; version: number | null }) {
  const gate = useGate(project, name, version);
  if (version === null) return null;
  if (gate.isPending) {
    return (
      <Group gap="xs">
        <Loader size="xs" />
        <Text size="sm">Checking the quality gate…</Text>
      </Group>
    );
  }
  if (gate.isError) {
    return (
      <Alert color="red" variant="light" title="Quality gate unavailable">
        {gate.error.message}
      </Alert>
    );
  }
  const g = gate.data;
  const color = !g.configured ? 'gray' : g.passed ? 'teal' : 'red';
  const icon = g.passed ? <IconCircleCheck size={18} /> : <IconCircleX size={18} />;
  const title = !g.configured ? 'Quality gate: not configured' : g.passed ? 'Quality gate: passes' : 'Quality gate: fails';
  return (
    <Alert color={color} variant="light" icon={icon} title={title} data-testid="gate-result">
      <Table withRowBorders={false} verticalSpacing={2} fz="sm" aria-label="Quality gate">
        <Table.Tbody>
          <Table.Tr>
            <Table.Th>Metric</Table.Th>
            <Table.Td>{g.metric}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>This version</Table.Th>
            <Table.Td data-testid="gate-value">{g.value === null ? 'not measured' : formatNumber(g.value)}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Threshold</Table.Th>
            <Table.Td data-testid="gate-threshold">{g.threshold === null ? 'none set' : formatNumber(g.threshold)}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Live version</Table.Th>
            <Table.Td data-testid="gate-live">{g.live_value === null ? '—' : formatNumber(g.live_value)}</Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      <Text size="xs" mt={4}>
        {g.message} (source: {g.source})
      </Text>
    </Alert>
  );
}

function row(label: string, c: CanaryComparison, pick: (s: NonNullable<CanaryComparison['live']>) => string) {
  return (
    <Table.Tr>
      <Table.Th>{label}</Table.Th>
      <Table.Td>{c.canary ? pick(c.canary) : '—'}</Table.Td>
      <Table.Td>{c.live ? pick(c.live) : '—'}</Table.Td>
    </Table.Tr>
  );
}

/** The canary against live since the canary started; warns when the canary has had no traffic. */
export function ComparisonPanel({ project, name }: { project: string; name: string }) {
  const comparison = useComparison(project, name, true);
  if (comparison.isPending) return <Loader size="xs" />;
  if (comparison.isError) {
    return (
      <Alert color="red" variant="light" title="Canary comparison unavailable">
        {comparison.error.message}
      </Alert>
    );
  }
  const c = comparison.data;
  if (c.canary === null) return null;
  return (
    <>
      {c.no_traffic ? (
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={18} />} title="The canary has had no traffic" data-testid="no-traffic">
          v{c.canary.version} has served no request since it started, so nothing shows it behaves like the live version. Send traffic (or
          raise its weight) before promoting.
        </Alert>
      ) : c.enough_traffic === false ? (
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={18} />} title="Little canary traffic">
          v{c.canary.version} has served {c.canary.count} requests; canary analysis needs {c.thresholds.min_requests}.
        </Alert>
      ) : null}
      {c.breaches.length > 0 ? (
        <Alert color="red" variant="light" title="The canary is worse than live" data-testid="canary-breaches">
          Breaches: {c.breaches.map((b) => (b === 'p99' ? `p99 latency above ${formatNumber(c.thresholds.max_p99_ratio)}× live` : `error rate more than ${formatRatio(c.thresholds.max_error_rate_delta)} above live`)).join('; ')}.
        </Alert>
      ) : null}
      <Table fz="sm" aria-label="Canary against live" withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th />
            <Table.Th>Canary v{c.canary.version}</Table.Th>
            <Table.Th>Live v{c.live?.version}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {row('Requests', c, (s) => formatNumber(s.count, 6))}
          {row('Error rate', c, (s) => (s.error_rate === null ? '—' : formatRatio(s.error_rate)))}
          {row('p99 latency', c, (s) => (s.p99_ms === null ? '—' : `${formatNumber(s.p99_ms)} ms`))}
        </Table.Tbody>
      </Table>
    </>
  );
}
