import { useProject } from '@/api/projects';
import { useMe } from '@/lib/auth';

export type Role = 'viewer' | 'member' | 'maintainer' | 'admin';

const RANK: Record<Role, number> = { viewer: 0, member: 1, maintainer: 2, admin: 3 };

export function roleAtLeast(role: Role | null, minimum: Role): boolean {
  return role !== null && RANK[role] >= RANK[minimum];
}

/** The caller's role in the team that owns the project (null while loading or without one). */
export function useProjectRole(project: string): Role | null {
  const me = useMe();
  const proj = useProject(project);
  const team = proj.data?.team;
  if (!team || !me.data) return null;
  return (me.data.teams.find((t) => t.slug === team)?.role as Role | undefined) ?? null;
}

/** Why a control is disabled for this role, or null when the role may use it. */
export function deniedReason(role: Role | null, minimum: Role, action: string): string | null {
  if (roleAtLeast(role, minimum)) return null;
  const needed = minimum === 'admin' ? 'an admin' : `a ${minimum} or admin`;
  return `Only ${needed} may ${action}${role ? ` (your role: ${role})` : ''}.`;
}
