import { Button, Select } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus, IconUsers } from '@tabler/icons-react';
import { useCurrentTeam } from '@/lib/current-team';
import { CreateTeamModal } from './CreateTeamModal';

const NEW_TEAM = '__new__';

export function TeamSwitcher() {
  const { team, teams, setTeam } = useCurrentTeam();
  const [createOpened, createModal] = useDisclosure(false);

  const modal = (
    <CreateTeamModal opened={createOpened} onClose={createModal.close} onCreated={(created) => setTeam(created.slug)} />
  );

  if (teams.length === 0) {
    return (
      <>
        <Button variant="light" size="xs" leftSection={<IconPlus size={14} />} onClick={createModal.open}>
          Create a team
        </Button>
        {modal}
      </>
    );
  }

  return (
    <>
      <Select
        aria-label="Team"
        data-testid="team-switcher"
        size="sm"
        w={{ base: 150, sm: 220 }}
        leftSection={<IconUsers size={16} />}
        value={team?.slug ?? null}
        data={[
          { group: 'Your teams', items: teams.map((t) => ({ value: t.slug, label: t.name })) },
          { group: 'Manage', items: [{ value: NEW_TEAM, label: '+ New team…' }] },
        ]}
        onChange={(value) => {
          if (value === NEW_TEAM) createModal.open();
          else if (value) setTeam(value);
        }}
        allowDeselect={false}
        checkIconPosition="right"
        comboboxProps={{ withinPortal: true }}
      />
      {modal}
    </>
  );
}
