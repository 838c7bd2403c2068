import { Alert, Anchor, List, Text } from '@mantine/core';
import { IconArrowUp } from '@tabler/icons-react';
import type { RubricSection, SectionId, Status } from '../api/rubric';

interface WeakestPanelProps {
  weakest: SectionId[];
  rubricSections: RubricSection[];
  statuses: Record<string, Status>;
  /** Tests with fresh passing evidence: they count as automated, so they are not to-dos. */
  verified: ReadonlySet<string>;
  onJump: (testId: string) => void;
}

const NEXT: Record<Status, string> = { none: 'not done', manual: 'manual: automate it', automated: '' };

/** The unmet tests of the section(s) holding the score down: raising the minimum is the only way up. */
export function WeakestPanel({ weakest, rubricSections, statuses, verified, onJump }: WeakestPanelProps) {
  const sections = rubricSections.filter((s) => weakest.includes(s.id));
  const unmet = sections.flatMap((s) => s.tests.filter((t) => statuses[t.id] !== 'automated' && !verified.has(t.id)));
  return (
    <Alert
      variant="light"
      color="orange"
      icon={<IconArrowUp size={18} />}
      title={`Weakest section: ${sections.map((s) => s.title).join(', ')}`}
      data-testid="weakest-panel"
    >
      <Text size="sm" mb="xs">
        The final score is the minimum of the four sections, so only raising {sections.length > 1 ? 'these' : 'this'} raises
        it.
      </Text>
      {unmet.length === 0 ? (
        <Text size="sm">Every test here is automated or verified by evidence.</Text>
      ) : (
        <List size="sm" spacing={2}>
          {unmet.map((t) => (
            <List.Item key={t.id}>
              <Anchor component="button" type="button" size="sm" onClick={() => onJump(t.id)}>
                {t.id}: {t.title}
              </Anchor>{' '}
              <Text span size="xs" c="dimmed">
                ({NEXT[statuses[t.id] ?? 'none']})
              </Text>
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}
