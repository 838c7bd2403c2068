import { Button, Paper, Text, TextInput } from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { IconFolder, IconPlus, IconSearch } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useCurrentTeam } from '@/lib/current-team';
import { useProjects } from '../api/projects';
import { CreateProjectModal } from '../components/CreateProjectModal';
import { ProjectsTable } from '../components/ProjectsTable';

export function ProjectsRoute() {
  const { team } = useCurrentTeam();
  const [search, setSearch] = useState('');
  const [debouncedSearch] = useDebouncedValue(search.trim(), 250);
  const [createOpened, createModal] = useDisclosure(false);
  const projects = useProjects({ team: team?.slug ?? null, search: debouncedSearch });

  const canCreate = team !== null && team.role !== 'viewer';

  let body: ReactNode;
  if (!team) {
    body = (
      <EmptyState
        icon={<IconFolder size={28} />}
        title="You are not in a team yet"
        description="Projects belong to a team. Ask a team admin to add you, or create a team."
      />
    );
  } else if (projects.isPending) {
    body = <LoadingState rows={5} label="Loading projects" />;
  } else if (projects.isError) {
    body = <ErrorState error={projects.error} title="Could not load projects" onRetry={() => void projects.refetch()} retrying={projects.isFetching} />;
  } else if (projects.data.results.length === 0) {
    body = debouncedSearch ? (
      <EmptyState
        icon={<IconSearch size={28} />}
        title="No matching projects"
        description={`No project in ${team.name} matches “${debouncedSearch}”.`}
        action={
          <Button variant="default" onClick={() => setSearch('')}>
            Clear search
          </Button>
        }
      />
    ) : (
      <EmptyState
        icon={<IconFolder size={28} />}
        title="No projects yet"
        description={`Create the first project of ${team.name} to start scoring, testing and shipping a model.`}
        action={
          canCreate ? (
            <Button leftSection={<IconPlus size={16} />} onClick={createModal.open}>
              Create your first project
            </Button>
          ) : null
        }
      />
    );
  } else {
    const { count, results } = projects.data;
    body = (
      <>
        <ProjectsTable projects={results} />
        {count > results.length ? (
          <Text size="sm" c="dimmed" mt="sm">
            Showing {results.length} of {count} projects. Refine the search to find the others.
          </Text>
        ) : null}
      </>
    );
  }

  return (
    <>
      <PageHeader
        title="Projects"
        description={team ? `Models and datasets of ${team.name}.` : undefined}
        actions={
          canCreate ? (
            <Button leftSection={<IconPlus size={16} />} onClick={createModal.open}>
              New project
            </Button>
          ) : null
        }
      />
      {team ? (
        <TextInput
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
          leftSection={<IconSearch size={16} />}
          placeholder="Search by name, slug or description"
          aria-label="Search projects"
          type="search"
          mb="md"
          maw={420}
        />
      ) : null}
      <Paper withBorder radius="md" p={0} style={{ overflow: 'hidden' }}>
        {body}
      </Paper>
      {team ? (
        <CreateProjectModal opened={createOpened} onClose={createModal.close} team={team.slug} teamName={team.name} />
      ) : null}
    </>
  );
}
