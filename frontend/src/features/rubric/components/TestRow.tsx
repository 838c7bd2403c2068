import { Anchor, Badge, Button, Collapse, Group, List, Paper, SegmentedControl, Stack, TagsInput, Text, Textarea, Tooltip } from '@mantine/core';
import { IconCheck, IconChevronDown, IconChevronRight } from '@tabler/icons-react';
import { memo, useState } from 'react';
import { formatDateTime } from '@/lib/format';
import type { Answer, RubricTest, Status, TestVerdict } from '../api/rubric';

export const STATUS_OPTIONS: { value: Status; label: string }[] = [
  { value: 'none', label: 'Not done' },
  { value: 'manual', label: 'Manual' },
  { value: 'automated', label: 'Automated' },
];

export const NOTE_MAX = 2000;

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** What a verdict looks like next to a test: failing evidence and claims without evidence stand out. */
export function VerdictBadge({ verdict, status }: { verdict?: TestVerdict; status: Status }) {
  if (!verdict) return null;
  // Failing evidence is what Shipyard observed, so it shows whatever the claim says.
  if (verdict.evidence_state === 'failing') {
    return (
      <Tooltip label={verdict.why} multiline w={300}>
        <Badge color="red" variant="light" tt="none" data-testid="verdict">
          Evidence failing
        </Badge>
      </Tooltip>
    );
  }
  if (verdict.holds === 'evidence') {
    // The evidence counts 1 whatever is claimed; an unclaimed test says so in the badge itself.
    const claimed = status === 'automated';
    return (
      <Tooltip label={verdict.why} multiline w={300}>
        <Badge color="teal" variant="filled" leftSection={<IconCheck size={12} />} tt="none" data-testid="verdict">
          {claimed ? 'Verified' : 'Verified (not claimed)'}
        </Badge>
      </Tooltip>
    );
  }
  // The other verdicts belong to the last saved answer; while an edit is unsaved they may not apply.
  if (verdict.claimed !== status) return null;
  if (verdict.holds === 'unverified') {
    return (
      <Tooltip label={`${verdict.why} Counts as manual (0.5) in the verified score.`} multiline w={300}>
        <Badge color="orange" variant="light" tt="none" data-testid="verdict">
          Claim without evidence
        </Badge>
      </Tooltip>
    );
  }
  if (status === 'manual') {
    return (
      <Tooltip label={verdict.why} multiline w={300}>
        <Badge color="gray" variant="light" tt="none" data-testid="verdict">
          Manual (claimed)
        </Badge>
      </Tooltip>
    );
  }
  return null;
}

/** The links of a TagsInput change: valid ones kept, the first invalid one named. */
export function splitLinks(links: string[]): { valid: string[]; invalid: string | null } {
  const valid = links.filter(isHttpUrl);
  return { valid, invalid: links.find((l) => !isHttpUrl(l)) ?? null };
}

interface TestRowProps {
  test: RubricTest;
  answer: Answer;
  verdict?: TestVerdict;
  readOnly: boolean;
  onChange: (id: string, answer: Answer) => void;
}

export const TestRow = memo(function TestRow({ test, answer, verdict, readOnly, onChange }: TestRowProps) {
  const [open, setOpen] = useState(false);
  const [linkError, setLinkError] = useState<string | null>(null);
  const guidanceId = `guidance-${test.id}`;
  const titleId = `title-${test.id}`;
  return (
    <Paper withBorder p="md" radius="md" id={`test-${test.id}`} data-testid={`test-${test.id}`} role="group" aria-labelledby={titleId}>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
          <Stack gap={2} style={{ flex: 1, minWidth: 260 }}>
            <Group gap="xs">
              <Badge variant="outline" color="gray" tt="none">
                {test.id}
              </Badge>
              <Text fw={600} id={titleId}>
                {test.title}
              </Text>
              <VerdictBadge verdict={verdict} status={answer.status} />
            </Group>
            <Button
              variant="subtle"
              size="compact-xs"
              w="fit-content"
              leftSection={open ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
              aria-expanded={open}
              aria-controls={guidanceId}
              onClick={() => setOpen((o) => !o)}
            >
              Guidance and evidence
            </Button>
          </Stack>
          <SegmentedControl
            aria-label={`Status of ${test.id}`}
            data={STATUS_OPTIONS}
            value={answer.status}
            disabled={readOnly}
            onChange={(value) => onChange(test.id, { ...answer, status: value as Status })}
            color={answer.status === 'automated' ? 'teal' : answer.status === 'manual' ? 'blue' : 'gray'}
          />
        </Group>
        <Collapse expanded={open} id={guidanceId}>
          <Stack gap="xs" pt="xs">
            <Text size="sm">{test.guidance}</Text>
            {verdict && verdict.evidence.length > 0 ? (
              <div>
                <Text size="sm" fw={600}>
                  Evidence Shipyard recorded ({verdict.evidence_state})
                </Text>
                <List size="sm" spacing={2}>
                  {verdict.evidence.map((e) => (
                    <List.Item key={e.id}>
                      <Badge size="xs" color={e.passed ? 'teal' : 'red'} mr={6}>
                        {e.passed ? 'pass' : 'fail'}
                      </Badge>
                      {e.link ? (
                        <Anchor href={e.link} size="sm" target="_blank" rel="noreferrer">
                          {e.title}
                        </Anchor>
                      ) : (
                        e.title
                      )}{' '}
                      <Text span size="xs" c="dimmed">
                        {e.source} · {formatDateTime(e.observed_at)}
                      </Text>
                    </List.Item>
                  ))}
                </List>
              </div>
            ) : (
              <Text size="sm" c="dimmed">
                No evidence recorded yet for this test.
              </Text>
            )}
          </Stack>
        </Collapse>
        <Group grow align="flex-start" wrap="wrap">
          <Textarea
            label="Note"
            placeholder="How is this done? Where are the results?"
            autosize
            minRows={1}
            maxRows={6}
            maxLength={NOTE_MAX}
            value={answer.note}
            readOnly={readOnly}
            onChange={(event) => onChange(test.id, { ...answer, note: event.currentTarget.value })}
          />
          <TagsInput
            label="Evidence links"
            placeholder={readOnly ? '' : 'Paste an https:// link, press Enter'}
            value={answer.links}
            readOnly={readOnly}
            maxTags={10}
            error={linkError}
            onChange={(links) => {
              const { valid, invalid } = splitLinks(links);
              setLinkError(invalid === null ? null : `“${invalid}” is not a link: use an http:// or https:// address.`);
              if (valid.length !== answer.links.length || valid.some((l, i) => l !== answer.links[i])) {
                onChange(test.id, { ...answer, links: valid });
              }
            }}
          />
        </Group>
      </Stack>
    </Paper>
  );
});
