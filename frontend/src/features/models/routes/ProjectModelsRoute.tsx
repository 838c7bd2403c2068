import { Anchor, Badge, Button, Group, Modal, Table, Text } from '@mantine/core';
import { IconBox, IconUpload } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { formatDate } from '@/lib/format';
import { useModels } from '../api/registry';
import { UploadModelForm } from '../components/UploadModelForm';

/** /projects/:slug/models */
export function ProjectModelsRoute() {
  const { slug = '' } = useParams();
  const models = useModels(slug);
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  return (
    <>
      <PageHeader
        title="Registered models"
        description={
          <>
            Project <Anchor component={Link} to={`/projects/${slug}`}>{slug}</Anchor> ·{' '}
            <Anchor component={Link} to={`/projects/${slug}/datasets`}>datasets</Anchor>
          </>
        }
        actions={
          <Button leftSection={<IconUpload size={16} />} onClick={() => setOpen(true)}>
            Upload model
          </Button>
        }
      />
      <Modal opened={open} onClose={() => setOpen(false)} title="Upload a model version" size="lg">
        <UploadModelForm
          slug={slug}
          onUploaded={(v) => {
            setOpen(false);
            void navigate(`/projects/${slug}/models/${v.model}/versions/${v.number}`);
          }}
        />
      </Modal>
      {models.isPending ? (
        <LoadingState rows={4} label="Loading models" />
      ) : models.isError ? (
        <ErrorState error={models.error} onRetry={() => void models.refetch()} />
      ) : models.data.results.length === 0 ? (
        <EmptyState icon={<IconBox size={28} />} title="No models yet" description="Upload an artifact or call log_model() from a training script." />
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Model</Table.Th>
                <Table.Th>Latest</Table.Th>
                <Table.Th>Aliases</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {models.data.results.map((m) => (
                <Table.Tr key={m.id} data-testid="model-row">
                  <Table.Td>
                    <Anchor component={Link} to={`/projects/${slug}/models/${m.name}`} fw={600}>
                      {m.name}
                    </Anchor>
                    {m.description ? (
                      <Text size="xs" c="dimmed" lineClamp={1}>
                        {m.description}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{m.latest_version ? `v${m.latest_version}` : '—'} <Text span size="xs" c="dimmed">({m.version_count})</Text></Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {m.aliases.map((a) => (
                        <Badge key={a.name} variant="light" tt="none">
                          {a.name} → v{a.version}
                        </Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td>{formatDate(m.created_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </>
  );
}
