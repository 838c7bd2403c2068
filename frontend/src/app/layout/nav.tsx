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

/** Project pages that belong to an area of the navigation: /projects/:slug/<segment>/... */
const PROJECT_AREAS: Record<string, string> = {
  rubric: '/rubric',
  ci: '/ci',
  models: '/models',
  datasets: '/models',
};

/**
 * The navigation entry the user is in, so the sidebar highlights one area: a project's CI runs
 * are under CI, its rubric under Rubric, its models and datasets under Models.
 */
export function activeArea(pathname: string): string | null {
  const segment = /^\/projects\/[^/]+\/([^/]+)/.exec(pathname)?.[1];
  const projectArea = segment === undefined ? undefined : PROJECT_AREAS[segment];
  if (projectArea) return projectArea;
  const item = NAV_ITEMS.find((entry) => pathname === entry.to || pathname.startsWith(`${entry.to}/`));
  return item ? item.to : null;
}
