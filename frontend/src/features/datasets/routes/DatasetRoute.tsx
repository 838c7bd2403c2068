import { Anchor, Badge, Card, Group, Select, SimpleGrid, Table, Text, Title } from '@mantine/core';
import { Link, useParams, useSearchParams } from 'react-router';
import { PolicyCheckCard } from '@/components/PolicyCheckCard';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { formatDateTime } from '@/lib/format';
import { type DatasetVersionGoverned, useDatasetVersion, useDatasetVersions } from '../api/datasets';
import { DownloadAudit } from '../components/DownloadAudit';
import { PiiScanCard } from '../components/PiiScanCard';
import { FeatureHistogram } from '../components/FeatureHistogram';
import { formatNumber, formatRatio } from '@/lib/format';

const MAX_HISTOGRAMS = 24;

/** /projects/:slug/datasets/:name — versions, schema and per-feature histograms. */
export function DatasetRoute() {
  const { slug = '', name = '' } = useParams();
  const versions = useDatasetVersions(slug, name);
  // the version lives in the URL (?version=n) so that links to a dataset carry their version
  const [params, setParams] = useSearchParams();
  const picked = params.get('version');
  const setPicked = (v: string | null) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (v) next.set('version', v);
        else next.delete('version');
        return next;
      },
      { replace: true },
    );
  const latest = versions.data?.results[0]?.number ?? null;
  const number = picked && /^\d+$/.test(picked) ? Number(picked) : latest;
  const version = useDatasetVersion(slug, name, number);
  const governed = version.data as DatasetVersionGoverned | undefined;
  const meta = governed?.feature_meta ?? {};
  if (versions.isPending) return <LoadingState rows={5} label="Loading dataset" />;
  if (versions.isError) return <ErrorState error={versions.error} onRetry={() => void versions.refetch()} />;
  return (
    <>
      <PageHeader
        title={name}
        description={<><Anchor component={Link} to={`/projects/${slug}/datasets`}>{slug} datasets</Anchor></>}
        actions={
          <Select
            aria-label="Version"
            data={versions.data.results.map((v) => ({ value: String(v.number), label: `v${v.number} · ${v.row_count} rows` }))}
            value={number === null ? null : String(number)}
            onChange={setPicked}
          />
        }
      />
      {version.isPending ? <LoadingState rows={4} label="Loading version" /> : version.isError ? (
        <ErrorState error={version.error} onRetry={() => void version.refetch()} />
      ) : (
        <>
          <Card withBorder radius="md" padding="md" mb="md">
            <Group gap="md">
              <Text size="sm">{version.data.row_count} rows · {version.data.schema.n_features} features</Text>
              <Badge variant="light" tt="none">{version.data.format}</Badge>
              {version.data.label_column ? <Text size="sm">label: <b>{version.data.label_column}</b></Text> : null}
              <Text size="xs" c="dimmed" ff="monospace">sha256 {version.data.sha256.slice(0, 16)}…</Text>
              <Text size="xs" c="dimmed">{formatDateTime(version.data.created_at)}</Text>
            </Group>
            {version.data.slices.length > 0 ? (
              <Group gap={6} mt="xs">
                {version.data.slices.map((s) => (
                  <Badge key={s.name} variant="outline" tt="none">{s.name}: {s.filter}{s.rows !== undefined ? ` (${s.rows})` : ''}</Badge>
                ))}
              </Group>
            ) : null}
          </Card>
          <PolicyCheckCard check={governed?.policy_check ?? {}} policyHref={`/projects/${slug}?tab=data-policy`} />
          <div style={{ marginTop: 12, marginBottom: 16 }}>
            <PiiScanCard scan={governed?.pii_scan ?? { status: 'done' }} />
          </div>
          <Title order={4} mb="xs">Schema</Title>
          <Table.ScrollContainer minWidth={640} mb="md">
            <Table striped data-testid="dataset-schema">
              <Table.Thead>
                <Table.Tr><Table.Th>Feature</Table.Th><Table.Th>Type</Table.Th><Table.Th>Range / categories</Table.Th><Table.Th>Nulls</Table.Th><Table.Th>Mean ± std</Table.Th><Table.Th>Owner</Table.Th><Table.Th>Source</Table.Th></Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {version.data.schema.features.map((f) => {
                  const st = version.data.stats[f.name];
                  return (
                    <Table.Tr key={f.name}>
                      <Table.Td>
                        {f.name}
                        {f.role === 'label' ? <Badge ml={6} size="xs">label</Badge> : null}
                        {meta[f.name]?.sensitive ? <Badge ml={6} size="xs" color="red" tt="none">sensitive</Badge> : null}
                      </Table.Td>
                      <Table.Td>{f.dtype}</Table.Td>
                      <Table.Td>{f.categories ? f.categories.slice(0, 8).join(', ') : `${f.min ?? '—'} … ${f.max ?? '—'}`}</Table.Td>
                      <Table.Td>{formatRatio(f.null_rate)}</Table.Td>
                      <Table.Td>{st?.mean !== undefined && st.mean !== null ? `${formatNumber(st.mean)} ± ${formatNumber(st.std ?? 0)}` : '—'}</Table.Td>
                      <Table.Td>{meta[f.name]?.owner ?? '—'}</Table.Td>
                      <Table.Td>{meta[f.name]?.source ?? '—'}</Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Title order={4} mb="xs">Histograms</Title>
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
            {version.data.schema.features.slice(0, MAX_HISTOGRAMS).map((f) => (
              <FeatureHistogram key={f.name} feature={f} stats={version.data.stats[f.name]} />
            ))}
          </SimpleGrid>
          <DownloadAudit slug={slug} name={name} />
        </>
      )}
    </>
  );
}
