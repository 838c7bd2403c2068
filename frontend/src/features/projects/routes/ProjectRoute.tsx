import { Anchor, Badge, Breadcrumbs, Card, Group, SimpleGrid, Stack, Text, ThemeIcon } from '@mantine/core';
import {
  IconActivityHeartbeat,
  IconBox,
  IconChecklist,
  IconCpu,
  IconGitPullRequest,
  IconRocket,
} from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '@/api/errors';
import { NotFound } from '@/components/NotFound';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useCurrentTeam } from '@/lib/current-team';
import { formatDateTime } from '@/lib/format';
import { type Project, useProject } from '@/api/projects';

interface AreaCard {
  to: (slug: string) => string;
  title: string;
  text: string;
  icon: ReactNode;
}

// Card titles deliberately differ from the navigation labels so that links stay unambiguous.
const AREAS: AreaCard[] = [
  { to: (slug) => `/projects/${slug}/rubric`, title: 'Readiness score', text: 'Assess the 28 tests of the ML Test Score.', icon: <IconChecklist size={20} /> },
  { to: (slug) => `/projects/${slug}/ci`, title: 'Continuous integration', text: 'Connect your pipeline and see tagged test results.', icon: <IconGitPullRequest size={20} /> },
  { to: (slug) => `/projects/${slug}/models`, title: 'Model registry', text: 'Versions, datasets and their lineage.', icon: <IconBox size={20} /> },
  { to: (slug) => `/jobs?project=${slug}`, title: 'Training checks and exports', text: 'Reproducibility, ONNX export, quantization, distillation.', icon: <IconCpu size={20} /> },
  { to: (slug) => `/deployments?project=${slug}`, title: 'Serving endpoints', text: 'Deploy, canary, promote and roll back.', icon: <IconRocket size={20} /> },
  { to: (slug) => `/monitoring?project=${slug}`, title: 'Drift and quality', text: 'Drift per feature, skew, staleness and the data flywheel.', icon: <IconActivityHeartbeat size={20} /> },
];

/** The project's areas, one card each. */
export function ProjectAreas({ slug }: { slug: string }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
      {AREAS.map((area) => (
        <Card key={area.title} withBorder radius="md" padding="lg">
          <Stack gap="xs">
            <Group gap="sm">
              <ThemeIcon variant="light" size="lg" radius="md">
                {area.icon}
              </ThemeIcon>
              <Anchor component={Link} to={area.to(slug)} fw={600}>
                {area.title}
              </Anchor>
            </Group>
            <Text size="sm" c="dimmed">
              {area.text}
            </Text>
          </Stack>
        </Card>
      ))}
    </SimpleGrid>
  );
}

/**
 * /projects/:slug: the header of a found project, then `children` (the app composes the tabs
 * from several features), or the area cards alone. Nothing below the header is mounted before the
 * project is found, so a missing project costs one request.
 */
export function ProjectRoute({ children }: { children?: (project: Project) => ReactNode }) {
  const { slug = '' } = useParams();
  const project = useProject(slug);
  const { teams } = useCurrentTeam();

  const crumbs = (
    <Breadcrumbs mb="sm">
      <Anchor component={Link} to="/projects" size="sm">
        Projects
      </Anchor>
      <Text size="sm">{project.data?.name ?? slug}</Text>
    </Breadcrumbs>
  );

  if (project.isPending) {
    return (
      <>
        {crumbs}
        <LoadingState rows={3} label="Loading project" />
      </>
    );
  }
  if (project.isError) {
    if (project.error instanceof ApiError && project.error.status === 404) {
      return (
        <>
          {crumbs}
          <NotFound title="Project not found" description={`There is no project “${slug}” in your teams.`} />
        </>
      );
    }
    return (
      <>
        {crumbs}
        <ErrorState error={project.error} title="Could not load the project" onRetry={() => void project.refetch()} retrying={project.isFetching} />
      </>
    );
  }

  const { name, description, team, created_at, updated_at } = project.data;
  return (
    <>
      {crumbs}
      <PageHeader
        title={name}
        description={description || 'No description yet.'}
        actions={
          <Badge variant="light" size="lg" tt="none" title={`Team ${team}`}>
            {teams.find((t) => t.slug === team)?.name ?? team}
          </Badge>
        }
      />
      <Text size="sm" c="dimmed" mb="lg">
        Created {formatDateTime(created_at)} · Updated {formatDateTime(updated_at)}
      </Text>
      {children ? children(project.data) : <ProjectAreas slug={slug} />}
    </>
  );
}
