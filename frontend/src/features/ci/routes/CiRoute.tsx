import { Anchor, Card, SimpleGrid, Stack, Text } from '@mantine/core';
import { IconGitPullRequest } from '@tabler/icons-react';
import { Link } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useCurrentTeam } from '@/lib/current-team';
import { useTeamProjects } from '@/api/projects';

/** /ci: pick a project to see its CI runs. */
export function CiRoute() {
  const { team } = useCurrentTeam();
  const projects = useTeamProjects(team?.slug ?? null);
  return (
    <>
      <PageHeader
        title="Continuous integration"
        description="Test results, metrics and lockfiles posted by GitHub Actions, GitLab CI, CircleCI, Jenkins and Buildkite."
      />
      {projects.isPending ? (
        <LoadingState rows={3} label="Loading projects" />
      ) : projects.isError ? (
        <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />
      ) : projects.data.results.length === 0 ? (
        <EmptyState icon={<IconGitPullRequest size={28} />} title="No projects yet" description="Create a project, then connect its pipeline." />
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
          {projects.data.results.map((project) => (
            <Card key={project.slug} withBorder radius="md" padding="lg">
              <Stack gap={4}>
                <Anchor component={Link} to={`/projects/${project.slug}/ci`} fw={600}>
                  {project.name}
                </Anchor>
                <Text size="sm" c="dimmed" lineClamp={2}>
                  {project.description || project.slug}
                </Text>
              </Stack>
            </Card>
          ))}
        </SimpleGrid>
      )}
    </>
  );
}
