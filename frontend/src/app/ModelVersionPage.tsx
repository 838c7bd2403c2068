import { Group, Paper, Text } from '@mantine/core';
import { useParams } from 'react-router';
import { DeployVersionButton } from '@/features/deployments/components/DeployVersionButton';
import { VersionJobs } from '@/features/jobs/components/VersionJobs';
import { ModelVersionRoute } from '@/features/models/routes/ModelVersionRoute';

/**
 * The version page composes three features: the model card (registry), deploy (serving) and
 * the jobs started from this version. Features do not import each other; the app composes them.
 * The deploy and jobs parts render inside the model card once the version is known to exist (a
 * missing version is one 404 and the not-found page).
 */
export function ModelVersionPage() {
  const { slug = '', model = '', number = '0' } = useParams();
  const version = Number.parseInt(number, 10);
  return (
    <ModelVersionRoute>
      {Number.isFinite(version) && version > 0 && (
        <Paper withBorder radius="md" p="md" mt="lg">
          <Group justify="space-between">
            <div>
              <Text fw={600}>Serve this version</Text>
              <Text size="sm" c="dimmed">
                Deploy it behind a batched endpoint, or canary it against a live deployment.
              </Text>
            </div>
            <DeployVersionButton project={slug} model={model} version={version} />
          </Group>
        </Paper>
      )}
      <VersionJobs />
    </ModelVersionRoute>
  );
}
