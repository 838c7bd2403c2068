import { IconChecklist } from '@tabler/icons-react';
import { ComingSoon } from '@/components/ComingSoon';

export function RubricRoute() {
  return (
    <ComingSoon
      title="Rubric"
      icon={<IconChecklist size={28} />}
      coming="the ML Test Score rubric"
      description="Score each project's production readiness on the 28 tests of the ML Test Score."
    />
  );
}
