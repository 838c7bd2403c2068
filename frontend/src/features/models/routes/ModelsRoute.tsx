import { Anchor, Card, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { IconBox } from '@tabler/icons-react';
import { Link } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useCurrentTeam } from '@/lib/current-team';
import { useTeamProjects } from '@/api/projects';

/** /models: the registry of each of the team's projects. */
export function ModelsRoute() {
  const { team } = useCurrentTeam();
  const projects = useTeamProjects(team?.slug ?? null);
  return (
    <>
      <PageHeader title="Model registry" description="Models, versions, datasets and their lineage, per project." />
      {projects.isPending ? (
        <LoadingState rows={3} label="Loading projects" />
      ) : projects.isError ? (
        <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />
      ) : projects.data.results.length === 0 ? (
        <EmptyState icon={<IconBox size={28} />} title="No projects yet" description="Create a project, then register its models." />
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
          {projects.data.results.map((project) => (
            <Card key={project.slug} withBorder radius="md" padding="lg">
              <Stack gap={4}>
                <Text fw={600}>{project.name}</Text>
                <Text size="sm" c="dimmed" lineClamp={2}>
                  {project.description || project.slug}
                </Text>
                <Group gap="md" mt="xs">
                  <Anchor component={Link} to={`/projects/${project.slug}/models`} size="sm">
                    Registered models
                  </Anchor>
                  <Anchor component={Link} to={`/projects/${project.slug}/datasets`} size="sm">
                    Datasets
                  </Anchor>
                </Group>
              </Stack>
            </Card>
          ))}
        </SimpleGrid>
      )}
    </>
  );
}
