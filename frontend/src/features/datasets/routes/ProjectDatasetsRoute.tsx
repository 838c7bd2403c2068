import { Anchor, Button, Modal, Table, Text } from '@mantine/core';
import { IconDatabase, IconUpload } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { formatDate } from '@/lib/format';
import { useDatasets } from '../api/datasets';
import { UploadDatasetForm } from '../components/UploadDatasetForm';

/** /projects/:slug/datasets */
export function ProjectDatasetsRoute() {
  const { slug = '' } = useParams();
  const datasets = useDatasets(slug);
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  return (
    <>
      <Modal opened={open} onClose={() => setOpen(false)} title="Upload a dataset version" size="lg">
        <UploadDatasetForm
          slug={slug}
          onUploaded={(name, version) => {
            setOpen(false);
            void navigate(`/projects/${slug}/datasets/${name}?version=${version.number}`);
          }}
        />
      </Modal>
      <PageHeader
        title="Datasets"
        actions={
          <Button leftSection={<IconUpload size={16} />} onClick={() => setOpen(true)}>
            Upload dataset
          </Button>
        }
        description={<>Project <Anchor component={Link} to={`/projects/${slug}`}>{slug}</Anchor> · <Anchor component={Link} to={`/projects/${slug}/models`}>registered models</Anchor></>}
      />
      {datasets.isPending ? (
        <LoadingState rows={4} label="Loading datasets" />
      ) : datasets.isError ? (
        <ErrorState error={datasets.error} onRetry={() => void datasets.refetch()} />
      ) : datasets.data.results.length === 0 ? (
        <EmptyState icon={<IconDatabase size={28} />} title="No datasets yet" description="Upload a CSV, Parquet or NPZ file here, or use log_dataset() or `shipyard datasets upload`." />
      ) : (
        <Table verticalSpacing="sm" highlightOnHover>
          <Table.Thead>
            <Table.Tr><Table.Th>Dataset</Table.Th><Table.Th>Latest</Table.Th><Table.Th>Rows</Table.Th><Table.Th>Created</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {datasets.data.results.map((d) => (
              <Table.Tr key={d.id} data-testid="dataset-row">
                <Table.Td>
                  <Anchor component={Link} to={`/projects/${slug}/datasets/${d.name}${d.latest_version ? `?version=${d.latest_version.number}` : ''}`} fw={600}>{d.name}</Anchor>
                  {d.description ? <Text size="xs" c="dimmed" lineClamp={1}>{d.description}</Text> : null}
                </Table.Td>
                <Table.Td>{d.latest_version ? `v${d.latest_version.number}` : '—'}</Table.Td>
                <Table.Td>{d.latest_version?.row_count ?? '—'}</Table.Td>
                <Table.Td>{formatDate(d.created_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </>
  );
}
