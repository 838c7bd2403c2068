import { Button, Menu } from '@mantine/core';
import { IconArrowsSplit, IconChevronDown, IconCopy, IconPlayerStop, IconStack2 } from '@tabler/icons-react';
import { useState } from 'react';
import type { Deployment } from '../api/deployments';
import type { Role } from '../api/role';
import { deniedReason } from '../api/role';
import { BanditStartModal } from './BanditStartModal';
import { EnsembleModal } from './EnsembleModal';
import { ShadowStartModal } from './ShadowStartModal';
import { StopExperimentModal } from './StopExperimentModal';

type Form = 'bandit' | 'bandit-stop' | 'shadow' | 'shadow-stop' | 'ensemble';

/** "Experiments" on the deployment page: start or stop a bandit or a shadow (maintainers), register an
 * ensemble (members). An item the caller's role cannot use is disabled and says why. */
export function ExperimentsMenu({ deployment, role }: { deployment: Deployment; role: Role | null }) {
  const d = deployment;
  const [form, setForm] = useState<Form | null>(null);
  // while the role loads, the items stay enabled: the API still checks (403 names the reason)
  const routing = role === null ? null : deniedReason(role, 'maintainer', 'start or stop a bandit or a shadow');
  const register = role === null ? null : deniedReason(role, 'member', 'register an ensemble');
  const bandit = d.bandit_arms.length > 0;
  const close = () => setForm(null);
  return (
    <>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <Button variant="light" color="grape" rightSection={<IconChevronDown size={14} />}>
            Experiments
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>{routing ?? 'Route among versions'}</Menu.Label>
          <Menu.Item leftSection={<IconArrowsSplit size={16} />} disabled={!!routing} onClick={() => setForm('bandit')}>
            {bandit ? 'Restart the bandit…' : 'Start a bandit…'}
          </Menu.Item>
          {bandit ? (
            <Menu.Item leftSection={<IconPlayerStop size={16} />} color="red" disabled={!!routing} onClick={() => setForm('bandit-stop')}>
              Stop the bandit…
            </Menu.Item>
          ) : null}
          <Menu.Item leftSection={<IconCopy size={16} />} disabled={!!routing} onClick={() => setForm('shadow')}>
            {d.shadow_version ? 'Change the shadow…' : 'Start shadow traffic…'}
          </Menu.Item>
          {d.shadow_version ? (
            <Menu.Item leftSection={<IconPlayerStop size={16} />} color="red" disabled={!!routing} onClick={() => setForm('shadow-stop')}>
              Stop the shadow…
            </Menu.Item>
          ) : null}
          <Menu.Divider />
          <Menu.Label>{register ?? 'New versions'}</Menu.Label>
          <Menu.Item leftSection={<IconStack2 size={16} />} disabled={!!register} onClick={() => setForm('ensemble')}>
            Register an ensemble…
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      {form === 'bandit' ? <BanditStartModal deployment={d} onClose={close} /> : null}
      {form === 'bandit-stop' ? <StopExperimentModal deployment={d} what="bandit" onClose={close} /> : null}
      {form === 'shadow' ? <ShadowStartModal deployment={d} onClose={close} /> : null}
      {form === 'shadow-stop' ? <StopExperimentModal deployment={d} what="shadow" onClose={close} /> : null}
      {form === 'ensemble' ? <EnsembleModal deployment={d} onClose={close} /> : null}
    </>
  );
}
