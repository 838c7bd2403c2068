import { Anchor, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { formatDate } from '@/lib/format';
import type { Project } from '@/api/projects';

/** Phones see name and description; slug and creation date join from the small breakpoint up. */
export function ProjectsTable({ projects }: { projects: Project[] }) {
  return (
    <Table.ScrollContainer minWidth={0}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th visibleFrom="sm">Slug</Table.Th>
            <Table.Th>Description</Table.Th>
            <Table.Th visibleFrom="sm">Created</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {projects.map((project) => (
            <Table.Tr key={project.slug} data-testid="project-row">
              <Table.Td>
                <Anchor component={Link} to={`/projects/${project.slug}`} fw={600}>
                  {project.name}
                </Anchor>
              </Table.Td>
              <Table.Td visibleFrom="sm">
                <Text ff="monospace" size="sm">
                  {project.slug}
                </Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm" c={project.description ? undefined : 'dimmed'} lineClamp={2}>
                  {project.description || 'No description'}
                </Text>
              </Table.Td>
              <Table.Td visibleFrom="sm">
                <Text size="sm" c="dimmed" title={project.created_at}>
                  {formatDate(project.created_at)}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
