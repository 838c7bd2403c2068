import {
  IconActivityHeartbeat,
  IconBox,
  IconChecklist,
  IconCpu,
  IconFolder,
  IconGitPullRequest,
  IconRocket,
} from '@tabler/icons-react';
import type { ReactNode } from 'react';

export interface NavItem {
  label: string;
  to: string;
  icon: ReactNode;
}

/** Left navigation; the label is the link's accessible name (end-to-end tests rely on it). */
export const NAV_ITEMS: NavItem[] = [
  { label: 'Projects', to: '/projects', icon: <IconFolder size={18} stroke={1.6} /> },
  { label: 'Rubric', to: '/rubric', icon: <IconChecklist size={18} stroke={1.6} /> },
  { label: 'CI', to: '/ci', icon: <IconGitPullRequest size={18} stroke={1.6} /> },
  { label: 'Models', to: '/models', icon: <IconBox size={18} stroke={1.6} /> },
  { label: 'Jobs', to: '/jobs', icon: <IconCpu size={18} stroke={1.6} /> },
  { label: 'Deployments', to: '/deployments', icon: <IconRocket size={18} stroke={1.6} /> },
  { label: 'Monitoring', to: '/monitoring', icon: <IconActivityHeartbeat size={18} stroke={1.6} /> },
];
