import { ActionIcon, Alert, Badge, Button, Checkbox, Group, NumberInput, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { ApiError, type FieldErrors } from '@/api/errors';
import { useDeleteMetricPolicy, useMetricPolicies, useSetMetricPolicy, type MetricPolicy } from '../api/ci';
import { formatNumber, formatRatio } from '@/lib/format';

function describeTolerance(policy: MetricPolicy): string {
  return policy.relative ? formatRatio(policy.tolerance, 2) : `± ${formatNumber(policy.tolerance)}`;
}

export function MetricPoliciesEditor({ slug }: { slug: string }) {
  const policies = useMetricPolicies(slug);
  const save = useSetMetricPolicy(slug);
  const remove = useDeleteMetricPolicy(slug);
  const [metric, setMetric] = useState('');
  const [direction, setDirection] = useState<string | null>('higher');
  const [kind, setKind] = useState<string | null>('quality');
  const [tolerance, setTolerance] = useState<number | string>(0.01);
  const [relative, setRelative] = useState(false);
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});
  const serverErrors = save.error instanceof ApiError ? save.error.fields : {};
  const errors = { ...serverErrors, ...clientErrors };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: FieldErrors = {};
    if (!metric.trim()) found.metric = ['Name the metric, as your CI reports it.'];
    const value = Number(tolerance);
    if (tolerance === '' || !Number.isFinite(value) || value < 0) found.tolerance = ['A number of 0 or more.'];
    setClientErrors(found);
    if (Object.keys(found).length || !direction || !kind) return;
    save.reset();
    save.mutate(
      {
        metric: metric.trim(),
        direction: direction as MetricPolicy['direction'],
        kind: kind as MetricPolicy['kind'],
        tolerance: value,
        relative,
      },
      { onSuccess: () => setMetric('') },
    );
  };

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        Metrics without a policy use defaults by name (accuracy-like: higher is better, 0.01 absolute; loss and error: lower, 5 %;
        latency and size: lower, 10 %; throughput: higher, 10 %). Quality metrics feed monitor-7, performance metrics monitor-6.
      </Text>
      <form onSubmit={submit} noValidate>
        <Group align="flex-start">
          <TextInput
            label="Metric"
            name="metric"
            placeholder="f1_macro"
            value={metric}
            onChange={(e) => setMetric(e.currentTarget.value)}
            error={errors.metric?.[0]}
            w={200}
          />
          <Select
            label="Better when"
            name="direction"
            data={[
              { value: 'higher', label: 'higher' },
              { value: 'lower', label: 'lower' },
            ]}
            value={direction}
            onChange={setDirection}
            error={errors.direction?.[0]}
            allowDeselect={false}
            w={120}
          />
          <NumberInput
            label="Tolerance"
            name="tolerance"
            value={tolerance}
            onChange={setTolerance}
            min={0}
            step={0.01}
            decimalScale={6}
            error={errors.tolerance?.[0]}
            w={120}
          />
          <Checkbox
            label="relative (fraction of the baseline)"
            name="relative"
            checked={relative}
            onChange={(e) => setRelative(e.currentTarget.checked)}
            mt={32}
          />
          <Select
            label="Kind"
            name="kind"
            data={[
              { value: 'quality', label: 'quality (monitor-7)' },
              { value: 'performance', label: 'performance (monitor-6)' },
            ]}
            value={kind}
            onChange={setKind}
            error={errors.kind?.[0]}
            allowDeselect={false}
            w={200}
          />
          <Button type="submit" mt={25} loading={save.isPending}>
            Save policy
          </Button>
        </Group>
      </form>
      {save.error && !Object.keys(serverErrors).length ? <Alert color="red">{save.error.message}</Alert> : null}
      {remove.error ? <Alert color="red">{remove.error.message}</Alert> : null}
      {policies.isError ? <Alert color="red">{policies.error.message}</Alert> : null}
      {policies.data && policies.data.length > 0 ? (
        <Table verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Metric</Table.Th>
              <Table.Th>Better when</Table.Th>
              <Table.Th>Tolerance</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th w={60} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {policies.data.map((policy) => (
              <Table.Tr key={policy.metric} data-testid="ci-metric-policy">
                <Table.Td>
                  <Text ff="monospace" size="sm">
                    {policy.metric}
                  </Text>
                </Table.Td>
                <Table.Td>{policy.direction}</Table.Td>
                <Table.Td>{describeTolerance(policy)}</Table.Td>
                <Table.Td>
                  <Badge variant="light" tt="none">
                    {policy.kind === 'quality' ? 'quality · monitor-7' : 'performance · monitor-6'}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <ActionIcon
                    variant="subtle"
                    color="red"
                    aria-label={`Delete policy ${policy.metric}`}
                    onClick={() => remove.mutate(policy.metric)}
                  >
                    <IconTrash size={16} />
                  </ActionIcon>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : policies.data ? (
        <Text size="sm" c="dimmed">
          No policies: every metric uses the defaults.
        </Text>
      ) : null}
    </Stack>
  );
}
