import { Alert, Anchor, Badge, Group, List, Text } from '@mantine/core';
import { Link } from 'react-router';
import { formatDateTime } from '@/lib/format';

/** `policy_check` of a dataset or model version (rubric data-4); empty when the project has no policy. */
export interface PolicyCheckView {
  mode?: 'block' | 'warn';
  checked_at?: string;
  features?: number;
  passed?: boolean;
  violations?: { rule: string; feature: string; message: string }[];
}

/** The feature policy check of one version: passed, or each violation with its rule. */
export function PolicyCheckCard({ check, policyHref }: { check: PolicyCheckView; policyHref: string }) {
  if (!check.checked_at) {
    return (
      <Text size="sm" c="dimmed" data-testid="policy-check">
        Feature policy: not checked (the project has no feature policy; <Anchor component={Link} to={policyHref} size="sm">set one</Anchor>).
      </Text>
    );
  }
  const violations = check.violations ?? [];
  if (check.passed) {
    return (
      <Alert color="teal" title="Feature policy: passed" data-testid="policy-check">
        {check.features ?? 0} features meet the project's feature policy (checked {formatDateTime(check.checked_at)}).
      </Alert>
    );
  }
  return (
    <Alert color="orange" title={`Feature policy: ${violations.length} violation${violations.length === 1 ? '' : 's'}`} data-testid="policy-check">
      <Text size="sm" mb="xs">
        Registered under a <b>{check.mode}</b> policy, checked {formatDateTime(check.checked_at)}. <Anchor component={Link} to={policyHref} size="sm">Edit the policy</Anchor>
      </Text>
      <List size="sm" spacing={4}>
        {violations.map((v, i) => (
          <List.Item key={`${v.rule}-${v.feature}-${i}`}>
            <Group gap={6} wrap="nowrap">
              <Badge size="xs" variant="light" color="orange" tt="none">{v.rule}</Badge>
              <Text size="sm">{v.message}</Text>
            </Group>
          </List.Item>
        ))}
      </List>
    </Alert>
  );
}
