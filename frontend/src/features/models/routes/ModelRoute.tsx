import { Anchor, Badge, Button, Group, Modal, Table, Tabs, Text, Title } from '@mantine/core';
import { IconUpload } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useCurrentTeam } from '@/lib/current-team';
import { formatDateTime } from '@/lib/format';
import { useProject } from '@/api/projects';
import { formatBytes, useAliases, useModel, useModelVersions } from '../api/registry';
import { AliasMover } from '../components/AliasMover';
import { MetricsAcrossVersions } from '../components/MetricsAcrossVersions';
import { UploadModelForm } from '../components/UploadModelForm';

/** /projects/:slug/models/:model — versions, aliases (with history), metrics across versions. */
export function ModelRoute() {
  const { slug = '', model = '' } = useParams();
  const info = useModel(slug, model);
  // versions and aliases are asked for once the model exists (a missing one is one 404)
  const versions = useModelVersions(slug, model, info.isSuccess);
  const aliases = useAliases(slug, model, info.isSuccess);
  const project = useProject(slug);
  const { teams } = useCurrentTeam();
  const role = teams.find((t) => t.slug === project.data?.team)?.role;
  const canMove = role === 'maintainer' || role === 'admin';
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  if (info.isError) return <ErrorState error={info.error} onRetry={() => void info.refetch()} />;
  if (info.isPending || versions.isPending) return <LoadingState rows={5} label="Loading model" />;
  if (versions.isError) return <ErrorState error={versions.error} onRetry={() => void versions.refetch()} />;
  const rows = versions.data.results;
  return (
    <>
      <PageHeader
        title={info.data.name}
        description={
          <>
            <Anchor component={Link} to={`/projects/${slug}/models`}>{slug}</Anchor> · {info.data.description || 'Registered model'}
          </>
        }
        actions={
          <Group gap="sm">
            <AliasMover
              slug={slug}
              model={model}
              versions={rows.map((v) => v.number)}
              aliases={aliases.data?.aliases ?? info.data.aliases}
              canMove={canMove}
            />
            <Button leftSection={<IconUpload size={16} />} onClick={() => setOpen(true)}>
              Upload version
            </Button>
          </Group>
        }
      />
      <Modal opened={open} onClose={() => setOpen(false)} title={`New version of ${model}`} size="lg">
        <UploadModelForm slug={slug} model={model} onUploaded={(v) => void navigate(`/projects/${slug}/models/${model}/versions/${v.number}`)} />
      </Modal>
      <Tabs defaultValue="versions">
        <Tabs.List mb="md">
          <Tabs.Tab value="versions">Versions</Tabs.Tab>
          <Tabs.Tab value="metrics">Metrics</Tabs.Tab>
          <Tabs.Tab value="aliases">Aliases</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="versions">
          <Table.ScrollContainer minWidth={720}>
            <Table verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Format</Table.Th>
                  <Table.Th>Aliases</Table.Th>
                  <Table.Th>Dataset</Table.Th>
                  <Table.Th>Size</Table.Th>
                  <Table.Th>Author</Table.Th>
                  <Table.Th>Created</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((v) => (
                  <Table.Tr key={v.id} data-testid="version-row">
                    <Table.Td>
                      <Anchor component={Link} to={`/projects/${slug}/models/${model}/versions/${v.number}`} fw={600}>
                        v{v.number}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" tt="none">{v.format}</Badge> {v.code ? <Badge color="orange" variant="light" tt="none">code</Badge> : null}
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>{v.aliases.map((a) => <Badge key={a} tt="none">{a}</Badge>)}</Group>
                    </Table.Td>
                    <Table.Td>{v.training_dataset ? `${v.training_dataset.dataset} v${v.training_dataset.number}` : '—'}</Table.Td>
                    <Table.Td>{formatBytes(v.artifact_size)}</Table.Td>
                    <Table.Td>{v.author ?? '—'}</Table.Td>
                    <Table.Td>{formatDateTime(v.created_at)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Tabs.Panel>
        <Tabs.Panel value="metrics">
          <MetricsAcrossVersions versions={rows} />
        </Tabs.Panel>
        <Tabs.Panel value="aliases">
          {aliases.isSuccess ? (
            <>
              <Group gap="sm" mb="md">
                {aliases.data.aliases.length === 0 ? <Text c="dimmed">No aliases yet.</Text> : null}
                {aliases.data.aliases.map((a) => (
                  <Badge key={a.name} size="lg" variant="light" tt="none">
                    {a.name} → v{a.version}
                  </Badge>
                ))}
              </Group>
              <Title order={4} mb="xs">History</Title>
              <Table>
                <Table.Tbody>
                  {aliases.data.moves.map((m) => (
                    <Table.Tr key={m.id}>
                      <Table.Td>{m.alias_name}</Table.Td>
                      <Table.Td>
                        {m.from_version ? `v${m.from_version}` : '∅'} → {m.to_version ? `v${m.to_version}` : 'removed'}
                      </Table.Td>
                      <Table.Td>{m.moved_by ?? '—'}</Table.Td>
                      <Table.Td>{formatDateTime(m.moved_at)}</Table.Td>
                      <Table.Td>{m.reason}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </>
          ) : null}
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
