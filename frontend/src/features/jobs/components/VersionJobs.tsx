import { Anchor, Card, Group, Stack, Table, Text, Title } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { KIND_LABELS, useJobs, useVersionRef } from '../api/jobs';
import { JobProgress, JobStatusBadge } from './JobStatus';
import { EdgeExportModal } from './EdgeExportModal';
import { StartJobPanel } from './StartJobPanel';

/**
 * Jobs of the model version in the URL (/projects/:slug/models/:model/versions/:number): the buttons
 * that start one, and the version's jobs with live progress. Mounted under the version page by the app's route table.
 */
export function VersionJobs() {
  const { slug = '', model = '', number = '0' } = useParams();
  const version = useVersionRef(slug, model, number);
  const jobs = useJobs({ model_version: version.data?.id }, version.data !== undefined);
  if (!version.data) return null;
  const list = jobs.data?.results ?? [];
  return (
    <Card withBorder radius="md" padding="md" mt="md" data-testid="version-jobs">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={4}>Jobs</Title>
          <EdgeExportModal project={slug} versionId={version.data.id} format={version.data.format} />
        </Group>
        <StartJobPanel project={slug} versionId={version.data.id} format={version.data.format} />
        {list.length === 0 ? (
          <Text size="sm" c="dimmed">
            No jobs for this version yet.
          </Text>
        ) : (
          <Table verticalSpacing={4}>
            <Table.Tbody>
              {list.slice(0, 10).map((job) => (
                <Table.Tr key={job.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/jobs/${job.id}`}>
                      #{job.id} {KIND_LABELS[job.kind]}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <JobStatusBadge status={job.status} />
                  </Table.Td>
                  <Table.Td w={300}>
                    <JobProgress status={job.status} progress={job.progress} message={job.message} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Card>
  );
}
