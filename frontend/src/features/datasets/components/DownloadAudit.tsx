import { Badge, Table, Text, Title } from '@mantine/core';
import { ApiError } from '@/api/errors';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { formatDateTime } from '@/lib/format';
import { useDatasetDownloads } from '../api/datasets';

/** Who downloaded this dataset's files, when, which version (rubric data-5). Admins only. */
export function DownloadAudit({ slug, name }: { slug: string; name: string }) {
  const downloads = useDatasetDownloads(slug, name);
  const heading = <Title order={4} mb="xs" mt="lg">Access audit</Title>;
  if (downloads.isPending) return <>{heading}<LoadingState rows={2} label="Loading the access audit" /></>;
  if (downloads.isError) {
    if (downloads.error instanceof ApiError && downloads.error.status === 403) {
      return <>{heading}<Text size="sm" c="dimmed" data-testid="download-audit">Only team admins read the access audit.</Text></>;
    }
    return <>{heading}<ErrorState error={downloads.error} onRetry={() => void downloads.refetch()} /></>;
  }
  if (downloads.data.count === 0) {
    return <>{heading}<EmptyState title="No downloads yet" description="Every download of this dataset's files will be listed here." /></>;
  }
  return (
    <>
      {heading}
      <Table.ScrollContainer minWidth={560}>
        <Table striped data-testid="download-audit">
          <Table.Thead>
            <Table.Tr><Table.Th>When</Table.Th><Table.Th>Who</Table.Th><Table.Th>Version</Table.Th><Table.Th>File</Table.Th><Table.Th>Outcome</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {downloads.data.results.map((d) => (
              <Table.Tr key={d.id}>
                <Table.Td>{formatDateTime(d.at)}</Table.Td>
                <Table.Td>{d.username || '—'}</Table.Td>
                <Table.Td>v{d.version}</Table.Td>
                <Table.Td>{d.normalized ? 'normalised Parquet' : 'as uploaded'}{d.byte_range ? ` (${d.byte_range})` : ''}</Table.Td>
                <Table.Td>
                  {d.granted ? <Badge color="teal" tt="none">served</Badge> : <Badge color="red" tt="none">refused</Badge>}
                  {d.sensitive ? <Badge ml={4} variant="outline" tt="none">sensitive</Badge> : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}
