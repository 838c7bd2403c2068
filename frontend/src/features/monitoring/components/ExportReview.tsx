import { Alert, Anchor, Badge, Button, Checkbox, Group, Modal, Stack, Switch, Table, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '@/api/errors';
import { formatNumber } from '@/lib/format';
import type { Flywheel } from '../api/monitoring';
import { useExportToDataset } from '../api/monitoring';
import { preview } from './format';
import { InputPreview } from './InputPreview';

interface ExportReviewProps {
  project: string;
  deployment: string;
  slice: string;
  data: Flywheel;
  onClose: () => void;
}

/** "Add to dataset", reviewed: pick the rows, drop duplicates, see the target dataset and the version
 * it will create, then confirm. */
export function ExportReview({ project, deployment, slice, data, onClose }: ExportReviewProps) {
  const exporter = useExportToDataset(project, deployment);
  const rows = data.mistakes;
  const [dropDuplicates, setDropDuplicates] = useState(true);
  const [unchecked, setUnchecked] = useState<Set<number>>(new Set());
  const chosen = useMemo(
    () => rows.filter((m) => !unchecked.has(m.id) && !(dropDuplicates && m.duplicate_of !== null)),
    [rows, unchecked, dropDuplicates],
  );
  const duplicates = rows.filter((m) => m.duplicate_of !== null).length;
  const target = data.target;
  const toggle = (id: number) =>
    setUnchecked((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  if (exporter.isSuccess) {
    const r = exporter.data;
    return (
      <Modal opened onClose={onClose} title="Added to the dataset" centered>
        <Stack>
          <Text>
            Created{' '}
            <Anchor component={Link} to={`/projects/${project}/datasets/${r.dataset}?version=${r.version}`} data-testid="new-dataset-version">
              {r.dataset} v{r.version}
            </Anchor>{' '}
            from v{r.parent_version} with {r.examples} corrected examples ({formatNumber(r.rows, 9)} rows).
          </Text>
          <Group justify="flex-end">
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      </Modal>
    );
  }

  return (
    <Modal opened onClose={onClose} title="Review before adding to the dataset" centered size="xl">
      <Stack gap="sm">
        {target ? (
          <Text data-testid="export-target">
            Target: <b>{target.dataset}</b> v{target.base_version} → creates <b>v{target.next_version}</b> with {chosen.length} corrected
            example{chosen.length === 1 ? '' : 's'} added.
          </Text>
        ) : (
          <Alert color="yellow">The live version has no training dataset to add examples to.</Alert>
        )}
        {data.mistakes_total > rows.length ? (
          <Text size="sm" c="dimmed">
            Showing the {rows.length} most recent of {data.mistakes_total} mistakes; the others stay in the list for a later review.
          </Text>
        ) : null}
        <Switch
          label={`Drop duplicates (${duplicates} with the same inputs and label as an earlier row)`}
          checked={dropDuplicates}
          onChange={(e) => setDropDuplicates(e.currentTarget.checked)}
        />
        <Table.ScrollContainer minWidth={600} mah={420}>
          <Table aria-label="Rows to add" verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Add</Table.Th>
                <Table.Th>Inputs</Table.Th>
                <Table.Th>Model answer</Table.Th>
                <Table.Th>Corrected label</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((m) => {
                const dropped = dropDuplicates && m.duplicate_of !== null;
                return (
                  <Table.Tr key={m.id} data-testid="review-row" opacity={dropped ? 0.5 : 1}>
                    <Table.Td>
                      <Checkbox
                        aria-label={`Add row ${m.request_id}`}
                        checked={!unchecked.has(m.id) && !dropped}
                        disabled={dropped}
                        onChange={() => toggle(m.id)}
                      />
                    </Table.Td>
                    <Table.Td>
                      <InputPreview value={m.inputs} />
                    </Table.Td>
                    <Table.Td>{preview(m.prediction)}</Table.Td>
                    <Table.Td>{preview(m.label)}</Table.Td>
                    <Table.Td>
                      {m.duplicate_of !== null ? (
                        <Badge color="gray" variant="light" tt="none">
                          duplicate
                        </Badge>
                      ) : null}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {exporter.isError ? (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(exporter.error)}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            disabled={!target || chosen.length === 0}
            loading={exporter.isPending}
            onClick={() => exporter.mutate({ slice, feedback_ids: chosen.map((m) => m.id) })}
          >
            {target ? `Create ${target.dataset} v${target.next_version} with ${chosen.length} rows` : 'Confirm'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
