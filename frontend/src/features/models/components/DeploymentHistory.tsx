import { Anchor, Badge, Group, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { ServingPeriod, VersionDeployment } from '../api/registry';

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

function when(iso: string, sameDayAs?: string): string {
  const date = new Date(iso);
  const ref = sameDayAs ? new Date(sameDayAs) : new Date();
  return date.toDateString() === ref.toDateString() ? timeOnly.format(date) : dayAndTime.format(date);
}

/** "was live 12:03–12:04", "live since 12:05", "was the canary May 3, 09:00–09:30". */
export function describePeriod(p: ServingPeriod): string {
  const role = p.role === 'live' ? 'live' : 'the canary';
  if (p.end === null) return `${role === 'live' ? 'live' : 'canary'} since ${when(p.start)}`;
  return `was ${role} ${when(p.start)}–${when(p.end, p.start)}`;
}

const ROLE_COLOR = { live: 'teal', canary: 'orange', past: 'gray' } as const;
const ROLE_LABEL = { live: 'live', canary: 'canary', past: 'no longer served' } as const;

/** The deployments that serve the version or served it, each with its periods. */
export function DeploymentHistory({ slug, deployments }: { slug: string; deployments: VersionDeployment[] }) {
  if (deployments.length === 0) return <Text c="dimmed" size="sm">Not deployed.</Text>;
  return (
    <Stack gap="sm" data-testid="version-deployments">
      {deployments.map((d) => (
        <Stack key={`${d.kind}-${d.id}`} gap={2}>
          <Group gap={6}>
            <Anchor component={Link} to={`/deployments/${slug}/${d.name}`} size="sm" fw={500}>
              {d.name}
            </Anchor>
            <Badge size="sm" variant="light" color={ROLE_COLOR[d.role] ?? 'gray'} tt="none">
              {ROLE_LABEL[d.role] ?? d.role}
            </Badge>
          </Group>
          {[...(d.periods ?? [])].reverse().map((p) => (
            <Text key={`${p.role}-${p.start}`} size="xs" c="dimmed">
              {describePeriod(p)}
            </Text>
          ))}
        </Stack>
      ))}
    </Stack>
  );
}
