import { Badge, Button, Card, Group, NumberInput, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { errorMessage } from '@/api/errors';
import { type FairnessReport, FairnessTable } from '@/components/FairnessTable';
import { formatDateTime } from '@/lib/format';
import type { DeploymentMonitoring, MonitorConfig, MonitorInfo } from '../api/monitoring';
import { useUpdateConfig } from '../api/monitoring';
import { StatusBadge } from './StatusDot';
import { formatNumber } from '@/lib/format';

/** What each monitor's history charts, so the y axis reads as a quantity, not a bare number. */
export const MONITOR_AXIS: Record<string, string> = {
  drift: 'drifted features',
  invariants: 'violations',
  skew: 'mismatch rate',
  staleness: 'age (days)',
  numerics: 'NaN/Inf outputs',
  performance: 'p99 latency (ms)',
  quality: 'accuracy',
  fairness: 'largest difference between groups',
  error_rate: 'failed share',
  latency: 'p99 latency (ms)',
};

const shortTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

function MonitorCard({ monitor }: { monitor: MonitorInfo }) {
  const data = monitor.series.map((p) => ({ t: shortTime.format(new Date(p.t)), value: p.value }));
  const axis = MONITOR_AXIS[monitor.kind];
  return (
    <Card withBorder radius="md" padding="md" data-testid={`monitor-${monitor.kind}`}>
      <Group justify="space-between" mb={4}>
        <Text fw={600}>{monitor.label}</Text>
        <Group gap={6}>
          <Badge variant="outline" tt="none">
            {monitor.rubric_test}
          </Badge>
          <StatusBadge status={monitor.status} />
        </Group>
      </Group>
      <Text size="sm" c="dimmed" mb="xs">
        {monitor.summary} {monitor.computed_at ? `· ${formatDateTime(monitor.computed_at)}` : ''}
      </Text>
      {data.length === 0 ? (
        <Text size="sm" c="dimmed" h={140} data-testid={`monitor-${monitor.kind}-empty`}>
          No history yet: the chart fills in once this monitor has run.
        </Text>
      ) : (
        <>
          {axis ? (
            <Text size="xs" c="dimmed">
              {axis}
            </Text>
          ) : null}
          <ResponsiveContainer width="100%" height={140}>
            <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="t" fontSize={11} minTickGap={24} />
              <YAxis width={48} fontSize={11} interval={0} tickFormatter={(v) => formatNumber(Number(v), 2)} />
              <Tooltip formatter={(v) => [formatNumber(Number(v)), axis ?? 'value']} />
              <Line type="monotone" dataKey="value" stroke="var(--mantine-color-blue-6)" dot={false} strokeWidth={2} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </>
      )}
      {monitor.kind === 'fairness' && Array.isArray(monitor.detail.groupings) ? (
        <FairnessTable report={monitor.detail as unknown as FairnessReport} />
      ) : null}
    </Card>
  );
}

function SettingsCard({ project, deployment, config }: { project: string; deployment: string; config: MonitorConfig }) {
  const [values, setValues] = useState<Partial<MonitorConfig>>({});
  const update = useUpdateConfig(project, deployment);
  const merged = { ...config, ...values };
  return (
    <Card withBorder radius="md" padding="md">
      <Title order={3} fz="h5" mb="sm">
        Settings
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Select
          label="Drift window"
          data={[
            { value: 'hour', label: 'Last hour' },
            { value: 'day', label: 'Last day' },
            { value: 'last_n', label: 'Last N predictions' },
          ]}
          value={merged.window_kind}
          onChange={(v) => v && setValues({ ...values, window_kind: v as MonitorConfig['window_kind'] })}
          allowDeselect={false}
        />
        <NumberInput label="N (last N predictions)" value={merged.window_n} min={10} onChange={(v) => setValues({ ...values, window_n: Number(v) })} />
        <NumberInput
          label="Confidence threshold"
          value={merged.confidence_threshold}
          min={0}
          max={1}
          step={0.05}
          decimalScale={3}
          onChange={(v) => setValues({ ...values, confidence_threshold: Number(v) })}
        />
        <NumberInput label="Staleness limit (days)" value={merged.staleness_limit_days} min={1} onChange={(v) => setValues({ ...values, staleness_limit_days: Number(v) })} />
        <NumberInput
          label="Error-rate alert above (0–1)"
          value={merged.error_rate_max}
          min={0}
          max={1}
          step={0.01}
          decimalScale={3}
          onChange={(v) => setValues({ ...values, error_rate_max: Number(v) })}
        />
        <NumberInput
          label="Latency alert above (p99, ms)"
          value={merged.latency_p99_max_ms}
          min={1}
          onChange={(v) => setValues({ ...values, latency_p99_max_ms: Number(v) })}
        />
        <NumberInput
          label="Error-rate and latency window (minutes)"
          value={merged.health_window_minutes}
          min={1}
          max={1440}
          onChange={(v) => setValues({ ...values, health_window_minutes: Number(v) })}
        />
        <TextInput label="Webhook URL (Slack-compatible)" value={merged.webhook_url} onChange={(e) => setValues({ ...values, webhook_url: e.currentTarget.value })} />
        <TextInput label="Email alerts to" value={merged.email_to} onChange={(e) => setValues({ ...values, email_to: e.currentTarget.value })} />
      </SimpleGrid>
      <Group justify="space-between" mt="md">
        <Text size="xs" c={config.last_error ? 'red' : 'dimmed'}>
          {config.last_error ? `Last error: ${config.last_error}` : `Last run: ${formatDateTime(config.last_run_at)}`}
        </Text>
        <Button
          disabled={Object.keys(values).length === 0}
          loading={update.isPending}
          onClick={() =>
            update.mutate(values, {
              onSuccess: () => {
                setValues({});
                notifications.show({ message: 'Monitoring settings saved.' });
              },
              onError: (error) => notifications.show({ color: 'red', message: errorMessage(error) }),
            })
          }
        >
          Save settings
        </Button>
      </Group>
    </Card>
  );
}

export function MonitorsPanel({ data }: { data: DeploymentMonitoring }) {
  return (
    <Stack gap="lg">
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {data.monitors.map((m) => (
          <MonitorCard key={m.kind} monitor={m} />
        ))}
      </SimpleGrid>
      <SettingsCard project={data.project} deployment={data.deployment} config={data.config} />
    </Stack>
  );
}
