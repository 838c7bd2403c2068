import { Group, Progress, Text } from '@mantine/core';
import type { Deployment } from '../api/deployments';

export function TrafficSplit({ deployment }: { deployment: Deployment }) {
  return (
    <div>
      <Progress.Root size="xl">
        {deployment.traffic.map((t) => (
          <Progress.Section
            key={t.role}
            value={t.share}
            color={t.role === 'live' ? 'teal.9' : 'orange.4'}
            aria-label={`Traffic to ${t.role} v${t.version}`}
          >
            <Progress.Label c={t.role === 'live' ? 'white' : 'black'}>
              v{t.version} {t.share}%
            </Progress.Label>
          </Progress.Section>
        ))}
      </Progress.Root>
      <Group gap="md" mt={4}>
        {deployment.traffic.map((t) => (
          <Text key={t.role} size="xs" c="dimmed" data-testid={`share-${t.role}`}>
            {t.role} v{t.version}: {t.share} %
          </Text>
        ))}
      </Group>
    </div>
  );
}
