import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useDeployments } from '@/features/deployments/api/deployments';
import { useAlerts } from '@/features/monitoring/api/monitoring';
import { useScore } from '@/features/rubric/api/rubric';
import { formatScore } from '@/lib/format';

function Tile({ label, value, detail, to, testId }: { label: string; value: string; detail: string; to: string; testId: string }) {
  return (
    <Card withBorder radius="md" padding="md" data-testid={testId}>
      <Stack gap={2}>
        <Text size="sm" c="dimmed">
          {label}
        </Text>
        <Anchor component={Link} to={to} fz={28} fw={700} underline="never" c="inherit" aria-label={`${label}: ${value}`}>
          {value}
        </Anchor>
        <Text size="sm" c="dimmed">
          {detail}
        </Text>
      </Stack>
    </Card>
  );
}

/**
 * The project at a glance: its readiness score, its live deployments and its open alerts, each a
 * link to the page that explains it. The app composes it from three features.
 */
export function ProjectStatus({ slug }: { slug: string }) {
  const score = useScore(slug);
  const deployments = useDeployments(slug);
  const alerts = useAlerts({ project: slug, status: 'open' });

  const live = (deployments.data?.results ?? []).filter((d) => d.live_version !== null);
  const open = alerts.data?.results ?? [];
  const critical = open.filter((a) => a.severity === 'critical').length;

  return (
    <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="md" mb="lg" aria-label="Project status" component="section">
      <Tile
        testId="status-score"
        label="Score"
        to={`/projects/${slug}/rubric`}
        value={score.data ? formatScore(score.data.final) : score.isError ? 'Unavailable' : '…'}
        detail={
          score.data
            ? `${score.data.band.label} · verified by evidence ${formatScore(score.data.verified.final)}`
            : 'ML Test Score, 0 to 7'
        }
      />
      <Tile
        testId="status-deployments"
        label="Live deployments"
        to={`/deployments?project=${slug}`}
        value={deployments.data ? String(live.length) : deployments.isError ? 'Unavailable' : '…'}
        detail={live.length ? live.map((d) => d.name).join(', ') : 'Nothing serves traffic yet'}
      />
      <Tile
        testId="status-alerts"
        label="Open alerts"
        to={`/monitoring?project=${slug}`}
        value={alerts.data ? String(open.length) : alerts.isError ? 'Unavailable' : '…'}
        detail={critical ? `${critical} critical` : (open[0]?.title ?? 'All monitors quiet')}
      />
      {open.length ? (
        <Group gap="xs" style={{ gridColumn: '1 / -1' }}>
          {open.slice(0, 3).map((a) => (
            <Badge key={a.id} color={a.severity === 'critical' ? 'red' : 'orange'} variant="light" tt="none">
              {a.title}
            </Badge>
          ))}
        </Group>
      ) : null}
    </SimpleGrid>
  );
}
