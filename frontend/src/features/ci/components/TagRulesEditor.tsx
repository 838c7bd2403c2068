import { ActionIcon, Alert, Badge, Button, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { ApiError } from '@/api/errors';
import { type TagRuleRequest, useCreateTagRule, useDeleteTagRule, useTagRules } from '../api/ci';

const RUBRIC_IDS = ['data', 'model', 'infra', 'monitor'].flatMap((section) =>
  Array.from({ length: 7 }, (_, i) => `${section}-${i + 1}`),
);

export function TagRulesEditor({ slug }: { slug: string }) {
  const rules = useTagRules(slug);
  const create = useCreateTagRule(slug);
  const remove = useDeleteTagRule(slug);
  const [pattern, setPattern] = useState('');
  const [rubricId, setRubricId] = useState<string | null>('infra-1');
  const fieldErrors = create.error instanceof ApiError ? create.error.fields : {};

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!rubricId) return;
    // the options are the rubric's test ids, the schema's RubricIdEnum
    create.mutate({ pattern, rubric_id: rubricId as TagRuleRequest['rubric_id'] }, { onSuccess: () => setPattern('') });
  };

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        A glob on a test&apos;s class, name or <code>class::name</code> tags it with a rubric test. Tests can also carry{' '}
        <code>[mlts:infra-1]</code> in their name or a <code>mlts</code> JUnit property (<code>@pytest.mark.mlts(&quot;infra-1&quot;)</code>).
      </Text>
      <form onSubmit={submit}>
        <Group align="flex-start">
          <TextInput
            label="Pattern"
            name="pattern"
            placeholder="tests/infra/test_reproducible.py::*"
            value={pattern}
            onChange={(e) => setPattern(e.currentTarget.value)}
            error={fieldErrors.pattern?.[0]}
            required
            w={360}
          />
          <Select
            label="Rubric test"
            name="rubric_id"
            data={RUBRIC_IDS}
            value={rubricId}
            onChange={setRubricId}
            error={fieldErrors.rubric_id?.[0]}
            searchable
            w={160}
          />
          <Button type="submit" mt={25} loading={create.isPending}>
            Add rule
          </Button>
        </Group>
      </form>
      {create.error && !Object.keys(fieldErrors).length ? <Alert color="red">{create.error.message}</Alert> : null}
      {rules.data && rules.data.length > 0 ? (
        <Table verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Pattern</Table.Th>
              <Table.Th>Rubric test</Table.Th>
              <Table.Th w={60} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rules.data.map((rule) => (
              <Table.Tr key={rule.id} data-testid="ci-tag-rule">
                <Table.Td>
                  <Text ff="monospace" size="sm">
                    {rule.pattern}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge variant="outline" tt="none">
                    {rule.rubric_id}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <ActionIcon
                    variant="subtle"
                    color="red"
                    aria-label={`Delete rule ${rule.pattern}`}
                    onClick={() => remove.mutate(rule.id)}
                  >
                    <IconTrash size={16} />
                  </ActionIcon>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <Text size="sm" c="dimmed">
          No tag rules yet.
        </Text>
      )}
    </Stack>
  );
}
