import { IconGitPullRequest } from '@tabler/icons-react';
import { ComingSoon } from '@/components/ComingSoon';

export function CiRoute() {
  return (
    <ComingSoon
      title="CI"
      icon={<IconGitPullRequest size={28} />}
      coming="CI integrations"
      description="Test results and metrics posted by GitHub Actions, GitLab CI, CircleCI, Jenkins and Buildkite."
    />
  );
}
